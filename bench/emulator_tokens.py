"""Token requests per second the emulator sustains on this machine (target: >= 200/s, the real
tenant ceiling, so the drill can reproduce throttling without the emulator being the bottleneck).

    python bench/emulator_tokens.py [--seconds 10] [--clients 2] [--threads 8]

Starts `b2c-toolkit emulator` (gunicorn, TLS) on a free port, gets one refresh token through the
real sign-in flow, then has client processes redeem refresh tokens (each answer is a new signed id
and access token and a rolling refresh token) over keep-alive connections for a fixed time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._load import hammer  # noqa: E402
from tests.support import REDIRECT_URI, start_emulator, stop_emulator  # noqa: E402
from toolkit import flows  # noqa: E402


def redeem(session: requests.Session, state: dict[str, Any]) -> bool:
    """One refresh-token redemption; keeps the rolling refresh token."""
    reply = session.post(state["url"], data=state["form"], timeout=30)
    if reply.status_code != 200:
        return False
    state["form"] = {**state["form"], "refresh_token": reply.json()["refresh_token"]}
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per client process")
    args = parser.parse_args()
    emulator = start_emulator(Path(tempfile.mkdtemp()))
    try:
        app = emulator.cca()
        flow = app.initiate_auth_code_flow([emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
        arrival = flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"])
        tokens = app.acquire_token_by_auth_code_flow(flow, arrival.params)
        form = {
            "grant_type": "refresh_token",
            "client_id": emulator.config["client_id"],
            "client_secret": emulator.config["client_secret"],
            "scope": f"{emulator.config['api_scope']} openid offline_access",
            "refresh_token": tokens["refresh_token"],
        }
        state = {"url": emulator.authority() + "/oauth2/v2.0/token", "form": form}
        ok, failed, elapsed = hammer(redeem, emulator.config["ca_bundle"], state, args.seconds, args.clients, args.threads)
    finally:
        stop_emulator(emulator)
    print(f"{ok} token responses, {failed} failures in {elapsed:.1f} s with {args.clients}x{args.threads} keep-alive clients")
    print(f"token requests per second: {ok / elapsed:.0f} (target >= 200)")


if __name__ == "__main__":
    main()
