"""Operations endpoints: none of them calls the IdP."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sample_app.idp import idp
from sample_app.security import ops_allowed

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the session store takes a write (a probe entry, written and deleted); the IdP is
    deliberately not checked."""
    try:
        current_app.extensions["session_probe"]()
    except Exception as exc:  # any store failure means "not ready", never a 500
        response = jsonify(status="unavailable", reason=f"session store: {exc.__class__.__name__}")
        response.status_code = 503
        return response
    return jsonify(status="ready")


def _forbidden() -> Response:
    response = jsonify(error="forbidden", error_description="needs OPS_TOKEN or an address in OPS_ALLOWED_NETWORKS")
    response.status_code = 403
    return response


@bp.get("/status/idp")
def status() -> Response:
    """Breaker state, last success and failure, metadata age (from memory: no IdP call)."""
    if not ops_allowed():
        return _forbidden()
    return jsonify(idp().status())


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics."""
    if not ops_allowed():
        return _forbidden()
    return Response(generate_latest(idp().metrics.registry), mimetype=CONTENT_TYPE_LATEST)
