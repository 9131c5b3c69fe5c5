"""`b2c-toolkit tenant export`, `tenant audit` and `tenant rules`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.lint.command import FAIL_ON
from toolkit.tenant.credentials import AUTH_KINDS

FORMATS = ("text", "json", "sarif", "github", "junit", "html")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `tenant` and its subcommands."""
    t = sub.add_parser(
        "tenant",
        help="export a tenant through Microsoft Graph, and audit the export (policy keys, app credentials, extensions, drift)",
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

    a = tsub.add_parser("audit", help="check an export: policy keys, app credentials, extensions, drift against a repository")
    a.add_argument("export", metavar="DIR", help="a folder written by `tenant export`")
    a.add_argument("--policies", metavar="REPO_DIR", help="the repository's policies: report drift against what is uploaded")
    a.add_argument("--settings", metavar="FILE", help="appsettings.json rendering {Settings:X} in the repository's policies")
    a.add_argument("--environment", metavar="NAME", help="the appsettings.json environment to render")
    a.add_argument("--horizon", default="30d", help="how far ahead an expiry is reported: 30d, 12w, 72h (default: 30d)")
    a.add_argument("--at", metavar="DATE", help="audit as of this date or time, e.g. 2026-06-01 (default: now): reproducible runs")
    a.add_argument("--sync-age", default="24h", metavar="AGE", help="report directory sync not run for this long: 24h, 3d (default: 24h)")
    a.add_argument(
        "--emergency-access",
        action="append",
        metavar="ACCOUNTS",
        help="the emergency-access (break-glass) accounts: user ids or user principal names, or a group id or name; "
        "comma-separated or repeated (default: emergency-access in [tool.b2c-toolkit.audit]; without it EMR001-EMR002 are skipped)",
    )
    a.add_argument("--lint", action="store_true", help="also lint the uploaded policies with the policy linter, as deployed")
    a.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default: text)")
    a.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    a.add_argument("--fail-on", choices=FAIL_ON, default="warning", help="exit 1 at or above this severity (default: warning)")
    a.add_argument("--select", metavar="RULES", help="comma-separated rule ids or prefixes to run")
    a.add_argument("--ignore", metavar="RULES", help="comma-separated rule ids or prefixes to skip")
    a.add_argument("--config", metavar="FILE", help="TOML configuration ([tool.b2c-toolkit.audit] table or top-level keys)")
    a.add_argument("--baseline", metavar="FILE", help="report findings recorded in FILE as suppressed")
    a.add_argument("--write-baseline", metavar="FILE", help="record every current finding in FILE")
    a.add_argument("--map", metavar="FILE", help="write the dependency graph: .mmd/.md Mermaid, .dot/.gv Graphviz, .svg/.png (needs dot)")
    a.set_defaults(run=run_audit)

    r = tsub.add_parser("rules", help="list the audit rules, or print one rule's documentation")
    r.add_argument("rule", nargs="?", help="a rule id, e.g. KEY001")
    r.set_defaults(run=run_rules)


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


def run_audit(args: argparse.Namespace) -> int:
    """Audit an export; 1 when a finding at or above --fail-on is reported."""
    from toolkit.tenant.audit import audit_command

    return audit_command(args)


def run_rules(args: argparse.Namespace) -> int:
    """List the audit rules, or print one's documentation."""
    from toolkit.tenant.registry import all_rules, get

    if args.rule:
        try:
            r = get(args.rule)
        except ValueError as exc:
            return _usage("rules", exc)
        print(f"{r.id} {r.title} ({r.severity.value}; needs {', '.join(r.requires)})\n")
        print(r.doc)
        print(f"\nMore: {r.help_uri}")
        return 0
    for r in all_rules():
        print(f"{r.id:<9} {r.severity.value:<8} {r.title}")
    return 0
