"""Operations endpoints: none of them calls the IdP."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sample_app.idp import idp
from sample_app.security import ops_allowed
from sample_app.sessions import STORE_RETRY_AFTER_S

bp = Blueprint("ops", __name__)
LOG = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the session store takes a write (a probe entry, written and deleted); the IdP is
    deliberately not checked. A store that answers but lost its data (a Redis restarted empty:
    every signed-in user was signed out) is still ready, and the answer says what happened."""
    try:
        current_app.extensions["session_probe"]()
        kept = current_app.extensions["session_store_kept"]()
    except Exception as exc:  # any store failure means "not ready", never a 500
        response = jsonify(status="unavailable", reason=f"session store: {exc.__class__.__name__}")
        response.status_code = 503
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        return response
    if not kept:
        idp().metrics.degraded.labels("sessions_lost").inc()
        LOG.error("the session store lost its data: signed-in users must sign in again", extra={"event": "session_store_lost"})
        return jsonify(status="ready", store="lost its data: users who were signed in must sign in again")
    return jsonify(status="ready", store="ok")


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
