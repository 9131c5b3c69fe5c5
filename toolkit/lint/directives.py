"""Inline suppressions written as XML comments in a policy.

    <!-- b2c-toolkit: disable=REST001,REST002 -->    the next element and everything inside it
    <!-- b2c-toolkit: disable-file=SSO001 -->        the whole file
    <!-- b2c-toolkit: disable=all -->                every rule, for the next element

Rule ids match by prefix, as in `--select`: `disable=REST` silences every REST rule.
"""

from __future__ import annotations

import re

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
    """What one file's comments switch off."""

    def __init__(self) -> None:
        self.file_rules: frozenset[str] = frozenset()
        #: (first line, last line, rules) for each element a `disable=` comment precedes
        self.ranges: list[tuple[int, int, frozenset[str]]] = []

    def suppresses(self, rule: str, line: int) -> bool:
        """True when a comment switches `rule` off at `line`."""
        if matches(rule, self.file_rules):
            return True
        return any(first <= line <= last and matches(rule, rules) for first, last, rules in self.ranges)


def _next_element(comment: etree._Element) -> etree._Element | None:
    for sibling in comment.itersiblings():
        if isinstance(sibling.tag, str):
            return sibling
    return None


def parse_suppressions(root: etree._Element) -> Suppressions:
    """Collect the directives of one parsed file, including comments before the root element."""
    found = Suppressions()
    file_rules: set[str] = set()
    comments = [*root.itersiblings(etree.Comment, preceding=True), *root.iter(etree.Comment)]
    for comment in comments:
        m = _DIRECTIVE.match(comment.text or "")
        if m is None or not _RULE_LIST.fullmatch(m["rules"].strip()):
            continue
        rules = _rules(m["rules"])
        if m["kind"] == "disable-file":
            file_rules |= rules
            continue
        target = _next_element(comment)
        if target is None or target.sourceline is None:
            continue
        last = max((el.sourceline or 0) for el in target.iter())
        found.ranges.append((target.sourceline, last, rules))
    found.file_rules = frozenset(file_rules)
    return found
