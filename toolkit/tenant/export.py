"""`tenant export`: read every resource of `toolkit.tenant.resources` and write it to a folder.

    DIR/manifest.json        tenant, time, Graph URL, credential kind, and per resource: read or
                             not, why not (a 403 names the permission), records, pages
    DIR/{resource}.json      {"value": [...]}, one record per line, secrets removed
    DIR/policies/{id}.xml    each uploaded custom policy's XML

A resource that cannot be read (403 for a missing permission, 404 in a tenant of the other kind,
throttled past the time budget) is recorded in the manifest and the export goes on. Secret values
are never written (see `resources.SECRET_FIELDS`); the manifest says how many were removed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from toolkit import __version__
from toolkit.tenant.graph import Graph, GraphError
from toolkit.tenant.resources import FLOW_APPLICATIONS, MEMBER_FIELDS, RESOURCES, SECRET_FIELDS, TOP_LEVEL_SECRETS, Resource

MANIFEST = "manifest.json"


class Unreachable(Exception):
    """Graph did not answer at all: the export stops (exit 1) and names the cause."""


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else exc.__class__.__name__


FORMAT = 1


def policy_file(policy_id: str) -> str:
    """The export's file of one uploaded policy, relative to the export folder."""
    return f"policies/{re.sub(r'[^A-Za-z0-9_.-]', '_', policy_id)}.xml"


def scrub(record: dict[str, Any]) -> int:
    """Remove every secret value from `record` in place; returns how many were removed."""
    removed = 0
    for collection, fields in SECRET_FIELDS.items():
        items = record.get(collection)
        for item in items if isinstance(items, list) else []:
            for name in fields:
                if isinstance(item, dict) and item.pop(name, None) is not None:
                    removed += 1
    for name in TOP_LEVEL_SECRETS:
        if record.pop(name, None) is not None:
            removed += 1
    return removed


def write_collection(path: Path, records: list[dict[str, Any]]) -> None:
    """`{"value": [...]}` with one record per line: easy to diff, and a finding's line is its record's."""
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)
    path.write_text('{"value": [\n' + lines + ("\n" if lines else "") + "]}\n", encoding="utf-8")


def export(graph: Graph, out: Path, tenant: str, credential: str, say: Callable[[str], None]) -> dict[str, Any]:
    """Read every resource into `out`; returns the manifest (also written to `out/manifest.json`)."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "tool": f"b2c-toolkit {__version__}",
        "tenant": tenant,
        "graph": graph.base_url,
        "credential": credential,
        "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": {},
    }
    done: dict[str, list[dict[str, Any]]] = {}  #: the records of each resource read so far
    for resource in RESOURCES:
        entry: dict[str, Any] = {
            "endpoint": f"{resource.version}{resource.path}",
            "permission": resource.permission,
            "file": resource.file,
        }
        if resource.referenced and CA_POLICIES not in done:
            ca = manifest["resources"].get(CA_POLICIES, {})
            entry.update(read=False, status=ca.get("status"), reason=f"{CA_POLICIES} not read ({ca.get('reason', 'not exported')})")
            (out / resource.file).unlink(missing_ok=True)
            manifest["resources"][resource.name] = entry
            continue
        try:
            if resource.referenced:
                records, pages, removed = _referenced(graph, resource, done[CA_POLICIES], entry), 0, 0
            else:
                records, pages, removed = _read(graph, resource, out, entry, say)
        except GraphError as exc:
            entry.update(read=False, status=exc.status, reason=_reason(exc, resource))
            (out / resource.file).unlink(missing_ok=True)
            say(f"{resource.name}: not read: {entry['reason']}")
        except requests.RequestException as exc:
            # no answer at all (DNS, TLS, connection): every other resource would fail the same way
            raise Unreachable(f"no answer from {graph.base_url}: {exc.__class__.__name__}: {_first_line(exc)}") from None
        else:
            write_collection(out / resource.file, records)
            done[resource.name] = records
            entry.update(read=True, records=len(records), pages=pages, secrets_removed=removed)
            say(f"{resource.name}: {len(records)} record{'' if len(records) == 1 else 's'} ({pages} page{'' if pages == 1 else 's'})")
        manifest["resources"][resource.name] = entry
    manifest["requests"] = graph.requests
    manifest["retries"] = graph.retries
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _read(
    graph: Graph, resource: Resource, out: Path, entry: dict[str, Any], say: Callable[[str], None]
) -> tuple[list[dict[str, Any]], int, int]:
    records: list[dict[str, Any]] = []
    pages = 0
    if resource.single:
        records, pages = single(graph.get(graph.url(resource.version, resource.path))), 1
    else:
        for page in graph.pages(graph.url(resource.version, resource.path)):
            pages += 1
            records += [r for r in page if isinstance(r, dict)]
    removed = sum(scrub(r) for r in records)
    if resource.below:
        field = resource.below.rsplit("/", 1)[1]
        for record in records:
            url = graph.url(resource.version, f"{resource.path}/{record.get('id', '')}{resource.below}")
            record[field] = [item for page in graph.pages(url) for item in page if isinstance(item, dict)]
    if resource.name == "policies":
        _policies(graph, resource, out, records, entry, say)
    elif resource.name == "authenticationEventsFlows":
        for flow in records:
            # a list shows `includeApplications: []`; the flow's own endpoint has them
            url = graph.url(resource.version, f"{resource.path}/{flow.get('id', '')}{FLOW_APPLICATIONS}")
            linked = [app for page in graph.pages(url) for app in page]
            flow.setdefault("conditions", {}).setdefault("applications", {})["includeApplications"] = linked
    return records, pages, removed


#: the resource whose policies name the groups and users of `Resource.referenced`
CA_POLICIES = "conditionalAccessPolicies"


def referenced_ids(policies: list[dict[str, Any]], kind: str) -> list[str]:
    """The object ids Conditional Access `policies` include or exclude as `kind` (`Groups`, `Users`),
    in first-seen order, without the keywords `All`, `None`, `GuestsOrExternalUsers`."""
    ids: dict[str, None] = {}
    for policy in policies:
        conditions = policy.get("conditions")
        users = conditions.get("users") if isinstance(conditions, dict) else None
        if not isinstance(users, dict):
            continue
        for field in (f"include{kind}", f"exclude{kind}"):
            values = users.get(field)
            for value in values if isinstance(values, list) else []:
                if isinstance(value, str) and value not in ("All", "None", "GuestsOrExternalUsers"):
                    ids.setdefault(value.casefold(), None)
    return list(ids)


def _referenced(graph: Graph, resource: Resource, policies: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Each group or user the policies name, read by id with its `select`ed fields only (and a
    group's members: id, display name, user principal name). An id that no longer exists (404: the
    object was deleted, the policy still names it) is listed in the manifest as `missing`; a 403
    stops the resource (the manifest records it)."""
    records: list[dict[str, Any]] = []
    missing = []
    fields = resource.select.split(",")
    for object_id in referenced_ids(policies, resource.referenced):
        try:
            answer = single(graph.get(graph.url(resource.version, f"{resource.path}/{object_id}?$select={resource.select}")))
        except GraphError as exc:
            if exc.status == 404:
                missing.append(object_id)
                continue
            raise
        for record in answer:
            kept = {k: record[k] for k in fields if k in record}
            if resource.below:
                url = graph.url(resource.version, f"{resource.path}/{object_id}{resource.below}?$select={','.join(MEMBER_FIELDS[1:])}")
                members = [m for page in graph.pages(url) for m in page if isinstance(m, dict)]
                kept[resource.below.rsplit("/", 1)[1]] = [{k: m[k] for k in MEMBER_FIELDS if k in m} for m in members]
            records.append(kept)
    if missing:
        entry["missing"] = missing
    return records


def _policies(
    graph: Graph, resource: Resource, out: Path, records: list[dict[str, Any]], entry: dict[str, Any], say: Callable[[str], None]
) -> None:
    """Each policy's XML (`/trustFramework/policies/{id}/$value`) into `policies/`."""
    folder = out / "policies"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.xml"):
        old.unlink()  # an export is a snapshot: a policy deleted since the last one must not linger
    failed: dict[str, str] = {}
    for i, policy in enumerate(records, 1):
        policy_id = str(policy.get("id", ""))
        try:
            response = graph.get(graph.url(resource.version, f"{resource.path}/{policy_id}/$value"), accept="application/xml")
        except GraphError as exc:
            failed[policy_id] = str(exc)
            continue
        (out / policy_file(policy_id)).write_bytes(response.content)
        if i % 20 == 0:
            say(f"policies: {i} of {len(records)} read")
    if failed:
        entry["failed"] = failed


def single(response: requests.Response) -> list[dict[str, Any]]:
    """One object (`/policies/authenticationMethodsPolicy`) as a collection of one record, without
    its `@odata.context`; an answer that is a collection after all gives its records."""
    try:
        body = response.json()
    except ValueError:
        raise GraphError(response.status_code, "UnexpectedAnswer", f"{response.url}: not JSON") from None
    if not isinstance(body, dict):
        raise GraphError(response.status_code, "UnexpectedAnswer", f"{response.url}: not a JSON object")
    if isinstance(body.get("value"), list):
        return [r for r in body["value"] if isinstance(r, dict)]
    return [{k: v for k, v in body.items() if k != "@odata.context"}]


def _reason(exc: GraphError, resource: Resource) -> str:
    if exc.status == 403 and resource.delegated:
        return (
            f"403 {exc.code or 'Forbidden'}: Graph has no application permission for it; export signed in as an "
            f"administrator (--auth azure-cli) with delegated {resource.permission} (docs/entra-resilience.md)"
        )
    if exc.status == 403:
        return f"403 {exc.code or 'Forbidden'}: the app lacks {resource.permission} (grant it: docs/tenant-audit.md)"
    if exc.status in (400, 404):
        kind = {"b2c": "an Azure AD B2C", "external-id": "an External ID", "workforce": "a Microsoft Entra ID (workforce)"}.get(
            resource.tenant
        )
        where = f" ({resource.name} exists in {kind} tenant)" if kind else ""
        return f"{exc.status} {exc.code}: not in this tenant{where}"
    return str(exc)
