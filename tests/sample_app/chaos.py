"""Fault space searched, not enumerated: seeded random sequences of IdP faults (those that look
like faults and those that look like success), key rotations, app restarts, and disk and session
store failures, played against the real stack (the emulator over HTTPS, the reference app under
gunicorn with two workers, the reference daemon), with invariants checked after every step:

- a genuine token whose key the app has accepted once is accepted again (200) by every worker;
  a token with a key it has never seen is accepted or answered 503 with Retry-After: never 401,
  never 500. While the cache folder is broken (here: gone, so its copies cannot be read either),
  a worker that did not hold the metadata or keys in memory may answer 503, never 401; and a key
  accepted meanwhile is known to the worker that fetched it only, until the folder is repaired and
  the copy written again (2.5 s);
- a signed-in user is never signed out (while the session store works) and gets no 500;
- no request outlives the IdP budget plus a margin;
- no bad answer is ever kept as a last-known-good copy;
- readiness says 503 exactly when the session store cannot be written;
- the daemon never storms the token endpoint, and calls the API again once the IdP is back.

`run(seed, steps, root)` plays one sequence and returns the violations, each with the step that
showed it; a seed replays a sequence (the IdP's timing differs, the choices do not).
`tests/sample_app/test_chaos.py` runs fixed seeds in CI; `bench/chaos.py` runs fresh ones for as
long as asked.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests

from tests.sample_app.conftest import APP_ENV, DAEMON_MAX_BACKOFF_S, Stack, access_token, start_daemon, start_stack
from toolkit.drill import processes
from toolkit.emulator.state import load_state
from toolkit.resilience.answers import kind_of, problem

BUDGET_S = 2.0
#: what a request may take past the budget: TLS to the app, the app's own work, a loaded machine
MARGIN_S = 2.5
APP = {
    **APP_ENV,
    "IDP_REQUEST_BUDGET_S": str(BUDGET_S),
    "IDP_READ_TIMEOUT_S": "1.5",
    "IDP_KEYS_MIN_REFRESH_S": "0",  # rotations come seconds apart here
    "IDP_RETRY_AFTER_CAP_S": "5",
}
#: the most token requests the daemon may make in any 10 s (a storm is one per call: 50)
DAEMON_TOKENS_PER_10_S = 8
ANSWERS = ("html", "empty-object", "empty-keys", "missing-fields", "wrong-issuer", "huge")


def random_fault(rng: random.Random) -> dict[str, Any]:
    """One fault of any kind the emulator knows, on the IdP's documents or everywhere."""
    group = rng.choice(["metadata", "jwks", "token", "all"])
    kind = rng.choice(["outage", "error", "throttle", "latency", "bad-answer", "bad-answer", "dribble"])
    spec: dict[str, Any] = {"kind": kind, "group": group, "duration_s": rng.choice([None, 1.0, 3.0])}
    if kind == "outage":
        spec["mode"] = rng.choice(["503", "reset", "cut"])
    elif kind == "error":
        spec["status"] = rng.choice([500, 502, 503, 504])
    elif kind == "throttle":
        spec["retry_after"] = rng.choice([1, 5, 86_400, 2_300_000_000])
        spec["retry_after_date"] = rng.random() < 0.5
    elif kind == "latency":
        spec["latency_ms"] = rng.choice([300, 1500, 4000])
    elif kind == "bad-answer":
        spec["group"] = rng.choice(["metadata", "jwks"])
        spec["answer"] = rng.choice(ANSWERS)
    else:
        spec["group"] = rng.choice(["metadata", "jwks"])
        spec["bytes_per_s"] = rng.choice([1.0, 50.0])
        spec["endless"] = rng.random() < 0.5
    return {k: v for k, v in spec.items() if v is not None}


@dataclass
class World:
    """The stack under test and what the checks know about it."""

    root: Path
    rng: random.Random
    stack: Stack
    template: dict[str, Any]  #: the claims of a genuine access token, re-signed for each new key
    user: requests.Session  #: signed in before the first step
    daemon: subprocess.Popen[bytes]
    seen: dict[str, str] = field(default_factory=dict)  #: kid → a token the app accepted
    unseen: dict[str, str] = field(default_factory=dict)  #: kid → a token signed with a key not yet accepted
    broken: set[str] = field(default_factory=set)  #: "cache" and/or "store": folders that cannot be written
    repaired_at: float = 0.0
    #: kid → until when another worker may not know it (None: until the cache folder is repaired)
    unshared: dict[str, float | None] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def app_dir(self) -> Path:
        return self.root / "app"

    # -- requests, timed ----------------------------------------------------------------------

    def get(self, client: requests.Session, path: str, violations: list[str], **kwargs: Any) -> requests.Response | None:
        start = time.monotonic()
        try:
            reply = client.get(self.stack.url + path, timeout=BUDGET_S + MARGIN_S + 5, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            violations.append(f"GET {path}: no answer ({exc.__class__.__name__})")
            return None
        took = time.monotonic() - start
        if took > BUDGET_S + MARGIN_S:
            violations.append(f"GET {path}: {took:.1f} s, past the budget {BUDGET_S} s + {MARGIN_S} s")
        if reply.status_code >= 500 and reply.status_code != 503:
            violations.append(f"GET {path}: {reply.status_code}")
        if reply.status_code == 503 and "Retry-After" not in reply.headers:
            violations.append(f"GET {path}: 503 without Retry-After")
        return reply

    def hello(self, token: str, violations: list[str]) -> int | None:
        reply = self.get(self.stack.client(), "/api/hello", violations, headers={"Authorization": f"Bearer {token}"})
        return None if reply is None else reply.status_code

    # -- actions ------------------------------------------------------------------------------

    def mint(self) -> None:
        """A genuine token signed with the emulator's active key (as its token endpoint would)."""
        key = load_state(self.stack.emulator.state_dir).active_key
        now = int(time.time())
        claims = {**self.template, "iat": now, "nbf": now, "exp": now + 3600}
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})
        if key.kid not in self.seen:
            self.unseen[key.kid] = token

    def act(self) -> str:
        """One random step; what it did."""
        actions: list[tuple[int, Callable[[], str]]] = [
            (6, self.fault),
            (2, self.clear),
            (2, self.rotate),
            (1, self.restart),
            (1, self.break_folder),
            (2, self.repair),
            (1, self.pause),
        ]
        chosen = self.rng.choices([a for _, a in actions], weights=[w for w, _ in actions])[0]
        return chosen()

    def fault(self) -> str:
        spec = random_fault(self.rng)
        self.stack.emulator.fault(**spec)
        return f"fault {json.dumps(spec, sort_keys=True)}"

    def clear(self) -> str:
        self.stack.emulator.clear()
        return "clear faults"

    def rotate(self) -> str:
        # old keys stay published for the whole run: a key the IdP withdrew may be refused
        self.stack.emulator.session().post(self.stack.emulator.url + "/_emulator/keys/rotate", json={"grace_s": 3600}, timeout=10)
        self.mint()
        return "rotate keys"

    def restart(self) -> str:
        if "cache" in self.broken or time.monotonic() - self.repaired_at < 1.5:
            return self.pause()  # a copy not yet written again may be lost with the process: not a fault of the app
        port = urlsplit(self.stack.url).port or 0  # the same address: the daemon and the user keep it
        self.stack.app.stop()
        self.stack.app = processes.start_app(self.stack.emulator.state_dir, self.app_dir, port=port, env=APP, workers=2, threads=8)
        return "restart the app"

    def break_folder(self) -> str:
        which = self.rng.choice(["cache", "store"])
        folder = self._folder(which)
        if which not in self.broken and folder.is_dir():
            folder.rename(folder.with_name(folder.name + ".away"))
            folder.write_text("a full disk")  # nothing can be written below a file, as root too
            self.broken.add(which)
        return f"break the {which} folder"

    def repair(self) -> str:
        for which in sorted(self.broken):
            folder = self._folder(which)
            folder.unlink()
            folder.with_name(folder.name + ".away").rename(folder)
        self.broken.clear()
        self.repaired_at = time.monotonic()
        self.unshared = {kid: until or self.repaired_at + 2.5 for kid, until in self.unshared.items()}
        return "repair the folders"

    def pause(self) -> str:
        seconds = self.rng.choice([0.5, 1.0, 2.0])
        time.sleep(seconds)
        return f"wait {seconds} s"

    def _folder(self, which: str) -> Path:
        return self.app_dir / ("idp-cache" if which == "cache" else "sessions")

    # -- invariants ---------------------------------------------------------------------------

    def check(self) -> list[str]:
        violations: list[str] = []
        for kid, token in list(self.seen.items()):
            status = self.hello(token, violations)
            until = self.unshared.get(kid, 0.0)
            unshared = kid in self.unshared and (until is None or time.monotonic() < until)
            if status not in (200, None) and not (status == 503 and (unshared or "cache" in self.broken)):
                violations.append(f"a token whose key {kid} the app accepted before got {status}")
        for kid, token in list(self.unseen.items()):
            status = self.hello(token, violations)
            if status == 200:
                self.seen[kid] = self.unseen.pop(kid)
                if "cache" in self.broken:
                    self.unshared[kid] = None
            elif status not in (503, None):
                violations.append(f"a genuine token with the new key {kid} got {status}")
        store_ok = "store" not in self.broken
        for path in ("/profile", "/call-api"):
            reply = self.get(self.user, path, violations)
            if reply is not None and store_ok and reply.status_code != 200:
                violations.append(f"the signed-in user got {reply.status_code} from {path}")
        self.get(self.stack.client(), "/auth/login", violations)
        ready = self.get(self.stack.client(), "/readyz", violations)
        if ready is not None and (ready.status_code == 200) != store_ok:
            violations.append(f"/readyz said {ready.status_code} with the session store {'working' if store_ok else 'unwritable'}")
        violations += self.bad_copies()
        return violations

    def bad_copies(self) -> list[str]:
        folder = self._folder("cache")
        folder = folder if folder.is_dir() else folder.with_name(folder.name + ".away")
        issuer = self.template["iss"]
        found = []
        for path in folder.glob("*.json"):
            try:
                entry = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if "url" in entry and "body" in entry:
                why = problem(
                    kind_of(urlsplit(entry["url"]).path), entry["body"], issuer if entry["url"].endswith("configuration") else None
                )
                if why is not None:
                    found.append(f"a bad answer was kept as last-known-good ({path.name}): {why}")
        return found

    def daemon_violations(self, summary: dict[str, Any]) -> list[str]:
        times = [entry["at_s"] for entry in summary["token_request_log"]]
        busiest = max((sum(1 for t in times if start <= t < start + 10) for start in times), default=0)
        found = []
        if busiest > DAEMON_TOKENS_PER_10_S:
            found.append(f"the daemon made {busiest} token requests in 10 s (a storm)")
        if not summary["outcomes"].get("ok"):
            found.append(f"the daemon never called the API successfully: {summary['outcomes']}")
        return found


def run(seed: int, steps: int, root: Path) -> list[str]:
    """Play `steps` random steps from `seed`; the violations found, each naming its step."""
    root.mkdir(parents=True, exist_ok=True)
    stack = start_stack(root, app_env=APP, workers=2, threads=8)
    daemon: subprocess.Popen[bytes] | None = None
    violations: list[str] = []
    try:
        token = access_token(stack.emulator)
        template = jwt.decode(token, options={"verify_signature": False})
        daemon, summary_file = start_daemon(stack, root, interval_s=0.2)
        world = World(root, random.Random(seed), stack, template, stack.signed_in(), daemon)
        world.seen[jwt.get_unverified_header(token)["kid"]] = token
        for number in range(1, steps + 1):
            done = world.act()
            world.log.append(done)
            violations += [f"seed {seed} step {number} ({done}): {v}" for v in world.check()]
        world.repair()
        world.clear()
        time.sleep(DAEMON_MAX_BACKOFF_S + 2)  # the daemon's longest wait, then a call or two
        violations += [f"seed {seed} after recovery: {v}" for v in world.check()]
        if world.unseen:
            violations.append(f"seed {seed} after recovery: keys never accepted once the IdP was back: {sorted(world.unseen)}")
        daemon.terminate()
        daemon.wait(timeout=30)
        summary = json.loads(summary_file.read_text())
        violations += [f"seed {seed} daemon: {v}" for v in world.daemon_violations(summary)]
        (root / "steps.json").write_text(json.dumps(world.log, indent=1))
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
        stack.app.stop()
        stack.emulator.service.stop()
    return violations
