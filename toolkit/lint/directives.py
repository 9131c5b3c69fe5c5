"""Inline suppressions written as XML comments in a policy.

    <!-- b2c-toolkit: disable=REST001,REST002 -->    the next element and everything inside it
    <!-- b2c-toolkit: disable-file=SSO001 -->        the whole file
    <!-- b2c-toolkit: disable=all -->                every rule, for the next element

Rule ids match by prefix, as in `--select`: `disable=REST` silences every REST rule.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from lxml import etree

# Two linear steps, not one pattern: `[...\s]+?\s*$` backtracks quadratically on a long run of
# spaces, and a hostile pull request could make CI's linter hang on one comment.
_DIRECTIVE = re.compile(r"\s*b2c-toolkit:\s*(?P<kind>disable-file|disable)\s*=(?P<rules>.*)", re.DOTALL)
_RULE_LIST = re.compile(r"[A-Za-z0-9_,\s]+")


def _rules(text: str) -> frozenset[str]:
    return frozenset(r.strip().upper() for r in text.split(",") if r.strip())


def matches(rule: str, patterns: frozenset[str] | set[str] | list[str]) -> bool:
    """True when a rule id is named by one of the patterns (`ALL`, an id, or an id prefix, in any case)."""
    return any(p.upper() == "ALL" or rule.startswith(p.upper()) for p in patterns)


class Suppressions:
    """What one file's comments switch off.

    Built to stay fast on hostile files: a lookup is a binary search over the lines where what is
    switched off changes, not a scan of every directive (10,000 directives and 10,000 findings
    made a hundred million comparisons)."""

    def __init__(self) -> None:
        self.file_rules: frozenset[str] = frozenset()
        #: (first line, last line, rules) for each element a `disable=` comment precedes
        self.ranges: list[tuple[int, int, frozenset[str]]] = []
        self._changes: list[int] | None = None  #: lines where the rules switched off change
        self._off: list[tuple[frozenset[str], ...]] = []  #: the rule lists in force from each of those lines on

    def suppresses(self, rule: str, line: int) -> bool:
        """True when a comment switches `rule` off at `line`."""
        if _named(rule, self.file_rules):
            return True
        if not self.ranges:
            return False
        if self._changes is None:
            self._index()
        assert self._changes is not None
        i = bisect.bisect_right(self._changes, line) - 1
        return i >= 0 and any(_named(rule, rules) for rules in self._off[i])

    def _index(self) -> None:
        """One sweep over the ranges, sorted by where they start and where they end: from each
        line where it changes, the rule lists in force (lists, not their ids: one list of 20,000
        ids in force everywhere would be copied for every line)."""
        starts = sorted(self.ranges, key=lambda r: r[0])
        ends = sorted(((last + 1, rules) for _, last, rules in self.ranges), key=lambda e: e[0])
        changes = sorted({first for first, _, _ in starts} | {end for end, _ in ends})
        in_force: Counter[frozenset[str]] = Counter()
        si = ei = 0
        for line in changes:
            while si < len(starts) and starts[si][0] <= line:
                in_force[starts[si][2]] += 1
                si += 1
            while ei < len(ends) and ends[ei][0] <= line:
                in_force[ends[ei][1]] -= 1
                if not in_force[ends[ei][1]]:
                    del in_force[ends[ei][1]]
                ei += 1
            self._off.append(tuple(in_force))
        self._changes = changes


def _named(rule: str, patterns: frozenset[str]) -> bool:
    """`matches` for upper-cased patterns, by looking up the rule's prefixes: a directive may list
    thousands of patterns."""
    return bool(patterns) and ("ALL" in patterns or any(rule[:i] in patterns for i in range(1, len(rule) + 1)))


def parse_suppressions(root: etree._Element) -> Suppressions:
    """Collect the directives of one parsed file, including comments before the root element.

    A run of comments before an element is walked once, and the lines an element spans are found
    once, however many comments precede it."""
    found = Suppressions()
    file_rules: set[str] = set()
    target_of: dict[etree._Element, etree._Element | None] = {}
    spans: dict[etree._Element, tuple[int, int]] = {}
    comments = [*root.itersiblings(etree.Comment, preceding=True), *root.iter(etree.Comment)]
    for comment in comments:
        m = _DIRECTIVE.match(comment.text or "")
        if m is None or not _RULE_LIST.fullmatch(m["rules"].strip()):
            continue
        rules = _rules(m["rules"])
        if m["kind"] == "disable-file":
            file_rules |= rules
            continue
        target = _next_element(comment, target_of)
        if target is None or target.sourceline is None:
            continue
        if target not in spans:
            spans[target] = (target.sourceline, max((el.sourceline or 0) for el in target.iter()))
        found.ranges.append((*spans[target], rules))
    found.file_rules = frozenset(file_rules)
    return found


def _next_element(comment: etree._Element, target_of: dict[etree._Element, etree._Element | None]) -> etree._Element | None:
    """The element after a comment, remembered for every comment passed on the way to it."""
    if comment in target_of:
        return target_of[comment]
    passed = [comment]
    target = None
    for sibling in comment.itersiblings():
        if isinstance(sibling.tag, str):
            target = sibling
            break
        if sibling in target_of:
            target = target_of[sibling]
            break
        passed.append(sibling)
    for c in passed:
        target_of[c] = target
    return target
