"""App profiles: how the drill starts (or finds) a web app, wires it to the IdP, and drives it.

A profile is a TOML file with an `[app]` table (a scenario file may hold one too):

    [app]
    name = "my app"
    command = "{python} -m flask --app myapp run --port {port}"   # or: url = "https://staging…"
    tls = false            # true: the app gets {tls_cert}/{tls_key} and is spoken to over https
    ready = "/"            # polled until it answers below 500
    readiness = "/readyz"  # says whether it can serve (default: ready); asked of instances added during a run
    python = ".venv"       # the app's own virtual environment or interpreter ({python}; default: the toolkit's)
    cwd = "."              # where the app starts, relative to the profile (default: the run's folder for it)
    [app.env]              # the app's own variable names ← the IdP's values
    AUTHORITY = "{authority}"
    REQUESTS_CA_BUNDLE = "{ca_bundle}"
    [app.routes]           # protected, sign_in, sign_in_via, callback, pages, public, api, sign_out
    [app.outcomes]         # signed_in, sent_to_sign_in, handled: lists of {status, text, header, location}
    [app.daemon]           # the app's daemon, one process per simulated daemon (the daemon persona)
    command = "{python} -m mydaemon --events {events}"   # {events}: the file it reports to, a JSON object a line
    [app.daemon.env]       # its own variable names ← the IdP's values ({daemon_client_id}, {daemon_client_secret})

Every mistake is reported with the file and the key (exit 2); an app that does not start is
reported with its last log lines (exit 3).
"""

from __future__ import annotations

import os
import re
import shlex
import string
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from loadtests.contract import AppProfile, DaemonPlan, Match
from toolkit.emulator.server import free_port
from toolkit.resilience.http import trusting_session

PROFILES = Path(__file__).resolve().parent / "profiles"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROFILE = "reference-app"

#: what `{name}` may stand for in a command, an environment value or a URL
PLACEHOLDERS = (
    "port", "app_url", "redirect_uri", "authority", "base_url", "tenant", "policy", "client_id", "client_secret",
    "api_scope", "api_audience", "api_app_id_uri", "oidc_authority", "ca_bundle", "tls_cert", "tls_key", "instance",
    "python", "root", "here", "redis_url",
)  # fmt: skip
#: a daemon's too: its own registration, and the file it reports what it does to (`DaemonEvent`)
DAEMON_PLACEHOLDERS = (*PLACEHOLDERS, "daemon_client_id", "daemon_client_secret", "events")
DAEMON_KEYS = {"command", "env", "cwd"}
APP_KEYS = {
    "name", "command", "url", "tls", "ca_bundle", "ready", "readiness", "start_timeout_s", "env", "routes", "outcomes", "cwd",
    "python", "daemon",
}  # fmt: skip
ROUTE_KEYS = {"protected", "sign_in", "sign_in_via", "callback", "pages", "public", "api", "daemon_api", "sign_out", "username_field"}
VIA = ("redirect", "link", "form")
MATCH_KEYS = {"status", "text", "header", "location"}


class ProfileError(ValueError):
    """A profile that cannot be used (exit 2): the message names the file and the key."""


class AppStartError(RuntimeError):
    """The app did not start (exit 3): the message carries its last log lines."""


@dataclass(frozen=True)
class Daemon:
    """The app's daemon, as the profile's `[app.daemon]` gives it (templates, before a run)."""

    command: str
    env: dict[str, str]
    cwd: str | None = None  #: relative to the profile (None: the run's folder for daemons)


@dataclass
class Profile:
    """A checked profile, before the app runs."""

    source: str
    name: str
    command: str | None
    url: str | None
    tls: bool
    ready: str
    start_timeout_s: float
    env: dict[str, str]
    routes: dict[str, Any]
    outcomes: dict[str, tuple[Match, ...]]
    ca_bundle: str | None = None  #: the CA of an app already running with its own certificate
    #: the folder the app starts in (a template: `{instance}`, `{here}`, `{root}`); None: the
    #: run's own folder for the app (`{instance}`), never the toolkit's checkout
    cwd: str | None = None
    #: the interpreter `{python}` stands for (None: the toolkit's own)
    python: str | None = None
    #: the route that says whether the app can serve (200) or not: asked of instances a scale-out adds
    readiness: str = ""
    daemon: Daemon | None = None  #: the app's daemon (None: the daemon persona is left out)
    extra: dict[str, Any] = field(default_factory=dict)

    def resolve(self, url: str) -> AppProfile:
        """The contract the load tests get, for the app answering at `url`."""
        r = self.routes
        return AppProfile(
            name=self.name,
            url=url,
            protected=r["protected"],
            sign_in=r["sign_in"],
            sign_in_via=r.get("sign_in_via", "redirect"),
            callback=r["callback"],
            pages=tuple(r.get("pages") or [r["protected"]]),
            public=tuple(r.get("public", ["/"])),
            api=r.get("api"),
            sign_out=r.get("sign_out"),
            signed_in=self.outcomes["signed_in"],
            sent_to_sign_in=self.outcomes["sent_to_sign_in"],
            handled=self.outcomes["handled"],
            username_field=r.get("username_field", "signInName"),
            daemon_api=r.get("daemon_api"),
        )


def find(name_or_path: str) -> Path:
    """A shipped profile by name (`reference-app`) or a file."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.exists():
            raise ProfileError(f"{path}: no such file")
        return path
    candidate = PROFILES / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in PROFILES.glob("*.toml")))
    raise ProfileError(f"no app profile {name_or_path!r} (shipped: {known}; or give a .toml file)")


def load(name_or_path: str) -> Profile:
    """Read and check a profile file (its `[app]` table)."""
    path = find(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: invalid TOML: {exc}") from None
    if not isinstance(data.get("app"), dict):
        raise ProfileError(f"{path}: no [app] table")
    return from_table(data["app"], str(path))


def _line(source: str, key: str) -> int | None:
    """The line where `app.KEY` is set in the file (`routes.protected`, `daemon.env.X`,
    `outcomes.signed_in[0].status`), else where its nearest enclosing table or key is (TOML
    parsers give no positions)."""
    try:
        lines = Path(source).read_text().splitlines()
    except OSError:
        return None
    parts = ("app", *(part for part in re.split(r"[.\[\]]", key) if part and not part.isdigit()))
    table: tuple[str, ...] = ()
    where: dict[tuple[str, ...], int] = {}  #: each table and key, and the line that first names it
    for number, text in enumerate(lines, 1):
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", text)
        if header:
            table = tuple(name.strip().strip('"') for name in header.group(1).split("."))
            where.setdefault(table, number)
        elif assignment := re.match(r'^\s*("[^"]+"|[\w-]+)\s*=', text):
            where.setdefault((*table, assignment.group(1).strip('"')), number)
    return next((where[parts[:n]] for n in range(len(parts), 0, -1) if parts[:n] in where), None)


def _fail(source: str, key: str, problem: str) -> ProfileError:
    line = _line(source, key)
    where = f"{source}:{line}" if line else source
    return ProfileError(f"{where}: app.{key}: {problem}")


def _text(table: dict[str, Any], key: str, source: str, prefix: str = "") -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(source, prefix + key, "required, a non-empty string")
    return value


def _path(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise _fail(source, key, f"must be a path starting with / (got {value!r})")
    return value


def _check_template(value: str, key: str, source: str, known: tuple[str, ...] = PLACEHOLDERS) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise _fail(source, key, f"bad template {value!r}: {exc}") from None
    unknown = names - set(known)
    if unknown:
        raise _fail(source, key, f"unknown placeholder {{{sorted(unknown)[0]}}} (known: {', '.join(known)})")


def _matches(value: Any, key: str, source: str) -> tuple[Match, ...]:
    if not isinstance(value, list) or not all(isinstance(m, dict) and m for m in value):
        raise _fail(source, key, 'a list of tables such as { status = 503, header = "Retry-After" }')
    found = []
    for i, m in enumerate(value):
        unknown = set(m) - MATCH_KEYS
        if unknown:
            raise _fail(source, f"{key}[{i}]", f"unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(MATCH_KEYS))})")
        if "status" in m and (isinstance(m["status"], bool) or not isinstance(m["status"], int)):
            raise _fail(source, f"{key}[{i}].status", "an HTTP status number")
        if any(not isinstance(m[k], str) for k in ("text", "header", "location") if k in m):
            raise _fail(source, f"{key}[{i}]", "text, header and location are strings")
        found.append(Match(**m))
    return tuple(found)


def from_table(app: dict[str, Any], source: str) -> Profile:
    """Check an `[app]` table; `source` names the file in messages."""
    unknown = set(app) - APP_KEYS
    if unknown:
        raise _fail(source, sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(APP_KEYS))})")
    command, url = app.get("command"), app.get("url")
    if (command is None) == (url is None):
        raise _fail(source, "command", "give either command (the drill starts the app) or url (an app already running)")
    if command is not None:
        if not isinstance(command, str) or ("{port}" not in command and "{port}" not in str(app.get("env", {}))):
            raise _fail(source, "command", "a command string that uses {port} (in the command or in [app.env])")
        _check_template(command, "command", source)
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise _fail(source, "url", "an http:// or https:// URL")
    env = app.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise _fail(source, "env", 'a table of NAME = "value" strings')
    for name, value in env.items():
        _check_template(value, f"env.{name}", source)
    routes = app.get("routes")
    if not isinstance(routes, dict):
        raise _fail(source, "routes", "required: a table with protected, sign_in and callback")
    unknown = set(routes) - ROUTE_KEYS
    if unknown:
        raise _fail(source, f"routes.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(ROUTE_KEYS))})")
    for key in ("protected", "sign_in", "callback"):
        _path(routes.get(key), f"routes.{key}", source)
    for key in ("api", "sign_out", "daemon_api"):
        if key in routes:
            _path(routes[key], f"routes.{key}", source)
    for key in ("pages", "public"):
        if key in routes:
            if not isinstance(routes[key], list) or not routes[key]:
                raise _fail(source, f"routes.{key}", "a non-empty list of paths")
            for i, page in enumerate(routes[key]):
                _path(page, f"routes.{key}[{i}]", source)
    if routes.get("sign_in_via", "redirect") not in VIA:
        raise _fail(source, "routes.sign_in_via", f"one of {', '.join(VIA)}")
    outcomes = app.get("outcomes")
    if not isinstance(outcomes, dict) or "signed_in" not in outcomes or "sent_to_sign_in" not in outcomes:
        raise _fail(source, "outcomes", "required: signed_in and sent_to_sign_in (and optionally handled)")
    unknown = set(outcomes) - {"signed_in", "sent_to_sign_in", "handled"}
    if unknown:
        raise _fail(source, f"outcomes.{sorted(unknown)[0]}", "unknown key (known: handled, sent_to_sign_in, signed_in)")
    checked = {k: _matches(outcomes.get(k, []), f"outcomes.{k}", source) for k in ("signed_in", "sent_to_sign_in", "handled")}
    ready = app.get("ready", "/")
    timeout = app.get("start_timeout_s", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise _fail(source, "start_timeout_s", "a positive number of seconds")
    if not isinstance(app.get("tls", False), bool):
        raise _fail(source, "tls", "true or false")
    ca_bundle = app.get("ca_bundle")
    if ca_bundle is not None:
        if not isinstance(ca_bundle, str) or not (Path(source).parent / ca_bundle).is_file():
            raise _fail(source, "ca_bundle", f"a PEM file (relative to the profile) that exists (got {ca_bundle!r})")
        ca_bundle = str((Path(source).parent / ca_bundle).resolve())
    cwd = app.get("cwd")
    if cwd is not None:
        if not isinstance(cwd, str) or not cwd:
            raise _fail(source, "cwd", "a folder (relative to the profile, or {instance}, {here}, {root})")
        _check_template(cwd, "cwd", source)
    python = _interpreter(app.get("python"), source)
    return Profile(
        source=source,
        name=str(app["name"]) if isinstance(app.get("name"), str) else Path(source).stem,
        command=command,
        url=url.rstrip("/") if url else None,
        tls=bool(app.get("tls", False)),
        ready=_path(ready, "ready", source),
        readiness=_path(app.get("readiness", ready), "readiness", source),
        daemon=_daemon(app.get("daemon"), source),
        start_timeout_s=float(timeout),
        env=dict(env),
        routes=dict(routes),
        outcomes=checked,
        ca_bundle=ca_bundle,
        cwd=cwd,
        python=python,
    )


def _daemon(table: Any, source: str) -> Daemon | None:
    """`[app.daemon]`: a command (and environment) that uses `{events}`, the file the daemon
    reports to; the same placeholders as the app's, and the daemon's own registration."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise _fail(source, "daemon", "a table with command (and env, cwd)")
    unknown = set(table) - DAEMON_KEYS
    if unknown:
        raise _fail(source, f"daemon.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(DAEMON_KEYS))})")
    command = _text(table, "command", source, "daemon.")
    _check_template(command, "daemon.command", source, DAEMON_PLACEHOLDERS)
    env = table.get("env", {})
    if not isinstance(env, dict):
        raise _fail(source, "daemon.env", 'a table of NAME = "value" strings')
    for name, value in env.items():
        if not isinstance(value, str):
            raise _fail(source, f"daemon.env.{name}", 'a "value" string')
        _check_template(value, f"daemon.env.{name}", source, DAEMON_PLACEHOLDERS)
    if "{events}" not in command + " ".join(env.values()):
        raise _fail(
            source,
            "daemon.command",
            "give the daemon {events}, the file it reports its calls and token requests to (in the command or in [app.daemon.env])",
        )
    cwd = table.get("cwd")
    if cwd is not None:
        if not isinstance(cwd, str) or not cwd:
            raise _fail(source, "daemon.cwd", "a folder (relative to the profile, or {here}, {root})")
        _check_template(cwd, "daemon.cwd", source)
    return Daemon(command, dict(env), cwd)


def _interpreter(value: Any, source: str) -> str | None:
    """`python = ".venv"` (a virtual environment, relative to the profile) or the path of an
    interpreter: what `{python}` stands for."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(source, "python", "the app's virtual environment folder or interpreter (relative to the profile)")
    path = Path(source).parent / Path(value).expanduser()
    if path.is_dir():
        path = next((c for c in (path / "bin" / "python", path / "Scripts" / "python.exe") if c.exists()), path / "bin" / "python")
    if not path.is_file():
        raise _fail(source, "python", f"no interpreter at {path} (give a virtual environment folder or a python executable)")
    return str(path.absolute())


@dataclass
class RunningApp:
    """An app the drill started (or one already running: `process` is None)."""

    url: str
    process: subprocess.Popen[bytes] | None
    log: Path | None
    port: int = 0  #: where it listens on loopback (0: an app already running elsewhere)
    #: where users reach it when that is another address (a front before several instances)
    public_url: str = ""

    def stop(self) -> None:
        """Terminate the app and everything it started (its own process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def values(
    idp: dict[str, Any],
    profile: Profile,
    port: int,
    instance: Path,
    tls: tuple[str, str] | None,
    public_port: int | None = None,
    redis_url: str = "",
) -> dict[str, str]:
    """What each placeholder stands for in this run. `public_port`: where users reach the app when
    that is not the instance's own port (a front before several instances)."""
    scheme = "https" if profile.tls and tls else "http"
    app_url = f"{scheme}://127.0.0.1:{public_port or port}"
    return {
        "port": str(port),
        "app_url": app_url,
        "redirect_uri": app_url + profile.routes["callback"],
        "authority": str(idp.get("authority", "")),
        "base_url": str(idp.get("base_url", "")),
        "tenant": str(idp.get("tenant", "")),
        "policy": str(idp.get("policies", {}).get("signup_signin", "")),
        "client_id": str(idp.get("client_id", "")),
        "client_secret": str(idp.get("client_secret", "")),
        "api_scope": str(idp.get("api_scope", "")),
        "api_audience": str(idp.get("api_audience", "")),
        "api_app_id_uri": str(idp.get("api_app_id_uri", "")),
        "oidc_authority": str(idp.get("oidc_authority", "")),  # External ID; empty for B2C
        "ca_bundle": str(idp.get("ca_bundle") or ""),
        "tls_cert": tls[0] if tls and profile.tls else "",
        "tls_key": tls[1] if tls and profile.tls else "",
        "instance": str(instance),
        "python": profile.python or sys.executable,
        "root": str(ROOT),
        "here": str(Path(profile.source).resolve().parent),
        "redis_url": redis_url,  #: a Redis the drill started for instances that share state ("" otherwise)
    }


def start(
    profile: Profile,
    idp: dict[str, Any],
    instance: Path,
    log: Path,
    tls: tuple[str, str] | None = None,
    trust: str | None = None,
    public_port: int | None = None,
    redis_url: str = "",
) -> RunningApp:
    """Start the app (or check the running one answers) and wait until it is ready. `trust`: the
    CA bundle to check the app's certificate with (default: the IdP's). `public_port` and
    `redis_url`: see `values`."""
    trust = trust or idp.get("ca_bundle")
    if profile.url is not None:
        app = RunningApp(profile.url, None, None)
        _wait(app, profile, trust)
        return app
    assert profile.command is not None
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    given = values(idp, profile, port, instance, tls, public_port, redis_url)
    environ = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")}
    environ.update({name: value.format(**given) for name, value in profile.env.items()})
    args = shlex.split(profile.command.format(**given))
    folder = working_folder(profile, given)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:  # its own process group: stopping the app stops its workers too
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=environ, cwd=folder, start_new_session=True)
        except OSError as exc:
            raise AppStartError(f"{profile.source}: app.command {args[0]!r} could not start: {exc}") from None
    scheme = given["app_url"].split("://")[0]
    app = RunningApp(f"{scheme}://127.0.0.1:{port}", process, log, port, given["app_url"])
    try:
        _wait(app, profile, trust)
    except AppStartError:
        app.stop()
        raise
    return app


def daemon_plan(profile: Profile, idp: dict[str, Any], app_url: str, folder: Path) -> DaemonPlan | None:
    """The profile's daemon resolved for this run, its placeholders filled in but `{events}` (each
    daemon gets its own file); `folder`: the run's folder for daemons, where they start unless the
    profile's `cwd` names another. None when the profile has no daemon."""
    if profile.daemon is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    given = values(idp, profile, 0, folder, None) | {
        "app_url": app_url,
        "redirect_uri": app_url + profile.routes["callback"],
        "daemon_client_id": str(idp.get("daemon_client_id", "")),
        "daemon_client_secret": str(idp.get("daemon_client_secret", "")),
        "events": "{events}",
    }
    cwd = folder if profile.daemon.cwd is None else Path(given["here"]) / Path(profile.daemon.cwd.format(**given)).expanduser()
    if not cwd.is_dir():
        raise AppStartError(f"{profile.source}: app.daemon.cwd {cwd} is not a folder")
    return DaemonPlan(
        command=tuple(shlex.split(profile.daemon.command.format(**given))),
        env={name: value.format(**given) for name, value in profile.daemon.env.items()},
        cwd=str(cwd),
    )


def working_folder(profile: Profile, given: dict[str, str]) -> Path:
    """Where the app starts: the run's own folder for it (`{instance}`) unless the profile's `cwd`
    names another (relative to the profile). Never the toolkit's checkout: an app that keeps
    sessions or reads a `.env` in its current folder keeps them to its run."""
    if profile.cwd is None:
        return Path(given["instance"])
    folder = Path(given["here"]) / Path(profile.cwd.format(**given)).expanduser()
    if not folder.is_dir():
        raise AppStartError(f"{profile.source}: app.cwd {folder} is not a folder")
    return folder


def _last_lines(log: Path | None, count: int = 20) -> str:
    if log is None or not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-count:])


def _wait(app: RunningApp, profile: Profile, trust: str | None) -> None:
    session = trusting_session(trust)
    deadline = time.monotonic() + profile.start_timeout_s
    while time.monotonic() < deadline:
        if app.process is not None and app.process.poll() is not None:
            raise AppStartError(
                f"{profile.name} ({profile.source}) exited with {app.process.returncode} before answering; its last log lines:\n{_last_lines(app.log)}"
            )
        try:
            if session.get(app.url + profile.ready, timeout=2, allow_redirects=False).status_code < 500:
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise AppStartError(
        f"{profile.name} ({profile.source}) did not answer {app.url}{profile.ready} within {profile.start_timeout_s:.0f} s; its last log lines:\n{_last_lines(app.log)}"
    )
