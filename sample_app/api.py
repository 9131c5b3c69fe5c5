"""A protected API: bearer access tokens, validated against cached keys (works while B2C is down).

`/api/hello` serves users (delegated tokens with the `demo.read` scope); `/api/report` serves
daemons (app-only tokens with the `API_ROLE` app role, no user behind them)."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from sample_app.idp import IDP_ERRORS, idp
from toolkit.resilience.keys import TokenInvalid, validate

bp = Blueprint("api", __name__, url_prefix="/api")
SCOPE = "demo.read"


def _refuse(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    # the description may quote the token (its alg): RFC 6750 allows printable ASCII without " and \
    # there, and anything else would not even encode (a 500)
    quoted = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in description)
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{quoted}"'
    return response


def _claims(required_scope: str | None) -> dict[str, Any] | Response:
    """The validated claims of the request's bearer token, or the refusal to answer with."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _refuse(401, "invalid_request", "a bearer token is required")
    try:
        return validate(
            header[7:].strip(), idp().keys, issuer=idp().issuer(), audience=idp().config["B2C_API_AUDIENCE"], required_scope=required_scope
        )
    except TokenInvalid as exc:
        return _refuse(401, "invalid_token", str(exc))
    except IDP_ERRORS as exc:
        if not idp().resilient:  # what typical samples do: a token that cannot be checked now is refused
            return _refuse(401, "invalid_token", "the token could not be validated")
        response = _refuse(503, "temporarily_unavailable", "signing keys are not available yet")
        wait = getattr(exc, "retry_after", None) or idp().config["BREAKER_RESET_S"]
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response


@bp.get("/hello")
def hello() -> Response:
    """Greets the caller named by a valid access token with the `demo.read` scope."""
    claims = _claims(SCOPE)
    if isinstance(claims, Response):
        return claims
    return jsonify(message=f"Hello, {claims.get('name') or 'user'}", oid=claims.get("oid"), scopes=str(claims.get("scp", "")).split())


@bp.get("/report")
def report() -> Response:
    """For daemons: an app-only token (no `scp`: no user behind it) with the API_ROLE app role."""
    claims = _claims(None)
    if isinstance(claims, Response):
        return claims
    role = idp().config["API_ROLE"]
    roles = claims.get("roles")
    if "scp" in claims or not isinstance(roles, list) or role not in roles:
        return _refuse(403, "insufficient_scope", f"an app-only token with the {role} role is required")
    return jsonify(app=claims.get("azp"), roles=roles, generated_at=int(time.time()))
