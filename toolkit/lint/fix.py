"""`--fix`: minimal text edits for mechanical rules, keeping comments and formatting.

    REST001  add DefaultUserMessageIfRequestFailed (and the REST002 messages) to the Metadata
    REST002  add UserMessageIfCircuitOpen and UserMessageIfRequestTimeout
    SSO001   give REST and claims-transformation profiles SM-Noop (when the file or a base defines it)
    DEP001   DeploymentMode="Development" → "Production"
    DEP002   DeveloperMode true → false (JourneyInsights, Application Insights profiles)
    JRN001   renumber a journey's steps 1..N, in their order (a journey only one file declares)

Each fix is an insertion or a replacement at a byte offset of the source file; fixes are
idempotent (a fixed finding is gone on the next run), and the edited files are linted again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from lxml import etree

from toolkit.lint.model import PolicySet, order_of
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.registry import Finding, Rule

MESSAGES = {
    "DefaultUserMessageIfRequestFailed": "Cannot process your request right now, please try again later.",
    "UserMessageIfCircuitOpen": "This service is temporarily unavailable. Please try again later.",
    "UserMessageIfRequestTimeout": "The request took too long. Please try again.",
}


class Edit(NamedTuple):
    """Replace `length` bytes at `offset` with `text`."""

    offset: int
    length: int
    text: bytes


_INDENT = re.compile(rb"[ \t]*")
_NAME = re.compile(rb"<([^\s/>]+)")


def _start(f: PolicyFile, el: etree._Element) -> int:
    return f.offset(*f.locate(el))


def _indent_before(f: PolicyFile, offset: int) -> bytes:
    line_start = f.data.rfind(b"\n", 0, offset) + 1
    return _INDENT.match(f.data, line_start).group(0)  # type: ignore[union-attr]


def _insert_before_close(f: PolicyFile, el: etree._Element, snippets: list[bytes]) -> Edit | None:
    """Insert `snippets`, a line each, before `el`'s closing tag, indented as children; an empty
    element written `<Metadata />` is opened (its closing tag is not the next one in the file)."""
    start = _start(f, el)
    name = _NAME.match(f.data, start)
    tag_end = f.data.find(b">", start)
    if name is None or tag_end < 0:
        return None
    if f.data[tag_end - 1 : tag_end] == b"/":
        open_end = start + len(f.data[start : tag_end - 1].rstrip())  # `<Metadata />` → `<Metadata>…</Metadata>`
        return Edit(open_end, tag_end + 1 - open_end, b">" + b"".join(snippets) + b"</" + name.group(1) + b">")
    end = f.data.find(b"</" + name.group(1), tag_end)
    if end < 0:
        return None
    line_start = f.data.rfind(b"\n", 0, end) + 1
    if f.data[line_start:end].strip():  # the closing tag shares its line: insert inline
        return Edit(end, 0, b"".join(snippets))
    indent = _indent_before(f, end) + b"  "
    return Edit(line_start, 0, b"".join(indent + s + b"\n" for s in snippets))


def _set_attribute(f: PolicyFile, el: etree._Element, attr: str, old: str, new: str) -> Edit | None:
    start = _start(f, el)
    tag_end = f.data.find(b">", start)
    m = re.compile(rb"\b" + re.escape(attr.encode()) + rb'(\s*=\s*["\'])' + re.escape(old.encode()) + rb'["\']', re.IGNORECASE).search(
        f.data, start, tag_end
    )
    if m is None:
        return None
    value_start = m.start() + len(attr) + len(m.group(1))
    return Edit(value_start, len(old), new.encode())


def _add_messages(keys: tuple[str, ...]) -> Callable[[PolicySet, PolicyFile, Finding], Iterator[Edit]]:
    def fix(policy_set: PolicySet, f: PolicyFile, finding: Finding) -> Iterator[Edit]:
        metadata = finding.element.find(q("Metadata"))
        if metadata is None:
            return
        present = {it.get("Key") for it in metadata.iterfind(q("Item"))}
        items = [f'<Item Key="{k}">{MESSAGES[k]}</Item>'.encode() for k in keys if k not in present]
        edit = _insert_before_close(f, metadata, items) if items else None
        if edit is not None:
            yield edit

    return fix


def _session_noop(policy_set: PolicySet, f: PolicyFile, finding: Finding) -> Iterator[Edit]:
    if "SM-Noop" not in finding.message or finding.element.find(q("UseTechnicalProfileForSessionManagement")) is not None:
        return
    # defined in this file or a base: a reference upward only (a base is uploaded, and checked, first)
    defined = any(tp.get("Id") == "SM-Noop" for p in policy_set.chain(f).files for tp in p.root.iter(q("TechnicalProfile")))
    if not defined:
        return
    enabled = finding.element.find(q("EnabledForUserJourneys"))
    snippet = b'<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />'
    if enabled is not None:  # the schema puts session management before EnabledForUserJourneys
        start = _start(f, enabled)
        yield Edit(start, 0, snippet + b"\n" + _indent_before(f, start))
        return
    edit = _insert_before_close(f, finding.element, [snippet])
    if edit is not None:
        yield edit


def _production(policy_set: PolicySet, f: PolicyFile, finding: Finding) -> Iterator[Edit]:
    if finding.attr == "DeploymentMode":
        edit = _set_attribute(f, finding.element, "DeploymentMode", "Development", "Production")
        if edit is not None:
            yield edit


def _developer_mode_off(policy_set: PolicySet, f: PolicyFile, finding: Finding) -> Iterator[Edit]:
    el = finding.element
    if finding.attr == "DeveloperMode":
        edit = _set_attribute(f, el, "DeveloperMode", "true", "false")
        if edit is not None:
            yield edit
    elif etree.QName(el).localname == "Item" and (el.text or "").strip().casefold() == "true":
        start = f.data.find(b">", _start(f, el)) + 1
        end = f.data.find(b"</", start)
        yield Edit(start, end - start, b"false")


def _renumber(policy_set: PolicySet, f: PolicyFile, finding: Finding) -> Iterator[Edit]:
    """Steps numbered with gaps become 1..N in the order of their numbers, which is the order B2C
    runs them in. Left alone: duplicates or non-numbers (which step comes first is a person's
    call), and a journey another file of the set also declares (steps merge by Order across
    files: renumbering one file would re-wire the merge)."""
    journey = finding.element
    if "must be numbered" not in finding.message:
        return
    tag, journey_id = str(journey.tag), journey.get("Id", "").casefold()
    same_set = policy_set.sets()[id(policy_set.chain(f).files[0])]
    if any(j is not journey and j.get("Id", "").casefold() == journey_id for g in same_set for j in g.root.iter(tag)):
        return
    numbered: dict[int, etree._Element] = {}
    for step in journey.iterfind(q("OrchestrationSteps/OrchestrationStep")):
        order = order_of(step)
        if order is None or order in numbered:
            return
        numbered[order] = step
    for new, order in enumerate(sorted(numbered), start=1):
        step = numbered[order]
        if order != new and (edit := _set_attribute(f, step, "Order", step.get("Order", ""), str(new))) is not None:
            yield edit


FIXERS: dict[str, Callable[[PolicySet, PolicyFile, Finding], Iterator[Edit]]] = {
    "REST001": _add_messages(("DefaultUserMessageIfRequestFailed", "UserMessageIfCircuitOpen", "UserMessageIfRequestTimeout")),
    "REST002": _add_messages(("UserMessageIfCircuitOpen", "UserMessageIfRequestTimeout")),
    "SSO001": _session_noop,
    "DEP001": _production,
    "DEP002": _developer_mode_off,
    "JRN001": _renumber,
}


def apply(raw: list[tuple[Rule, Finding, str]], policy_set: PolicySet) -> dict[PolicyFile, int]:
    """Apply every fix the findings allow; returns the number of edits per file written."""
    edits: dict[int, tuple[PolicyFile, set[Edit]]] = {}
    for r, finding, _ in raw:
        fixer = FIXERS.get(r.id)
        if fixer is None:
            continue
        f = policy_set.owner(finding.element)
        for edit in fixer(policy_set, f, finding):
            edits.setdefault(id(f), (f, set()))[1].add(edit)
    written: dict[PolicyFile, int] = {}
    for f, changes in edits.values():
        data = f.data
        for edit in sorted(changes, reverse=True):  # from the end, so offsets stay valid
            data = data[: edit.offset] + edit.text + data[edit.offset + edit.length :]
        f.path.write_bytes(data if f.wide is None else f.wide.encode(data))  # a UTF-16 file stays UTF-16
        written[f] = len(changes)
    return written
