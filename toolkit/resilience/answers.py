"""What a good answer from the IdP looks like: checked before anything trusts, stores or caches it.

A 200 is not a good answer by itself. A load balancer's HTML page, an empty key set, `{}`, a body
of many megabytes, a discovery document without its endpoints or naming another issuer all come
with a 200, and each one, once stored as the last-known-good copy, would refuse genuine tokens
during the next outage. Every reader (the app, the daemon, msal through the http client, a copy
read back from disk) goes through `problem()`; a bad answer is an IdP failure, never a copy.
"""

from __future__ import annotations

import json
from typing import Any

import jwt

#: the largest body taken from the IdP: discovery documents and key sets are a few kilobytes
MAX_BODY_BYTES = 512 * 1024
#: what a discovery document must name for msal and the app to work
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class BadAnswer(ValueError):
    """An answer that looks like success but cannot be used; the message says why."""


def kind_of(path: str) -> str | None:
    """`metadata`, `jwks` or `token` for the IdP's documents a client checks, else None."""
    if path.endswith("openid-configuration"):
        return "metadata"
    if path.endswith("/keys"):
        return "jwks"
    if path.endswith("/token"):
        return "token"
    return None


def signing_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """The usable RSA signing keys of a JWKS document by `kid` (keys meant for encryption, of
    other types, or that do not load are left out)."""
    keys = document.get("keys") if isinstance(document, dict) else None
    found: dict[str, jwt.PyJWK] = {}
    for entry in keys if isinstance(keys, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            found[kid] = jwt.PyJWK(entry)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return found


def _document(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise BadAnswer("not JSON" + (" (an HTML page)" if body.lstrip()[:1] == "<" else "")) from None


def check_metadata(document: Any, issuer: str | None) -> None:
    """Raise BadAnswer unless `document` is a discovery document naming `issuer` (when given)."""
    if not isinstance(document, dict):
        raise BadAnswer("not a JSON object")
    for name in ("issuer", *REQUIRED_ENDPOINTS):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise BadAnswer(f"no {name}")
    if issuer is not None and document["issuer"] != issuer:
        raise BadAnswer(f"issuer {document['issuer']!r} is not the expected {issuer!r}")


def problem(kind: str | None, body: str, issuer: str | None = None) -> str | None:
    """Why `body`, answered with a 2xx for a document of `kind`, must not be used; None when it
    may. `issuer`: the issuer a discovery document must name (None: any)."""
    if len(body) > MAX_BODY_BYTES:
        return f"body over {MAX_BODY_BYTES} bytes"
    if kind is None:
        return None
    try:
        document = _document(body)
        if kind == "metadata":
            check_metadata(document, issuer)
        elif kind == "jwks" and not signing_keys(document):
            raise BadAnswer("no usable signing key")
        elif kind == "token" and not isinstance(document, dict):
            raise BadAnswer("not a JSON object")
    except BadAnswer as exc:
        return str(exc)
    return None


def issuer_of(body: str | None) -> str | None:
    """The issuer a stored discovery document names, or None."""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return None
    value = document.get("issuer") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None
