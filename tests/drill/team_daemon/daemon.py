"""A team's own daemon, written the plain way: msal's client credentials in a loop, calling an API
once a second with the token msal gives it (from its cache, or new). Nothing about resilience
beyond what msal does itself. It is the toolkit's only in name: the drill runs it through the
profile beside it, as it would run any team's.

Settings from the environment: AUTHORITY, CLIENT_ID, CLIENT_SECRET, SCOPE, API_URL, CA_BUNDLE.
For the drill it reports to the file DRILL_EVENTS names, one JSON object a line: each call of the
API and each token request that leaves it (what `b2c-toolkit drill` reads from a daemon).
"""

import json
import os
import signal
import sys
import time

import msal
import requests


def main() -> int:
    events = open(os.environ["DRILL_EVENTS"], "a", buffering=1)  # noqa: SIM115 (open for the whole run)

    def report(**event):
        print(json.dumps(event), file=events)

    class Session(requests.Session):
        """msal's HTTP client: every POST it sends is a token request, reported as it leaves."""

        def post(self, url, *args, **kwargs):
            started = time.time()
            try:
                reply = super().post(url, *args, **kwargs)
            except requests.RequestException:
                report(t=started, event="token", outcome="connection_error")
                raise
            report(t=started, event="token", outcome="ok" if reply.ok else f"http_{reply.status_code}")
            return reply

    session = Session()
    session.verify = os.environ.get("CA_BUNDLE") or True
    app = msal.ConfidentialClientApplication(
        os.environ["CLIENT_ID"],
        client_credential=os.environ["CLIENT_SECRET"],
        authority=os.environ["AUTHORITY"],
        http_client=session,
        instance_discovery=False,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        started = time.time()
        try:
            result = app.acquire_token_for_client([os.environ["SCOPE"]])
            if "access_token" in result:
                reply = session.get(os.environ["API_URL"], headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10)
                outcome = "ok" if reply.ok else f"http_{reply.status_code}"
            else:
                outcome = f"no_token_{result.get('error')}"
        except (requests.RequestException, ValueError) as exc:
            outcome = exc.__class__.__name__
        ms = round((time.time() - started) * 1000, 1)
        report(t=started, event="call", outcome=outcome, ms=ms, refused=int(outcome == "http_401"))
        time.sleep(max(0.0, 1.0 - (time.time() - started)))


if __name__ == "__main__":
    sys.exit(main())
