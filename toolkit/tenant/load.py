"""Read an export folder into typed records. The audit's first stage.

Every value the rules read is checked here, once: a damaged or hand-edited export is an
`ExportError` naming the file, the record and what is wrong (exit 2, no traceback). A resource the
export did not read (the manifest says why) or whose file is missing is `None`, and the rules
that need it are skipped with that reason.

Dates come in the forms Graph writes: ISO 8601 with `Z`, an offset or none (UTC), with up to seven
digits of fractions (`2026-05-01T00:00:00.0000000Z`), or NumericDate seconds since 1970 (a B2C
key's `nbf` and `exp`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from toolkit.lint.escape import printable
from toolkit.tenant import workforce
from toolkit.tenant.resources import BY_NAME

MANIFEST = "manifest.json"


class ExportError(Exception):
    """An export that cannot be audited: the message names the file and what is wrong."""


# ---- dates ------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$",
)


def parse_date(value: Any) -> dt.datetime | None:
    """A Graph date as an aware UTC datetime; None for null or "". ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value!r} is not a date (seconds since 1970 out of range)") from None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    if re.fullmatch(r"-?\d{1,12}", text):
        return parse_date(int(text))
    m = _ISO.match(text)
    if m is None:
        raise ValueError(f"{value!r} is not a date Graph writes (ISO 8601, or seconds since 1970)")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = dt.UTC
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = dt.timezone(sign * offset)
    try:
        when = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date ({exc})") from None
    return when.astimezone(dt.UTC)


def parse_horizon(text: str) -> dt.timedelta:
    """`30d`, `12w`, `72h`, `0d` (a bare number is days)."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([dwh]?)\s*", text)
    if m is None:
        raise ValueError(f"--horizon {text!r}: give a number of days, weeks or hours, e.g. 30d, 12w, 72h")
    n, unit = int(m.group(1)), m.group(2) or "d"
    return {"d": dt.timedelta(days=n), "w": dt.timedelta(weeks=n), "h": dt.timedelta(hours=n)}[unit]


def day(when: dt.datetime) -> str:
    """`2026-06-01` (UTC), or `2026-06-01 12:30 UTC` when not midnight."""
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d") if (when.hour, when.minute) == (0, 0) else when.strftime("%Y-%m-%d %H:%M UTC")


# ---- records ----------------------------------------------------------------------------------


class Key(NamedTuple):
    """One key of a B2C key set (a JWK without its private parts)."""

    kid: str
    use: str
    kty: str
    enabled: bool
    nbf: dt.datetime | None  #: None: no start (valid from upload)
    exp: dt.datetime | None  #: None: never expires

    def valid(self, at: dt.datetime) -> bool:
        """Usable at `at`: enabled, started, not expired."""
        return self.enabled and (self.nbf is None or self.nbf <= at) and (self.exp is None or self.exp > at)


class KeySet(NamedTuple):
    """A B2C policy key container."""

    id: str
    keys: list[Key]
    line: int


class Credential(NamedTuple):
    """A secret or certificate of an app registration or service principal (no value: end dates)."""

    kind: str  #: "secret" or "certificate"
    key_id: str
    name: str
    start: dt.datetime | None
    end: dt.datetime | None


class App(NamedTuple):
    """An app registration (`application`) or a service principal."""

    kind: str  #: "applications" or "servicePrincipals"
    id: str  #: the object id
    app_id: str  #: the client id
    name: str
    credentials: list[Credential]
    line: int


class Extension(NamedTuple):
    """An External ID custom authentication extension."""

    id: str
    name: str
    type: str  #: `onTokenIssuanceStartCustomExtension`, ...
    target_url: str | None
    resource_id: str | None  #: `authenticationConfiguration.resourceId` (None: no authentication configured)
    timeout_ms: int | None  #: None: the service default (1000 ms)
    retries: int | None  #: None: the service default
    line: int


class Flow(NamedTuple):
    """An External ID user flow (events flow), or an event listener, and what it links."""

    id: str
    name: str
    extension_ids: list[str]
    app_ids: list[str]
    sign_up: bool  #: it lets users sign up (attribute collection extensions run then)
    line: int


class Export:
    """An export folder, read: the records of each resource read, or why it was not."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = {}
        self.unread: dict[str, str] = {}  #: resource → why it cannot be audited
        self.key_sets: list[KeySet] | None = None
        self.policy_ids: list[str] | None = None
        self.apps: list[App] | None = None
        self.service_principals: list[App] | None = None
        self.extensions: list[Extension] | None = None
        self.flows: list[Flow] | None = None
        self.listeners: list[Flow] | None = None
        #: a workforce tenant's resources (`toolkit.tenant.workforce`), None when not read
        self.methods: list[workforce.Method] | None = None
        self.ca_policies: list[workforce.Policy] | None = None
        self.domains: list[workforce.Domain] | None = None
        #: the groups (with members) and users Conditional Access policies include or exclude
        self.ca_groups: list[workforce.Group] | None = None
        self.ca_users: list[workforce.User] | None = None
        self.organization: workforce.Organization | None = None
        self.password_sync: bool | None = None  #: directory sync's `passwordSyncEnabled`
        self.pta_agents: list[workforce.Agent] | None = None
        self.connector_groups: list[workforce.ConnectorGroup] | None = None
        self.trust_default: list[workforce.InboundTrust] | None = None
        self.trust_partners: list[workforce.InboundTrust] | None = None
        self.records = 0  #: records read, all resources

    @property
    def tenant_type(self) -> str:
        """`AAD` (workforce), `AAD B2C`, `CIAM`, or "" when the organization was not read."""
        return self.organization.tenant_type if self.organization is not None else ""

    def path(self, name: str) -> str:
        """The reported path of a file of the export."""
        return str(self.folder / name)

    def has(self, resource: str) -> bool:
        """True when `resource` was read and its file is in the folder."""
        return resource not in self.unread


def load(folder: Path) -> Export:
    """Read `folder`; ExportError when it cannot be audited at all or a file is damaged."""
    export = Export(folder)
    if not folder.is_dir():
        raise ExportError(f"{printable(str(folder))}: no such folder (write one with `b2c-toolkit tenant export --out DIR`)")
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        manifest = _json(manifest_path)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("resources", {}), dict):
            raise ExportError(f"{printable(str(manifest_path))}: not a tenant export manifest (no resources table)")
        export.manifest = manifest
    resources: dict[str, Any] = export.manifest.get("resources", {})
    for name in BY_NAME:
        entry = resources.get(name)
        path = folder / BY_NAME[name].file
        if isinstance(entry, dict) and entry.get("read") is False:
            export.unread[name] = f"not exported: {entry.get('reason') or 'no reason recorded'}"
        elif not path.is_file():
            export.unread[name] = (
                f"{BY_NAME[name].file} is missing although the manifest says it was read"
                if isinstance(entry, dict)
                else f"{BY_NAME[name].file} not in the export"
            )
    readers = {
        "keySets": _key_sets,
        "policies": _policies,
        "applications": _apps,
        "servicePrincipals": _apps,
        "customAuthenticationExtensions": _extensions,
        "authenticationEventsFlows": _flows,
        "authenticationEventListeners": _listeners,
        **WORKFORCE_READERS,
    }
    for name, reader in readers.items():
        if export.has(name):
            path = folder / BY_NAME[name].file
            text, records = _collection(path)
            export.records += len(records)
            lines = _lines(text)
            where = printable(str(path))
            try:
                reader(export, name, records, lines, where)
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                raise ExportError(f"{where}: {exc}") from None
    return export


def _json(path: Path) -> Any:
    where = printable(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{where}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ExportError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def _collection(path: Path) -> tuple[str, list[dict[str, Any]]]:
    data = _json(path)
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise ExportError(f'{printable(str(path))}: not a Graph collection (an object with a "value" list)')
    for i, record in enumerate(value):
        if not isinstance(record, dict):
            raise ExportError(f"{printable(str(path))}: record {i + 1} is not an object")
    return path.read_text(encoding="utf-8"), value


_ID = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _lines(text: str) -> dict[str, int]:
    """The line of the first `"id": "X"` of each X (one pass): where a record is written."""
    lines: dict[str, int] = {}
    line, last = 1, 0
    for m in _ID.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.setdefault(m.group(1), line)
    return lines


def _str(record: dict[str, Any], field: str, what: str, required: bool = False) -> str:
    value = record.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"{what}: {field} must be a string, not {json.dumps(value)[:60]}")
    return value


def _date(record: dict[str, Any], field: str, what: str) -> dt.datetime | None:
    try:
        return parse_date(record.get(field))
    except ValueError as exc:
        raise ValueError(f"{what}: {field} {exc}") from None


def _list(record: dict[str, Any], field: str, what: str) -> list[Any]:
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what}: {field} must be a list, not {json.dumps(value)[:60]}")
    return value


def _key_sets(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    sets = []
    for i, record in enumerate(records, 1):
        set_id = _str(record, "id", f"record {i}", required=True)
        keys = []
        for j, key in enumerate(_list(record, "keys", f"key set {set_id}"), 1):
            what = f"key set {set_id}, key {j}"
            if not isinstance(key, dict):
                raise ValueError(f"{what}: not an object")
            status = _str(key, "status", what) or "enabled"
            keys.append(
                Key(
                    _str(key, "kid", what),
                    _str(key, "use", what),
                    _str(key, "kty", what),
                    status.casefold() != "disabled",
                    _date(key, "nbf", what),
                    _date(key, "exp", what),
                )
            )
        sets.append(KeySet(set_id, keys, lines.get(set_id, 1)))
    export.key_sets = sets


def _policies(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    export.policy_ids = [_str(r, "id", f"record {i}", required=True) for i, r in enumerate(records, 1)]


def _apps(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    apps = []
    for i, record in enumerate(records, 1):
        object_id = _str(record, "id", f"record {i}", required=True)
        what = f"{record.get('displayName') or object_id}"
        credentials = []
        for field, kind in (("passwordCredentials", "secret"), ("keyCredentials", "certificate")):
            for c in _list(record, field, what):
                if not isinstance(c, dict):
                    raise ValueError(f"{what}: {field} holds something that is not an object")
                label = f"{what}, {kind} {c.get('displayName') or c.get('keyId') or '?'}"
                credentials.append(
                    Credential(
                        kind,
                        _str(c, "keyId", label),
                        _str(c, "displayName", label),
                        _date(c, "startDateTime", label),
                        _date(c, "endDateTime", label),
                    )
                )
        apps.append(
            App(name, object_id, _str(record, "appId", what), _str(record, "displayName", what), credentials, lines.get(object_id, 1))
        )
    if name == "applications":
        export.apps = apps
    else:
        export.service_principals = apps


def _int(value: Any, field: str, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what}: {field} must be a whole number, not {json.dumps(value)[:40]}")
    return value


def _extensions(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    found = []
    for i, record in enumerate(records, 1):
        ext_id = _str(record, "id", f"record {i}", required=True)
        what = f"extension {record.get('displayName') or ext_id}"
        endpoint = record.get("endpointConfiguration") or {}
        auth = record.get("authenticationConfiguration") or {}
        client = record.get("clientConfiguration") or {}
        for field, value in (("endpointConfiguration", endpoint), ("authenticationConfiguration", auth), ("clientConfiguration", client)):
            if not isinstance(value, dict):
                raise ValueError(f"{what}: {field} must be an object or null")
        found.append(
            Extension(
                ext_id,
                _str(record, "displayName", what),
                _str(record, "@odata.type", what).rpartition(".")[2],
                _str(endpoint, "targetUrl", what) or None,
                _str(auth, "resourceId", what) or None,
                _int(client.get("timeoutInMilliseconds"), "timeoutInMilliseconds", what),
                _int(client.get("maximumRetries"), "maximumRetries", what),
                lines.get(ext_id, 1),
            )
        )
    export.extensions = found


def _linked_extensions(value: Any) -> list[str]:
    """Every `customExtension.id` under a flow's or listener's handlers."""
    found: list[str] = []
    if isinstance(value, dict):
        ext = value.get("customExtension")
        if isinstance(ext, dict) and isinstance(ext.get("id"), str):
            found.append(ext["id"])
        for child in value.values():
            found += _linked_extensions(child)
    elif isinstance(value, list):
        for child in value:
            found += _linked_extensions(child)
    return found


def _app_ids(record: dict[str, Any], what: str) -> list[str]:
    conditions = record.get("conditions") or {}
    applications = conditions.get("applications") if isinstance(conditions, dict) else None
    linked = (applications or {}).get("includeApplications") if isinstance(applications, dict) else None
    return [a["appId"] for a in linked or [] if isinstance(a, dict) and isinstance(a.get("appId"), str)]


def _flows(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    flows = []
    for i, record in enumerate(records, 1):
        flow_id = _str(record, "id", f"record {i}", required=True)
        what = f"user flow {record.get('displayName') or flow_id}"
        start = record.get("onInteractiveAuthFlowStart") or {}
        sign_up = bool(start.get("isSignUpAllowed", True)) if isinstance(start, dict) else True
        handlers = {k: v for k, v in record.items() if k.startswith("on")}
        flows.append(
            Flow(
                flow_id,
                _str(record, "displayName", what),
                _linked_extensions(handlers),
                _app_ids(record, what),
                sign_up,
                lines.get(flow_id, 1),
            )
        )
    export.flows = flows


def _listeners(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    listeners = []
    for i, record in enumerate(records, 1):
        listener_id = _str(record, "id", f"record {i}", required=True)
        kind = _str(record, "@odata.type", f"listener {listener_id}").rpartition(".")[2]
        listeners.append(
            Flow(
                listener_id,
                kind or "listener",
                _linked_extensions(record.get("handler")),
                _app_ids(record, listener_id),
                False,
                lines.get(listener_id, 1),
            )
        )
    export.listeners = listeners


def _workforce(export: Export, name: str, records: list[dict[str, Any]], lines: dict[str, int], where: str) -> None:
    """The workforce resources, read by `toolkit.tenant.workforce`."""
    if name == "authenticationMethodsPolicy":
        export.methods = workforce.methods(records)
    elif name == "conditionalAccessPolicies":
        export.ca_policies = workforce.policies(records, lines)
    elif name == "conditionalAccessGroups":
        export.ca_groups = workforce.groups(records, lines)
    elif name == "conditionalAccessUsers":
        export.ca_users = workforce.users(records, lines)
    elif name == "domains":
        export.domains = workforce.domains(records, lines)
    elif name == "organization":
        export.organization = workforce.organization(records, lines)
    elif name == "onPremisesSynchronization":
        export.password_sync = workforce.password_sync(records)
    elif name == "passThroughAuthenticationAgents":
        export.pta_agents = workforce.agents(records, lines)
    elif name == "connectorGroups":
        export.connector_groups = workforce.connector_groups(records, lines)
    elif name == "crossTenantAccessDefault":
        export.trust_default = workforce.inbound_trust(records, lines, partner=False)
    elif name == "crossTenantAccessPartners":
        export.trust_partners = workforce.inbound_trust(records, lines, partner=True)


WORKFORCE_READERS = dict.fromkeys(
    (
        "authenticationMethodsPolicy",
        "conditionalAccessPolicies",
        "conditionalAccessGroups",
        "conditionalAccessUsers",
        "domains",
        "organization",
        "onPremisesSynchronization",
        "passThroughAuthenticationAgents",
        "connectorGroups",
        "crossTenantAccessDefault",
        "crossTenantAccessPartners",
    ),
    _workforce,
)
