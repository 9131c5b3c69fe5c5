"""The audit's rule contract and registry, in the linter's style (`toolkit.lint.registry`).

A rule is a function decorated with `@rule(...)`; its docstring is its documentation (what it
finds, why it breaks sign-in, the Microsoft doc it rests on), printed by `b2c-toolkit tenant rules
ID` and the generated docs pages. It names the export resources it `requires`: when one was not
exported, the rule is skipped and the report says why. A rule yields `Finding`s (where and what);
the engine stamps id and severity and applies configuration and the baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from toolkit.lint.problem import Severity

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

LEARN = "https://learn.microsoft.com/"


class Finding(NamedTuple):
    """What a rule reports: a file of the export (or a policy file) and line, and the record."""

    path: str
    line: int
    message: str
    #: where it is, independent of lines: `keySets/B2C_1A_X`, `applications/{appId}/...` (baseline, SARIF)
    identity: str
    #: the record's own name (the baseline matches on it with `identity`)
    subject: str
    severity: Severity | None = None  #: overrides the rule's default
    #: the relying parties (External ID: user flows) that fail with it: the blast radius
    affects: tuple[str, ...] = ()


Check = Callable[["Audit"], Iterator[Finding]]


class Skip(Exception):
    """Raised by a rule's check when what it needs turns out not to be in the export (beyond its
    `requires`): the rule is skipped and the report says why (the exception's message)."""


class Rule(NamedTuple):
    """A registered audit rule."""

    id: str
    title: str
    severity: Severity
    #: export resources it reads; "A or B" when either will do (the rule says which it used)
    requires: tuple[str, ...]
    check: Check
    help_uri: str
    #: the area of Microsoft's infrastructure resilience guidance it belongs to (`AREAS`), "" for B2C
    #: and External ID rules; a rule with an area runs on a workforce tenant only
    area: str = ""

    @property
    def doc(self) -> str:
        """The rule's documentation: its check function's docstring."""
        import inspect

        return inspect.cleandoc(self.check.__doc__ or "")


_RULES: dict[str, Rule] = {}


#: the six areas of "Build resilience in your IAM infrastructure with Microsoft Entra ID", in its
#: order: id → (title, the area's Microsoft Learn page)
AREAS = {
    "credentials": ("Credential management", "entra/architecture/resilience-in-credentials"),
    "devices": ("Device states", "entra/architecture/resilience-with-device-states"),
    "cae": ("Continuous Access Evaluation and sessions", "entra/architecture/resilience-with-continuous-access-evaluation"),
    "b2b": ("External (B2B) user authentication", "entra/architecture/resilience-b2b-authentication"),
    "hybrid": ("Hybrid authentication", "entra/architecture/resilience-in-hybrid"),
    "app-proxy": ("Application Proxy", "entra/architecture/resilience-on-premises-access"),
}


def rule(
    rule_id: str, title: str, severity: Severity, requires: tuple[str, ...], doc_page: str, area: str = ""
) -> Callable[[Check], Check]:
    """Register a rule; `doc_page` is a Microsoft Learn page (relative to learn.microsoft.com, or absolute)."""

    def register(check: Check) -> Check:
        if rule_id in _RULES:
            raise ValueError(f'rule "{rule_id}" registered twice')
        uri = doc_page if doc_page.startswith("https://") else LEARN + doc_page
        if area and area not in AREAS:
            raise ValueError(f'rule "{rule_id}": no such area {area!r}')
        _RULES[rule_id] = Rule(rule_id, title, severity, requires, check, uri, area)
        return check

    return register


def all_rules() -> list[Rule]:
    """Every audit rule, sorted by id."""
    import toolkit.tenant.rules  # noqa: F401  (registers the rules)

    return [_RULES[k] for k in sorted(_RULES)]


def get(rule_id: str) -> Rule:
    """One rule by id; a clear error for an unknown id."""
    rules = {r.id: r for r in all_rules()}
    try:
        return rules[rule_id.upper()]
    except KeyError:
        raise ValueError(f'no such rule: "{rule_id}"') from None
