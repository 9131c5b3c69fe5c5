"""The OpenID Connect endpoints with B2C's URL layout: discovery, keys, token, logout."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from toolkit.emulator.flavors import DAEMON_ROLE
from toolkit.emulator.tokens import GrantError, same

if TYPE_CHECKING:
    from toolkit.emulator.app import Emulator

bp = Blueprint("oidc", __name__)
SSO_COOKIE = "x-ms-cpim-sso"


def emulator() -> Emulator:
    """The running emulator."""
    found: Emulator = current_app.extensions["b2c_emulator"]
    return found


def resolve(tenant: str, policy: str) -> str:
    """The served policy for a `/{tenant}/{policy}` path, or a 404 like B2C's."""
    t = emulator().state.tenant
    if tenant.casefold() not in {t.domain.casefold(), t.tenant_id, t.name.casefold()}:
        abort(make_response(jsonify(error="invalid_tenant", error_description=f"AADB2C90025: Tenant '{tenant}' not found."), 404))
    found = emulator().policy(policy)
    if found is None:
        abort(
            make_response(
                jsonify(
                    error="invalid_request", error_description=f"AADB2C90008: The policy '{policy}' does not exist in tenant '{t.domain}'."
                ),
                404,
            )
        )
    return str(found)


def has_control_characters(text: str) -> bool:
    """True when `text` holds a C0 or C1 control character (CR, LF, NUL, DEL, ...): such a value
    matches no registered URI and must never reach a response header."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def loopback_or_registered(uri: str) -> bool:
    """Redirect URIs the emulator accepts: loopback ones, or ones given with --redirect-uri."""
    if has_control_characters(uri):
        return False
    if uri in emulator().redirect_uris:
        return True
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost", "::1")


def metadata(tenant: str, policy: str) -> dict[str, Any]:
    """The discovery document of one policy (or, for External ID, of the tenant)."""
    flavor = emulator().flavor
    base = flavor.endpoint_base(emulator().host, emulator().state.tenant, tenant, policy)
    return {
        "issuer": emulator().tokens.issuer(emulator().host),
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "response_types_supported": [
            "code",
            "code id_token",
            "code token",
            "code id_token token",
            "id_token",
            "id_token token",
            "token",
            "token id_token",
        ],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": flavor.claims_supported(),
    }


@bp.get("/<tenant>/<policy>/v2.0/.well-known/openid-configuration")
@bp.get("/<tenant>/<policy>/.well-known/openid-configuration")
def discovery(tenant: str, policy: str) -> Response:
    """OpenID Connect discovery for a policy."""
    return _cacheable(metadata(tenant, resolve(tenant, policy)))


@bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
def discovery_by_query(tenant: str) -> Response:
    """The older `?p=POLICY` form of discovery."""
    policy = resolve(tenant, request.args.get("p", ""))
    return _cacheable(metadata(tenant, policy))


@bp.get("/<tenant>/<policy>/discovery/v2.0/keys")
@bp.get("/<tenant>/<policy>/discovery/keys")
def keys(tenant: str, policy: str) -> Response:
    """The JWKS: the active signing key and retired keys still in their grace period."""
    resolve(tenant, policy)
    return _cacheable(emulator().tokens.jwks())


def _cacheable(data: dict[str, Any]) -> Response:
    response = jsonify(data)
    response.headers["Cache-Control"] = "max-age=86400, private"
    return response


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    correlation = f"\r\nCorrelation ID: {secrets.token_hex(16)}\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}\r\n"
    response = jsonify(error=error, error_description=description + correlation)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _client_credentials() -> tuple[str, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise GrantError(
                "invalid_client", "AADB2C90081: The client credentials in the Authorization header are malformed.", 401
            ) from None
        return unquote(user), unquote(secret)
    return request.form.get("client_id", ""), request.form.get("client_secret")


@bp.post("/<tenant>/<policy>/oauth2/v2.0/token")
def token(tenant: str, policy: str) -> Response:
    """The token endpoint: authorization code (with PKCE), refresh token (rolling), ROPC (B2C), and
    client credentials (app-only tokens)."""
    policy = resolve(tenant, policy)
    emu = emulator()
    try:
        if not request.form:
            raise GrantError("invalid_request", "AADB2C90083: The request is missing required parameter: grant_type.")
        client_id, secret = _client_credentials()
        grant = request.form.get("grant_type", "")
        app = emu.state.app(client_id, DAEMON_ROLE)
        if app is None:
            raise GrantError(
                "unauthorized_client",
                f"AADB2C90018: The client id '{client_id}' specified in the request is not registered in tenant '{emu.state.tenant.domain}'.",
            )
        ropc = grant == "password" and emu.role(policy) == "ropc"
        if not ropc and (secret is None or not same(secret, app.secret)):
            raise GrantError(
                "invalid_client", "AADB2C90081: The specified client_secret does not match the expected value for this client.", 401
            )
        if grant not in emu.flavor.grants:
            raise GrantError("unsupported_grant_type", f"AADB2C90086: The supplied grant_type [{grant}] is not supported.")
        if grant == "client_credentials":
            return jsonify(emu.tokens.app_token_response(emu.host, app, request.form.get("scope", "")))
        if not app.signs_in_users:
            raise GrantError("unauthorized_client", f"AADB2C90018: The client '{client_id}' may use the client credentials grant only.")
        if grant == "authorization_code":
            return jsonify(_redeem(policy))
        if grant == "refresh_token":
            return jsonify(_refresh(policy, client_id))
        if grant == "password":
            return jsonify(_ropc(policy, client_id))
        raise GrantError("unsupported_grant_type", f"AADB2C90086: The supplied grant_type [{grant}] is not supported.")
    except GrantError as exc:
        return _oauth_error(exc.error, exc.description, exc.status)


def _required(name: str) -> str:
    value = request.form.get(name)
    if not value:
        raise GrantError("invalid_request", f"AADB2C90083: The request is missing required parameter: {name}.")
    return value


def _redeem(policy: str) -> dict[str, Any]:
    emu = emulator()
    code = emu.tokens.redeem_code(
        _required("code"), policy, emu.state.tenant.client_id, _required("redirect_uri"), request.form.get("code_verifier")
    )
    user = emu.state.user_by_oid(code.oid)
    if user is None:
        raise GrantError("invalid_grant", "AADB2C90128: The account associated with this grant no longer exists.")
    scope = request.form.get("scope") or code.scope
    return dict(emu.tokens.token_response(emu.host, user, policy, code.client_id, scope, code.nonce, code.auth_time))


def _refresh(policy: str, client_id: str) -> dict[str, Any]:
    emu = emulator()
    user, claims = emu.tokens.read_refresh_token(_required("refresh_token"), policy, client_id)
    scope = request.form.get("scope") or str(claims.get("scope", "openid offline_access"))
    if "offline_access" not in scope.split():
        scope += " offline_access"
    return dict(emu.tokens.token_response(emu.host, user, policy, client_id, scope, None, int(claims["auth_time"])))


def _ropc(policy: str, client_id: str) -> dict[str, Any]:
    emu = emulator()
    user = emu.state.find_user(_required("username"))
    if user is None or not same(_required("password"), user.password):
        raise GrantError("invalid_grant", "AADB2C90225: The username or password provided in the request are invalid.")
    scope = request.form.get("scope", "openid")
    return dict(emu.tokens.token_response(emu.host, user, policy, client_id, scope, None, int(time.time())))


@bp.get("/<tenant>/<policy>/oauth2/v2.0/logout")
def logout(tenant: str, policy: str) -> Response:
    """End the SSO session and go back to the app."""
    resolve(tenant, policy)
    target = request.args.get("post_logout_redirect_uri", "")
    if target and loopback_or_registered(target):
        state = request.args.get("state")
        response = redirect(target + (("&" if "?" in target else "?") + urlencode({"state": state}) if state else ""))
    else:
        response = make_response(render_template("signed_out.html"))
    response.delete_cookie(f"{SSO_COOKIE}:{emulator().state.tenant.domain}", path="/")
    return response
