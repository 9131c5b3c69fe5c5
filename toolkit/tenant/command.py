"""`b2c-toolkit tenant export`, `tenant audit` and `tenant rules`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.tenant.credentials import AUTH_KINDS


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `tenant` and its subcommands."""
    t = sub.add_parser(
        "tenant",
        help="export a tenant through Microsoft Graph",
        description="Read an Azure AD B2C or External ID tenant through Microsoft Graph, and audit what was read.",
    )
    tsub = t.add_subparsers(dest="tenant_command", metavar="COMMAND", required=True)

    e = tsub.add_parser("export", help="read the tenant through Microsoft Graph into a folder (read-only permissions)")
    e.add_argument("--out", required=True, metavar="DIR", help="the folder to write (one JSON file per resource, policies/, manifest.json)")
    e.add_argument("--tenant", metavar="ID", help="tenant id or domain (default: $AZURE_TENANT_ID)")
    e.add_argument("--client-id", metavar="ID", help="the app registration to sign in as (default: $AZURE_CLIENT_ID)")
    e.add_argument(
        "--auth",
        choices=AUTH_KINDS,
        default="auto",
        help="credential: client secret ($AZURE_CLIENT_SECRET), certificate, workload identity federation, managed identity, "
        "Azure CLI; auto picks the first the environment configures (default: auto)",
    )
    e.add_argument("--graph-url", default="https://graph.microsoft.com", help="Microsoft Graph's base URL (default: %(default)s)")
    e.add_argument("--authority-host", metavar="URL", help="the login host (default: azure-identity's, login.microsoftonline.com)")
    e.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust for Graph and the login host (e.g. the emulator's ca.pem)")
    e.add_argument(
        "--max-wait", type=float, default=300.0, metavar="S", help="seconds the whole export may spend waiting on 429/503 (default: 300)"
    )
    e.set_defaults(run=run_export)


def _say(line: str) -> None:
    print(f"b2c-toolkit tenant export: {line}", file=sys.stderr, flush=True)


def _usage(command: str, error: object) -> int:
    print(f"b2c-toolkit tenant {command}: {error}", file=sys.stderr)
    return 2


def run_export(args: argparse.Namespace) -> int:
    """Sign in, read every resource, write the folder; 0 when written (a 403 is recorded, not fatal)."""
    from toolkit.tenant.credentials import CredentialError, choose, make

    try:
        choice = choose(args.auth, args.tenant, args.client_id)
    except CredentialError as exc:
        return _usage("export", exc)
    if args.max_wait < 0:
        return _usage("export", "--max-wait must be >= 0")
    try:
        from azure.core.exceptions import ClientAuthenticationError

        from toolkit.tenant.export import Unreachable, export
        from toolkit.tenant.graph import Graph

        credential = make(choice, args.authority_host, args.ca_bundle)
    except ImportError as exc:
        return _usage("export", f"needs the [tenant] extra (missing: {exc.name}): pip install 'b2c-resilience-toolkit[tenant]'")
    except ValueError as exc:
        return _usage("export", f"cannot make the {choice.kind} credential: {exc}")

    _say(f"signing in with {choice.kind} ({choice.why}); reading {args.graph_url}")
    graph = Graph(credential, args.graph_url, args.ca_bundle, args.max_wait, say=_say)
    try:
        manifest = export(graph, Path(args.out), choice.tenant_id or "(from the credential)", choice.kind, _say)
    except Unreachable as exc:
        print(f"b2c-toolkit tenant export: {exc}", file=sys.stderr)
        return 1
    except ClientAuthenticationError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        print(f"b2c-toolkit tenant export: cannot sign in with {choice.kind}: {message}", file=sys.stderr)
        return 1
    except OSError as exc:
        return _usage("export", f"cannot write {args.out}: {exc.strerror or exc}")
    resources = manifest["resources"]
    unread = [f"{name} ({r['status']})" for name, r in resources.items() if not r["read"]]
    read = sum(1 for r in resources.values() if r["read"])
    _say(f"wrote {args.out}: {read} resources read" + (f"; not read: {', '.join(unread)}" if unread else ""))
    return 0
