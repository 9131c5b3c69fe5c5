"""`b2c-toolkit emulator` (serve, or --print-config) and `b2c-toolkit emulator faults ...`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_STATE_DIR = ".b2c-emulator"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `emulator` and its `faults` subcommands."""
    p = sub.add_parser(
        "emulator",
        help="run the local Azure AD B2C / Entra External ID emulator (HTTPS, fault injection)",
        description="Serve a local Azure AD B2C (or Entra External ID tenant) over HTTPS.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8443, help="port (default: 8443; 0 picks a free one)")
    p.add_argument(
        "--flavor",
        default="b2c",
        choices=("b2c", "external-id"),
        help="b2c: Azure AD B2C's URL layout, policies and claims; external-id: Microsoft Entra External ID's (default: b2c)",
    )
    p.add_argument("--tenant", default="contoso", help="tenant name: NAME.onmicrosoft.com (default: contoso)")
    p.add_argument("--state-dir", default=DEFAULT_STATE_DIR, help=f"CA, keys, secrets and users (default: {DEFAULT_STATE_DIR})")
    p.add_argument("--users", type=int, default=5, help="test users to create (default: 5)")
    p.add_argument("--policies", metavar="DIR", help="take token lifetimes and session length from this policy set")
    p.add_argument("--seed", type=int, help="seed for fault randomness (deterministic runs)")
    p.add_argument("--threads", type=int, default=32, help="request threads (default: 32)")
    p.add_argument("--app-token-refresh-in", type=int, metavar="S", help="refresh_in of app-only tokens (default: half their lifetime)")
    p.add_argument("--redirect-uri", action="append", default=[], help="accept this non-loopback redirect URI (repeatable)")
    p.add_argument(
        "--public-url",
        help="the URL clients reach the emulator at, named in its metadata and tokens (default: https://HOST:PORT)",
    )
    p.add_argument(
        "--graph-tenant",
        metavar="NAME|DIR",
        help="also serve Microsoft Graph for a seeded tenant: b2c-problems, b2c-clean, external-id, or a folder shaped like an export",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print the configuration apps use as JSON and exit (a serving emulator writes it to STATE_DIR/config.json)",
    )
    p.set_defaults(run=run_emulator)

    faults = p.add_subparsers(dest="emulator_command", metavar="faults", title="subcommand (optional: without one, the emulator serves)")
    f = faults.add_parser("faults", help="set, clear or show faults of a running emulator")
    f.add_argument("action", choices=("set", "clear", "show", "timeline", "rotate-keys"))
    f.add_argument("--url", help="emulator URL (default: from STATE_DIR/emulator.json)")
    f.add_argument("--state-dir", dest="faults_state_dir", default=DEFAULT_STATE_DIR)
    f.add_argument("--kind", choices=("outage", "error", "throttle", "latency", "tenant-limit", "bad-answer", "dribble"))
    f.add_argument("--group", default="all", choices=("metadata", "jwks", "pages", "token", "graph", "all"))
    f.add_argument(
        "--mode",
        choices=("503", "reset", "cut"),
        help="outage: an error page (503), a TCP reset, or a reset halfway through the body (cut)",
    )
    f.add_argument(
        "--answer",
        choices=("html", "empty-object", "empty-keys", "missing-fields", "wrong-issuer", "huge"),
        help="bad-answer: what a 200 carries instead of the real body",
    )
    f.add_argument("--bytes-per-s", type=_checked("bytes_per_s"), help="dribble: how fast the answer is sent (default 1)")
    f.add_argument("--endless", action="store_true", default=None, help="dribble: the answer never ends")
    f.add_argument("--retry-after-date", action="store_true", default=None, help="throttle: Retry-After as an HTTP date")
    f.add_argument("--status", type=_checked("status"), help="error: the HTTP status (default 503)")
    f.add_argument("--body", choices=("html", "json"))
    f.add_argument("--ratio", type=_checked("ratio"), help="share of requests affected (0..1, default 1)")
    f.add_argument("--retry-after", type=_checked("retry_after"), help="seconds in Retry-After (default 5)")
    f.add_argument("--latency-ms", type=_checked("latency_ms"))
    f.add_argument("--jitter-ms", type=_checked("jitter_ms"))
    f.add_argument("--limit", type=_checked("limit"), help="tenant-limit: requests per second (default 200)")
    f.add_argument(
        "--ip-limit", type=_checked("ip_limit"), help="tenant-limit: requests per second per client IP (default: external-id 20, b2c none)"
    )
    f.add_argument("--duration", type=_checked("duration_s"), help="seconds until the fault clears itself")
    f.add_argument("--grace", type=_checked("grace_s"), help="rotate-keys: seconds the old key stays published (default 300)")
    f.add_argument("--file", help="timeline: a JSON file with [{at_s, fault, duration_s}, ...]")
    f.set_defaults(run=run_faults)


def _checked(name: str) -> Any:
    """An argparse type for a fault setting: the bounds the admin API checks, so that a bad value
    (nan, inf, -5, 1e308) is a usage error here (exit 2) rather than a request JSON cannot carry.
    The bounds are imported when a value is converted: building the parser must not need the
    emulator's extra (`b2c-toolkit lint` builds every parser)."""

    def convert(text: str) -> float | int:
        from toolkit.emulator.faults import GRACE_S, NUMBERS, FaultError, number

        low, high, integer = GRACE_S if name == "grace_s" else NUMBERS[name]
        try:
            value = number(float(text), name, low, high, integer)
        except ValueError as exc:  # FaultError is one
            message = str(exc) if isinstance(exc, FaultError) else f"{name} must be a number (got {text!r})"
            raise argparse.ArgumentTypeError(message) from None
        return int(value) if integer else value

    convert.__name__ = name  # argparse names the type in its messages
    return convert


def _state(args: argparse.Namespace) -> Any:
    from toolkit.emulator.state import load_state

    return load_state(args.state_dir, tenant=args.tenant, users=args.users)


def run_emulator(args: argparse.Namespace) -> int:
    """Serve (or print the configuration)."""
    from toolkit.emulator.server import free_port

    if args.users < 1 or args.threads < 1 or not 0 <= args.port <= 65535:
        print("b2c-toolkit emulator: --users and --threads must be >= 1 and --port within 0..65535", file=sys.stderr)
        return 2
    port = args.port or free_port(args.host)
    base_url = (args.public_url or f"https://{f'[{args.host}]' if ':' in args.host else args.host}:{port}").rstrip("/")
    if not _https_origin(base_url):
        print(f"b2c-toolkit emulator: --public-url {base_url!r}: give https://HOST[:PORT] with no path", file=sys.stderr)
        return 2
    from toolkit.emulator.flavors import flavor as find_flavor

    flavor = find_flavor(args.flavor)
    state = _state(args)
    config = flavor.client_config(state, base_url)
    if args.print_config:
        print(json.dumps(config, indent=2))
        return 0
    from toolkit.emulator.app import create_app
    from toolkit.emulator.policies import PolicyError, lifetimes_from_policies
    from toolkit.emulator.server import serve
    from toolkit.emulator.tokens import Lifetimes

    lifetimes = None
    if args.policies:
        try:
            lifetimes = lifetimes_from_policies(args.policies)
        except (PolicyError, OSError) as exc:
            print(f"b2c-toolkit emulator: {exc}", file=sys.stderr)
            return 2
    if args.app_token_refresh_in is not None:
        if args.app_token_refresh_in < 0:
            print("b2c-toolkit emulator: --app-token-refresh-in must be >= 0", file=sys.stderr)
            return 2
        lifetimes = dataclasses.replace(lifetimes or Lifetimes(), app_refresh_in=args.app_token_refresh_in)
    graph_tenant = None
    if args.graph_tenant:
        from toolkit.emulator.graph import GraphTenantError, find_tenant, load_tenant

        try:
            graph_tenant = load_tenant(find_tenant(args.graph_tenant))
        except GraphTenantError as exc:
            print(f"b2c-toolkit emulator: {exc}", file=sys.stderr)
            return 2
    app = create_app(
        state,
        lifetimes=lifetimes,
        seed=args.seed,
        redirect_uris=args.redirect_uri,
        flavor=flavor,
        base_url=base_url,
        graph_tenant=graph_tenant,
    )

    def ready(url: str) -> None:
        print(f"{flavor.title} emulator on {url}  tenant {state.tenant.domain}  CA {state.ca_bundle}", flush=True)
        if lifetimes is not None:
            print(f"lifetimes from {args.policies or 'the defaults'}: {lifetimes}", flush=True)
        where = next(iter(flavor.authority(url, state.tenant).items()))
        print(f"{where[0]}: {where[1]}   (b2c-toolkit emulator --print-config for the rest)", flush=True)
        if graph_tenant is not None:
            print(f"Microsoft Graph: {url}/graph  tenant {graph_tenant.tenant_id}  (authority host {url})", flush=True)

    serve(app, Path(args.state_dir), args.host, port, threads=args.threads, on_ready=ready, flavor=flavor.name, config=config)
    return 0


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number: use finite numbers")


def _https_origin(url: str) -> bool:
    """True for `https://HOST[:PORT]` with nothing after it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not (parts.path or parts.query or parts.fragment or parts.username)


def _fault_spec(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        "mode": args.mode,
        "status": args.status,
        "body": args.body,
        "answer": args.answer,
        "bytes_per_s": args.bytes_per_s,
        "endless": args.endless,
        "retry_after_date": args.retry_after_date,
        "ratio": args.ratio,
        "retry_after": args.retry_after,
        "latency_ms": args.latency_ms,
        "jitter_ms": args.jitter_ms,
        "limit": args.limit,
        "ip_limit": args.ip_limit,
        "duration_s": args.duration,
    }
    return {"kind": args.kind, "group": args.group, **{k: v for k, v in fields.items() if v is not None}}


def run_faults(args: argparse.Namespace) -> int:
    """Talk to a running emulator's admin API."""
    import requests

    from toolkit.emulator.client import admin_session, emulator_url

    try:
        url = args.url or emulator_url(args.faults_state_dir)
    except FileNotFoundError:
        print(f"b2c-toolkit emulator faults: no running emulator found in {args.faults_state_dir}; pass --url", file=sys.stderr)
        return 2
    session = admin_session(args.faults_state_dir)
    base = url.rstrip("/") + "/_emulator"
    try:
        if args.action == "show":
            reply = session.get(f"{base}/faults", timeout=10)
        elif args.action == "clear":
            reply = session.delete(f"{base}/faults", timeout=10)
        elif args.action == "rotate-keys":
            grace = {} if args.grace is None else {"grace_s": args.grace}  # none: the emulator's default
            reply = session.post(f"{base}/keys/rotate", json=grace, timeout=10)
        elif args.action == "timeline":
            if not args.file:
                print("b2c-toolkit emulator faults timeline: --file is required", file=sys.stderr)
                return 2
            try:
                entries = json.loads(Path(args.file).read_text(), parse_constant=_no_constant)
            except (OSError, ValueError) as exc:
                print(f"b2c-toolkit emulator faults timeline: {args.file}: {exc}", file=sys.stderr)
                return 2
            reply = session.post(f"{base}/timeline", json={"timeline": entries}, timeout=10)
        else:
            if not args.kind:
                print("b2c-toolkit emulator faults set: --kind is required", file=sys.stderr)
                return 2
            reply = session.post(f"{base}/faults", json=_fault_spec(args), timeout=10)
    except requests.RequestException as exc:
        print(f"b2c-toolkit emulator faults: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(reply.json(), indent=2))
    return 0 if reply.ok else 2
