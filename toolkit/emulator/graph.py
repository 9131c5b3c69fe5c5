"""Microsoft Graph for a seeded tenant: what `b2c-toolkit tenant export` reads, served the way
Graph serves it, so the exporter is tested against answers shaped like the real ones.

    POST /{tenant-id}/oauth2/v2.0/token                    client credentials for https://graph.microsoft.com/.default
    GET  /{tenant-id}/v2.0/.well-known/openid-configuration  (what azure-identity asks first)
    GET  /graph/{version}/{resource path}                   one page of a collection, with @odata.nextLink
    GET  /graph/beta/trustFramework/policies/{id}/$value    a policy's XML
    GET  /graph/v1.0/identity/authenticationEventsFlows/{id}/conditions/applications/includeApplications
    GET  /graph/v1.0/groups/{id}, /groups/{id}/members, /users/{id}   (the ones Conditional Access names)

A seeded tenant is a folder shaped like an export (`{resource}.json` holding `{"value": [...]}`,
`policies/{id}.xml`) plus `graph.json`: the tenant id, the page size and the client apps that may
ask for tokens, each with the application permissions (roles) it was granted. Every endpoint checks
the token's roles against the permission `toolkit.tenant.resources` names for it and answers 403
`Authorization_RequestDenied` when it is missing, as Graph does. Faults come from the fault book
(group `graph`); a resource the tenant does not have answers 404, as a B2C endpoint does in an
External ID tenant.

A resource Graph reads only with a signed-in user's token (`Resource.delegated`: directory sync
features, pass-through authentication agents, Application Proxy connector groups) answers 403 to
an app-only token. A client marked `"delegated": true` in `graph.json` stands for an administrator
signed in with `az login`: its tokens carry its permissions as delegated scopes (`scp`, `idtyp`
`user`), so the tests can read those resources too (the emulator gives it a token for its client
secret: the device-code sign-in of a real user is not emulated).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Flask, Response, jsonify, request

from toolkit.tenant.resources import FLOW_APPLICATIONS, GRAPH_SCOPE, GRAPH_URL, RESOURCES

if TYPE_CHECKING:
    from toolkit.emulator.app import Emulator

#: the seeded tenants shipped with the emulator (`--graph-tenant NAME`)
SHIPPED = Path(__file__).resolve().parent / "graph_tenants"
#: the largest page a client may ask for with `$top` (Graph's limit for applications)
MAX_TOP = 999
TOKEN_LIFETIME = 3600


class GraphTenantError(ValueError):
    """A seeded tenant folder that cannot be served."""


@dataclass(frozen=True)
class GraphClient:
    """An app registration that may ask for Graph tokens, and the permissions granted to it."""

    client_id: str
    secret: str
    roles: tuple[str, ...]
    delegated: bool = False  #: stands for a signed-in administrator: scopes, not roles


@dataclass
class GraphTenant:
    """A seeded tenant: its collections by resource name, its policies' XML and its clients."""

    tenant_id: str
    domain: str
    collections: dict[str, list[dict[str, Any]]]
    policy_xml: dict[str, bytes]
    clients: dict[str, GraphClient]
    page_size: int = 2
    #: access token → (roles or scopes, expiry, delegated)
    tokens: dict[str, tuple[tuple[str, ...], float, bool]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def find_tenant(name_or_path: str) -> Path:
    """The folder of a shipped tenant (`b2c-problems`, `b2c-clean`, `external-id`) or a path."""
    shipped = SHIPPED / name_or_path
    if "/" not in name_or_path and shipped.is_dir():
        return shipped
    path = Path(name_or_path)
    if not path.is_dir():
        known = ", ".join(sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
        raise GraphTenantError(f"--graph-tenant {name_or_path}: no such folder or shipped tenant (shipped: {known})")
    return path


def load_tenant(folder: Path) -> GraphTenant:
    """Read a seeded tenant folder."""
    try:
        config = json.loads((folder / "graph.json").read_text(encoding="utf-8"))
        collections: dict[str, list[dict[str, Any]]] = {}
        for resource in RESOURCES:
            path = folder / resource.file
            if path.is_file():
                collections[resource.name] = list(json.loads(path.read_text(encoding="utf-8"))["value"])
        policy_xml = {}
        for policy in collections.get("policies", []):
            policy_xml[policy["id"].casefold()] = (folder / "policies" / f"{policy['id']}.xml").read_bytes()
        clients = {
            c["client_id"]: GraphClient(c["client_id"], c["secret"], tuple(c.get("roles", [])), bool(c.get("delegated", False)))
            for c in config.get("clients", [])
        }
        return GraphTenant(config["tenant_id"], config["domain"], collections, policy_xml, clients, int(config.get("page_size", 2)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GraphTenantError(f"{folder}: not a seeded Graph tenant ({exc.__class__.__name__}: {exc})") from None


def _error(status: int, code: str, message: str) -> Response:
    """Graph's error shape."""
    response = jsonify(error={"code": code, "message": message, "innerError": {"request-id": secrets.token_hex(8)}})
    response.status_code = status
    return response


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def register(app: Flask, emulator: Emulator, tenant: GraphTenant) -> None:
    """Serve `tenant` on `app`: its login endpoints (literal paths under its tenant id and domain,
    which win over the B2C paths with a variable first segment) and Graph under `/graph`."""
    bp = Blueprint("graph", __name__)

    def discovery() -> Response:
        base = f"{emulator.base_url}/{tenant.tenant_id}"
        return jsonify(
            issuer=f"{emulator.base_url}/{tenant.tenant_id}/v2.0",
            authorization_endpoint=f"{base}/oauth2/v2.0/authorize",
            token_endpoint=f"{base}/oauth2/v2.0/token",
            jwks_uri=f"{base}/discovery/v2.0/keys",
            token_endpoint_auth_methods_supported=["client_secret_post", "client_secret_basic"],
            response_types_supported=["code", "token"],
            subject_types_supported=["pairwise"],
            id_token_signing_alg_values_supported=["RS256"],
        )

    def token() -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "AADSTS70003: only client_credentials is served for Graph.")
        client = tenant.clients.get(form.get("client_id", ""))
        if client is None:
            return _oauth_error("unauthorized_client", f"AADSTS700016: Application '{form.get('client_id', '')}' was not found.")
        if not secrets.compare_digest(form.get("client_secret", ""), client.secret):
            return _oauth_error("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401)
        if form.get("scope", "").strip().casefold() != GRAPH_SCOPE.casefold():
            return _oauth_error("invalid_scope", f"AADSTS1002012: The provided value for scope {form.get('scope', '')!r} is not valid.")
        now = int(time.time())
        claims = {
            "aud": GRAPH_URL,
            "iss": f"https://sts.windows.net/{tenant.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "appid": client.client_id,
            "tid": tenant.tenant_id,
            "idtyp": "app",
            "roles": list(client.roles),
            "jti": secrets.token_hex(8),
        }
        if client.delegated:
            del claims["roles"]
            claims.update(idtyp="user", scp=" ".join(client.roles), upn=f"admin@{tenant.domain}")
        access = emulator.tokens._sign(claims)
        with tenant.lock:
            tenant.tokens = {t: v for t, v in tenant.tokens.items() if v[1] > time.time()}
            tenant.tokens[access] = (client.roles, time.time() + TOKEN_LIFETIME, client.delegated)
        return jsonify(token_type="Bearer", expires_in=TOKEN_LIFETIME, ext_expires_in=TOKEN_LIFETIME, access_token=access)

    for n, prefix in enumerate(dict.fromkeys((tenant.tenant_id, tenant.domain))):
        bp.add_url_rule(f"/{prefix}/v2.0/.well-known/openid-configuration", f"discovery{n}", discovery)
        bp.add_url_rule(f"/{prefix}/oauth2/v2.0/token", f"token{n}", token, methods=["POST"])

    @bp.get("/graph/<version>/<path:rest>")
    def graph(version: str, rest: str) -> Response:
        found = _roles(tenant)
        if found is None:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        roles, delegated = found
        path = "/" + rest
        for resource in RESOURCES:
            if path == resource.path or path.startswith(resource.path + "/"):
                break
        else:
            return _error(400, "BadRequest", f"Resource not found for the segment '{rest.split('/')[0]}'.")
        if version != resource.version:
            return _error(400, "BadRequest", f"Resource not found for the segment '{rest.split('/')[0]}' in {version}.")
        records = tenant.collections.get(resource.name)
        if records is None:  # before the permission: a seeded tenant of another kind has none of it
            return _error(404, "Request_ResourceNotFound", f"Resource '{resource.path}' does not exist in this tenant.")
        if resource.delegated and not delegated:
            return _error(403, "Authorization_RequestDenied", "This operation is not supported for application permissions.")
        if resource.permission not in roles and not ("Directory.Read.All" in roles and not resource.delegated):
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        below = path[len(resource.path) :].strip("/")
        if not below:
            if resource.single:
                body = {"@odata.context": f"{GRAPH_URL}/{version}/$metadata#{quote(rest)}/$entity", **records[0]}
                return jsonify(body)
            return _page(emulator, tenant, version, rest, [_without(r, resource.below) for r in records])
        item_id, _, tail = below.partition("/")
        item = next((r for r in records if str(r.get("id", "")).casefold() == item_id.casefold()), None)
        if item is None:
            return _error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{item_id}' does not exist or one of its queried reference-property objects are not present.",
            )
        if not tail:
            return jsonify(_without(item, resource.below))
        if resource.name == "policies" and tail == "$value":
            return Response(tenant.policy_xml[item_id.casefold()], content_type="application/xml")
        if resource.below and "/" + tail == resource.below:
            return _page(emulator, tenant, version, rest, item.get(resource.below.rsplit("/", 1)[1], []))
        if resource.name == "authenticationEventsFlows" and "/" + tail == FLOW_APPLICATIONS:
            linked = item.get("conditions", {}).get("applications", {}).get("includeApplications", [])
            return _page(emulator, tenant, version, rest, linked)
        return _error(400, "BadRequest", f"Resource not found for the segment '{tail.split('/')[0]}'.")

    app.register_blueprint(bp)


def _roles(tenant: GraphTenant) -> tuple[tuple[str, ...], bool] | None:
    """The token's permissions and whether it is a user's (delegated); None without a valid token."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    with tenant.lock:
        found = tenant.tokens.get(header[7:].strip())
    if found is None or found[1] < time.time():
        return None
    return found[0], found[2]


def _without(record: dict[str, Any], below: str) -> dict[str, Any]:
    """A record as a list shows it: a relationship read below it (a connector group's members) is not inline."""
    field = below.rsplit("/", 1)[1] if below else ""
    return {k: v for k, v in record.items() if k != field} if field in record else record


def _page(emulator: Emulator, tenant: GraphTenant, version: str, rest: str, records: list[dict[str, Any]]) -> Response:
    """One page of `records`, listed without the collections Graph leaves out of lists (a user
    flow's linked apps: `includeApplications` is `[]` in a list, its own endpoint has them)."""
    try:
        top = min(int(request.args.get("$top", tenant.page_size)), MAX_TOP)
        skip = int(request.args.get("$skiptoken", "0"))
    except ValueError:
        return _error(400, "BadRequest", "Invalid $top or $skiptoken.")
    if top < 1 or skip < 0:
        return _error(400, "BadRequest", "Invalid $top or $skiptoken.")
    flows = rest.rstrip("/").endswith("identity/authenticationEventsFlows")
    page = [_listed(r) if flows else r for r in records[skip : skip + top]]
    body: dict[str, Any] = {"@odata.context": f"{GRAPH_URL}/{version}/$metadata#{quote(rest)}", "value": page}
    if skip + top < len(records):
        query = urlencode({"$top": top, "$skiptoken": skip + top})
        body["@odata.nextLink"] = f"{emulator.base_url}/graph/{version}/{rest}?{query}"
    return jsonify(body)


def _listed(record: dict[str, Any]) -> dict[str, Any]:
    applications = record.get("conditions", {}).get("applications") if isinstance(record.get("conditions"), dict) else None
    if not isinstance(applications, dict) or "includeApplications" not in applications:
        return record
    conditions = {**record["conditions"], "applications": {**applications, "includeApplications": []}}
    return {**record, "conditions": conditions}
