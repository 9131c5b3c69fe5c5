"""The rule contract and the one registry of rules.

A rule is a function decorated with `@rule(...)`. Its docstring is its documentation (why it hurts
resilience, a bad and a fixed example, the Microsoft doc it rests on); `b2c-toolkit rules ID`
prints it. A rule only yields `Finding`s (where and what); the engine stamps id, severity, path,
line and the relying parties affected, and applies configuration and suppressions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from lxml import etree

from toolkit.lint.problem import Severity

LEARN = "https://learn.microsoft.com/azure/active-directory-b2c/"


class Scope(enum.Enum):
    """What a rule's `check` receives."""

    LOAD = "load"  #: produced while reading files (XML001); `check` is never called
    SET = "set"  #: the whole `PolicySet`
    FILE = "file"  #: one `PolicyFile`
    CHAIN = "chain"  #: one `Effective` policy (a chain merged root→leaf)


class Finding(NamedTuple):
    """What a rule reports: the element (and optionally attribute) where the value is written."""

    element: etree._Element
    message: str
    attr: str | None = None
    severity: Severity | None = None  #: overrides the rule's default (e.g. REST009 part b)
    #: the relying parties it affects, when not the file's own PolicyId (SET rules only)
    policies: tuple[str, ...] = ()
    #: comma-separated ids of the rules that did not run because of it (INH001)
    skipped: str = ""


class Rule(NamedTuple):
    """A registered rule."""

    id: str
    title: str
    severity: Severity
    scope: Scope
    check: Callable[[Any], Iterator[Finding]]
    help_uri: str
    #: a CHAIN rule that reads only merged content (never the relying party or reachability):
    #: run once per distinct merged content instead of once per relying party
    per_content: bool = False
    #: a CHAIN rule that reads merged content and the journeys in use, never the relying party's
    #: own elements: run once per distinct (merged content, journeys)
    per_journeys: bool = False
    #: a CHAIN rule whose verdict needs the whole merged chain (a journey's every step, every
    #: profile a journey reaches): not run on a chain whose base is missing, ambiguous or external
    whole_chain: bool = False
    #: for a `whole_chain` rule that still runs on an incomplete chain, reporting only what the
    #: files prove on their own (the rule reads `Effective.chain.complete`): what it still checks
    partial_chain: str = ""
    #: an inventory (a cost estimate, a list of APIs), not a problem: run only when selected by
    #: id or prefix, and printed by `--print-inventory`
    inventory: bool = False

    @property
    def doc(self) -> str:
        """The rule's documentation: its check function's docstring."""
        import inspect  # only for documentation: 14 ms of a lint run's start-up otherwise

        return inspect.cleandoc(self.check.__doc__ or "")


_RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    title: str,
    severity: Severity,
    scope: Scope,
    doc_page: str,
    *,
    per_content: bool = False,
    per_journeys: bool = False,
    whole_chain: bool = False,
    partial_chain: str = "",
    inventory: bool = False,
) -> Callable[[Callable[[Any], Iterator[Finding]]], Callable[[Any], Iterator[Finding]]]:
    """Register a rule. `doc_page` is the Microsoft Learn page (relative to the B2C docs, or absolute)."""

    def register(check: Callable[[Any], Iterator[Finding]]) -> Callable[[Any], Iterator[Finding]]:
        if rule_id in _RULES:
            raise ValueError(f'rule "{rule_id}" registered twice')
        uri = doc_page if doc_page.startswith("https://") else LEARN + doc_page
        _RULES[rule_id] = Rule(
            rule_id, title, severity, scope, check, uri, per_content, per_journeys, whole_chain, partial_chain, inventory
        )
        return check

    return register


def all_rules() -> list[Rule]:
    """Every rule, sorted by id."""
    import toolkit.lint.rules  # noqa: F401  (registers the rules)

    return [_RULES[k] for k in sorted(_RULES)]


def get(rule_id: str) -> Rule:
    """One rule by id; a clear error for an unknown id."""
    rules = {r.id: r for r in all_rules()}
    try:
        return rules[rule_id.upper()]
    except KeyError:
        raise ValueError(f'no such rule: "{rule_id}"') from None


def whole_chain_rules() -> list[Rule]:
    """The rules skipped on an incomplete chain (see `Rule.whole_chain`), wholly or, for those
    with a `partial_chain`, but for what the files prove on their own."""
    return [r for r in all_rules() if r.whole_chain]


_INVENTORY: list[frozenset[str]] = []


def inventory_ids() -> frozenset[str]:
    """The ids of the inventory rules (see `Rule.inventory`)."""
    if not _INVENTORY:
        _INVENTORY.append(frozenset(r.id for r in all_rules() if r.inventory))
    return _INVENTORY[0]
