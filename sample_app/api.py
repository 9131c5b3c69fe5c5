"""A protected API: bearer access tokens, validated against cached keys (works while B2C is down)."""

from __future__ import annotations

import math

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


@bp.get("/hello")
def hello() -> Response:
    """Greets the caller named by a valid access token with the `demo.read` scope."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _refuse(401, "invalid_request", "a bearer token is required")
    try:
        claims = validate(
            header[7:].strip(), idp().keys, issuer=idp().issuer(), audience=idp().config["B2C_API_AUDIENCE"], required_scope=SCOPE
        )
    except TokenInvalid as exc:
        return _refuse(401, "invalid_token", str(exc))
    except IDP_ERRORS as exc:
        response = _refuse(503, "temporarily_unavailable", "signing keys are not available yet")
        wait = getattr(exc, "retry_after", None) or idp().config["BREAKER_RESET_S"]
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    return jsonify(message=f"Hello, {claims.get('name') or 'user'}", oid=claims.get("oid"), scopes=str(claims.get("scp", "")).split())
