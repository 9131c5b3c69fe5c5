"""The fourth stage: run the rules over a linked policy set and turn their findings into problems.

One executor for every run. It splits the checks into units (the set-wide rules, then each policy
set whole, so that what the chains of a set share is computed once), takes a unit's problems from
the cache when an earlier run checked it unchanged, and spreads the other units over processes
when that is worth a fork. Problems become plain rows only at those two edges (a cache entry, a
pipe from a child process): the caller gets `Problem`s, the same whichever way they were found.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from toolkit.lint import parallel, starter_pack
from toolkit.lint.config import Config
from toolkit.lint.discover import LoadError
from toolkit.lint.model import LeafGroup, PolicySet
from toolkit.lint.parse import PolicyFile
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.registry import Finding, Rule, Scope, get

if TYPE_CHECKING:
    from toolkit.lint.cache import Cache


class Unit(NamedTuple):
    """A piece of a run's checks: the set-wide rules, or one policy set (its files and chains)."""

    set_rules: bool = True
    files: list[PolicyFile] | None = None  #: None: every file
    groups: list[LeafGroup] | None = None  #: None: every leaf


def units(policy_set: PolicySet) -> list[Unit]:
    """The set-wide rules, then each policy set: whole sets, so that what the chains of a set share
    is computed once, and a set unchanged since an earlier run can reuse its problems."""
    groups: dict[int, list[LeafGroup]] = {}
    for group in policy_set.leaf_groups():
        groups.setdefault(id(group.chains[0].files[0]), []).append(group)
    return [Unit(True, [], []), *(Unit(False, files, groups.get(root, [])) for root, files in policy_set.sets().items())]


def check(
    policy_set: PolicySet,
    errors: list[LoadError],
    rules: list[Rule],
    config: Config,
    jobs: int = 1,
    cache: Cache | None = None,
) -> list[Problem]:
    """The problems of a parsed run, unsorted: each policy set's from `cache` when it holds them,
    the others checked over `jobs` processes, then one XML001 per file that could not be read."""
    todo = units(policy_set)
    found: dict[int, list[Problem]] = {}
    keys: dict[int, str] = {}
    if cache is not None:
        for i, unit in enumerate(todo):
            if not unit.set_rules:
                keys[i] = cache.key(unit.files or [], policy_set)
                if (cached := cache.get(keys[i])) is not None:
                    found[i] = cached
    fresh = [i for i in range(len(todo)) if i not in found]

    if sum(cost(todo[i]) for i in fresh) < FORK_WORTH:
        jobs = 1
    shares = [share for share in parallel.split(fresh, lambda i: cost(todo[i]), jobs) if share]
    for i in fresh:
        found[i] = []

    def share_of(n: int) -> list[tuple[int, Problem]]:
        return [(i, p) for i in shares[n] for p in to_problems(list(findings(rules, policy_set, todo[i])), policy_set, config)]

    for index, problem in parallel.run(share_of, len(shares), _to_row, _from_row):
        found[index].append(problem)
    if cache is not None:
        for i in fresh:
            if i in keys:
                cache.put(keys[i], found[i])
    return [p for i in sorted(found) for p in found[i]] + unreadable(errors, config)


def _to_row(item: tuple[int, Problem]) -> tuple[object, ...]:
    return (item[0], *item[1].to_row())


def _from_row(row: tuple[object, ...]) -> tuple[int, Problem]:
    index = row[0]
    assert isinstance(index, int)
    return index, Problem.from_row(row[1:])


def unreadable(errors: list[LoadError], config: Config) -> list[Problem]:
    """One XML001 problem per file that could not be read or parsed."""
    xml001 = get("XML001")
    severity = config.severity_of(xml001.id, xml001.severity)
    return [
        Problem(e.display, e.line, e.column, xml001.id, severity, e.message, "", e.display, "")
        for e in errors
        if config.enabled(xml001.id, e.display)
    ]


#: estimated checking (µs, see `cost`) below which forking costs more than it saves
FORK_WORTH = 30_000


def cost(unit: Unit) -> int:
    """A rough cost of checking `unit`, in microseconds (fitted on the shared corpus): file
    rules read every byte (the schema as much again), chain rules every merged byte and run once
    per relying party."""
    if unit.set_rules:
        return 5000
    files = sum(f.size * (2 if f.schema is not None else 1) for f in unit.files or []) // 60
    content = sum(f.size for g in unit.groups or [] for f in g.content) // 30
    return files + content + 1200 * sum(len(g.chains) for g in unit.groups or [])


def findings(rules: list[Rule], policy_set: PolicySet, unit: Unit | None = None) -> Iterator[tuple[Rule, Finding, str]]:
    """Every finding (of `unit` only, if given) with its rule and the name of the policy it affects."""
    unit = unit or Unit()
    for r in (r for r in rules if r.scope is Scope.SET and unit.set_rules):
        for finding in r.check(policy_set):
            for policy in finding.policies or (policy_set.owner(finding.element).policy_id,):
                yield r, finding, policy
    for f in policy_set.files if unit.files is None else unit.files:
        for r in (r for r in rules if r.scope is Scope.FILE):
            for finding in r.check(f):
                yield r, finding, f.policy_id
    chain_rules = [r for r in rules if r.scope is Scope.CHAIN]
    for effective in policy_set.effective_policies(unit.groups):
        for r in chain_rules:
            if r.whole_chain and not effective.chain.complete and not r.partial_chain:
                continue  # its verdict needs what the missing base holds; INH001 says it was skipped
            if r.per_content or r.per_journeys:
                # a partial rule's verdict also depends on whether the chain is whole
                complete = effective.chain.complete if r.partial_chain else None
                key = ("rule", r.id, effective.journey_refs if r.per_journeys else None, complete)
                found = effective.merged.once(key, lambda r=r, e=effective: list(r.check(e)))  # type: ignore[misc]
            else:
                found = list(r.check(effective))
            for finding in found:
                yield r, finding, effective.name


def to_problems(raw: list[tuple[Rule, Finding, str]], policy_set: PolicySet, config: Config) -> list[Problem]:
    """Locate findings, apply suppressions and configuration, and merge duplicates.

    A base file shared by several relying parties yields the same finding once per chain: it
    is reported once, naming every policy it affects.
    """
    unique: dict[tuple[str, int, str | None, str], tuple[Rule, Finding, set[str]]] = {}
    for r, finding, policy in raw:
        entry = unique.setdefault((r.id, id(finding.element), finding.attr, finding.message), (r, finding, set()))
        if policy:
            entry[2].add(policy)
    problems = []
    stock = Inherited(policy_set) if config.starter_pack == "info" else None
    for r, finding, policies in unique.values():
        f = policy_set.owner(finding.element)
        line, column = f.locate(finding.element, finding.attr)
        if f.suppressions.suppresses(r.id, line) or not config.enabled(r.id, f.display):
            continue
        if stock is not None and r.id not in starter_pack.YOURS and (block := stock.block(f, finding.element)) is not None:
            stock.add(f, r.id, (line, column, identity(finding.element, finding.attr)), block, finding.message, policies)
            continue
        # configuration wins over a finding's own severity, which wins over the rule default
        severity = config.severity_of(r.id, finding.severity or r.severity)
        problems.append(
            Problem(
                f.display,
                line,
                column,
                r.id,
                severity,
                finding.message,
                ", ".join(sorted(policies)),
                identity(finding.element, finding.attr),
                f.policy_id,
                skipped=finding.skipped,
            )
        )
    return problems if stock is None else problems + stock.problems()


class Inherited:
    """Findings on building blocks copied unchanged from the starter pack (see
    `toolkit.lint.starter_pack`), gathered per file and rule, to be reported once each at info."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        #: (file, rule) → ((line, column, identity) of the first finding, blocks named, its message,
        #: policies, file's policy id), blocks in the order found
        self.found: dict[tuple[str, str], tuple[tuple[int, int, str], list[str], str, set[str], str]] = {}
        self._stock: dict[tuple[int, int | None, object, str], bool] = {}
        self._below: dict[int, set[tuple[str, str]]] = {}

    def block(self, f: PolicyFile, el: etree._Element) -> str | None:
        """How the starter-pack block `el` is in is named (`TechnicalProfile AAD-Common`), when it
        is unchanged and no file below `f` in its chains redefines it; else None."""
        block = starter_pack.block_of(el)
        if block is None:
            return None
        tag, block_id = block.tag, block.get("Id", "")
        memo = (id(f), block.sourceline, tag, block_id)
        if memo not in self._stock:
            self._stock[memo] = bool(block_id) and starter_pack.unchanged(block) and (tag, block_id) not in self.below(f)
        if not self._stock[memo]:
            return None
        return f"{str(tag).rpartition('}')[2]} {block_id}"

    def below(self, f: PolicyFile) -> set[tuple[str, str]]:
        """The building blocks (tag, Id) that files extending `f` define: overrides of its own."""
        if id(f) not in self._below:
            files = {id(g): g for leaf in self.policy_set.leaves_through(f) for g in self.policy_set.chain(leaf).files}
            below: set[tuple[str, str]] = set()
            for g in files.values():
                if g is not f and f in self.policy_set.chain(g).files:
                    below.update((el.tag, el.get("Id", "")) for el in starter_pack.blocks(g.root))  # type: ignore[misc]
            self._below[id(f)] = below
        return self._below[id(f)]

    def add(self, f: PolicyFile, rule: str, at: tuple[int, int, str], block: str, message: str, policies: set[str]) -> None:
        """Gather one finding: `at` is its (line, column, identity)."""
        entry = self.found.setdefault((f.display, rule), (at, [], message, set(), f.policy_id))
        if at[:2] < entry[0][:2]:
            self.found[(f.display, rule)] = entry = (at, entry[1], message, entry[3], entry[4])
        if block not in entry[1]:
            entry[1].append(block)
        entry[3].update(policies)

    def problems(self) -> list[Problem]:
        """One info per file and rule, at its first finding (its place and identity), naming the blocks."""
        out = []
        for (path, rule), ((line, column, ident), blocks, message, policies, policy_id) in self.found.items():
            named = ", ".join(blocks[:3]) + (f" and {len(blocks) - 3} more" if len(blocks) > 3 else "")
            out.append(
                Problem(
                    path,
                    line,
                    column,
                    rule,
                    Severity.INFO,
                    f"inherited from the starter pack, unchanged: {named}: {message} (--starter-pack=report lists each)",
                    ", ".join(sorted(policies)),
                    ident,
                    policy_id,
                )
            )
        return out


#: attributes that name an element among its siblings, in order of preference
NAMING = ("Id", "Key", "ReferenceId", "TechnicalProfileReferenceId", "ClaimTypeReferenceId", "Order", "StringId", "Type")


def identity(el: etree._Element, attr: str | None = None) -> str:
    """Where an element is, independent of lines (what a baseline entry matches on):
    `ClaimsProviders/ClaimsProvider/TechnicalProfiles/TechnicalProfile[REST-X]/Metadata/Item[DebugMode]@Key`."""
    parts = []
    node: etree._Element | None = el
    while node is not None and isinstance(node.tag, str):
        part = node.tag.rpartition("}")[2]
        written = node.keys()  # one call; most elements have no naming attribute
        for attribute in NAMING if written else ():
            if attribute in written and (label := node.get(attribute)):
                part += f"[{label}]"
                break
        parts.append(part)
        node = node.getparent()
    return "/".join(reversed(parts)) + (f"@{attr}" if attr else "")
