"""The admin API under `/_emulator`, answered only to loopback clients.

GET    /_emulator/faults          active faults, timeline, request counts per group and status
POST   /_emulator/faults          add one fault (a JSON object) or several (a list)
DELETE /_emulator/faults          clear every fault and stop the timeline
POST   /_emulator/timeline        {"timeline": [{"at_s", "fault", "duration_s"}, ...]}
POST   /_emulator/keys/rotate     {"grace_s": 300}: sign with a new key from now on
GET    /_emulator/config          what `b2c-toolkit emulator --print-config` prints
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from toolkit.emulator.faults import DEFAULT_GRACE_S, GRACE_S, Fault, FaultError, number
from toolkit.emulator.oidc import emulator

bp = Blueprint("admin", __name__, url_prefix="/_emulator")


@bp.before_request
def loopback_only() -> Response | None:
    """Refuse every client that is not on this machine's loopback interface."""
    try:
        if ipaddress.ip_address(request.remote_addr or "").is_loopback:
            return None
    except ValueError:
        pass
    response = jsonify(error="forbidden", error_description="the admin API answers loopback clients only")
    response.status_code = 403
    return response


def _bad(message: str) -> Response:
    response = jsonify(error="invalid_fault", error_description=message)
    response.status_code = 400
    return response


def _not_json(constant: str) -> Any:
    raise FaultError(f"{constant} is not a JSON number: send finite numbers only")


def _body(empty: Any = None) -> Any:
    """The request's JSON body (`empty` when there is none). Standard JSON only: Python's parser
    takes NaN and Infinity, which would pass through to the answers and keys.json."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return empty
    try:
        return json.loads(raw, parse_constant=_not_json)
    except FaultError:  # NaN or Infinity, named by _not_json
        raise
    except (ValueError, RecursionError) as exc:
        raise FaultError(f"the body is not valid JSON: {exc}") from None


@bp.get("/faults")
def show() -> Response:
    """Active faults, the timeline and request counters."""
    return jsonify(emulator().faults.show())


@bp.post("/faults")
def add() -> Response:
    """Add one fault or a list of them."""
    try:
        data = _body()
        specs = data if isinstance(data, list) else [data]
        if not all(isinstance(s, dict) for s in specs):
            raise FaultError("send a JSON object (or a list of them) describing the fault")
        faults = [Fault.from_dict(s) for s in specs if isinstance(s, dict)]
    except FaultError as exc:
        return _bad(str(exc))
    for fault in faults:
        emulator().faults.add(fault)
    response = jsonify(faults=[f.public() for f in faults])
    response.status_code = 201
    return response


@bp.delete("/faults")
def clear() -> Response:
    """Back to normal service at once."""
    emulator().faults.clear()
    return jsonify(emulator().faults.show())


@bp.post("/timeline")
def timeline() -> Response:
    """Play a fault timeline from now."""
    try:
        data = _body()
        entries = data.get("timeline") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            return _bad('send {"timeline": [{"at_s": 0, "fault": {...}, "duration_s": 10}, ...]}')
        emulator().faults.play(entries)
    except (FaultError, TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify(emulator().faults.show())


@bp.post("/keys/rotate")
def rotate() -> Response:
    """Rotate the token signing key now; the old key stays in the JWKS for grace_s seconds."""
    try:
        data = _body(empty={})
        if not isinstance(data, dict) or set(data) - {"grace_s"}:
            raise FaultError(f'send {{"grace_s": SECONDS}} (or nothing, for {DEFAULT_GRACE_S:g} s)')
        grace = number(data.get("grace_s", DEFAULT_GRACE_S), "grace_s", *GRACE_S)
    except FaultError as exc:
        return _bad(str(exc))
    key = emulator().state.rotate_keys(grace)
    return jsonify(kid=key.kid, published=[k.kid for k in emulator().state.published_keys()])


@bp.get("/config")
def config() -> Response:
    """The connection details an app needs (secrets included: loopback only)."""
    return jsonify(emulator().flavor.client_config(emulator().state, emulator().base_url))
