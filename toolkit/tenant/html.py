"""`tenant audit --format html`: one printable page for an architect.

The six areas of Microsoft's "Build resilience in your IAM infrastructure with Microsoft Entra ID"
are its sections, in the guidance's order; each lists its findings (severity, what, the fix from
the rule's documentation, the Microsoft page it rests on), or says that nothing was found and which
rules were run or skipped. Findings of rules outside the six areas (B2C and External ID keys,
credentials, extensions, drift) follow in a last section. No script, no external file: the page
prints as it shows.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from toolkit.lint.problem import Problem
from toolkit.tenant.registry import AREAS, LEARN, Rule, all_rules

if TYPE_CHECKING:
    from toolkit.lint.report import Report
    from toolkit.tenant.audit import Audit

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
.meta { color: #57606a; margin-top: 0; }
.counts > span { display: inline-block; margin-right: 1.2rem; font-weight: 600; }
.counts .badge { min-width: 1.6rem; margin-right: .3rem; }
code { font-size: .85em; background: rgba(0, 0, 0, .06); padding: 0 .2rem; border-radius: 3px; }
.badge { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 3px; padding: 0 .4rem; font-size: .8rem;
         font-weight: 600; color: #fff; }
.error { background: #b42318; } .warning { background: #b54708; } .info { background: #175cd3; }
.ok { color: #067647; font-weight: 600; }
.finding { border-left: 4px solid #d0d7de; padding: .4rem .8rem; margin: .6rem 0; break-inside: avoid; }
.finding.error { border-color: #b42318; background: #fef3f2; } .finding.warning { border-color: #b54708; background: #fffaeb; }
.finding.info { border-color: #175cd3; background: #eff8ff; }
.finding .badge { margin-right: .5rem; }
.finding p { margin: .25rem 0; }
.where { color: #57606a; font-size: .85rem; }
.checked { color: #57606a; font-size: .85rem; }
a { color: #175cd3; }
section { break-inside: auto; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } a { color: inherit; } h2 { break-after: avoid; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _code(text: str) -> str:
    """Escaped, with the documentation's `literals` as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def fix(rule: Rule) -> str:
    """The fix a rule's documentation gives: its paragraph that starts with `Fixed`, as one line."""
    for paragraph in rule.doc.split("\n\n"):
        text = " ".join(paragraph.split())
        if text.startswith("Fixed"):
            text = re.sub(r"^Fixed[^:]*:\s*", "", text)
            return re.sub(r"::$", "", text).strip() or "see the rule's documentation"
        if "Fixed:" in text:
            return text.split("Fixed:", 1)[1].strip()
    return "see the rule's documentation"


def _finding(problem: Problem, rule: Rule | None) -> str:
    severity = problem.severity.value
    source = f'<a href="{_e(rule.help_uri)}">{_e(rule.help_uri.removeprefix(LEARN))}</a>' if rule else ""
    title = f"{_e(problem.rule)} {_e(rule.title)}" if rule else _e(problem.rule)
    where = f"{problem.path}:{problem.line}"
    return (
        f'<div class="finding {severity}"><p><span class="badge {severity}">{severity}</span><strong>{title}</strong></p>'
        f"<p>{_e(problem.message)}</p>"
        + (f"<p><strong>Fix:</strong> {_code(fix(rule))}</p>" if rule else "")
        + (f"<p><strong>Source:</strong> {source}</p>" if source else "")
        + f'<p class="where">{_e(where)}</p></div>'
    )


def html_report(report: Report, audit: Audit) -> str:
    """The whole page."""
    rules = {r.id: r for r in all_rules()}
    problems = [p for p in report.problems if not p.suppressed]
    manifest = audit.export.manifest
    counts = {s: sum(1 for p in problems if p.severity.value == s) for s in ("error", "warning", "info")}
    skipped = {}
    for note in report.notes:
        m = re.match(r"^([A-Z0-9, ]+) skipped: (.*)$", note)
        if m:
            for rule_id in m.group(1).split(", "):
                skipped[rule_id] = m.group(2)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Resilience audit: {_e(str(manifest.get('tenant') or audit.export.folder))}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Microsoft Entra ID resilience audit</h1>",
        f'<p class="meta">Tenant {_e(str(manifest.get("tenant") or "(unknown)"))}; exported '
        f"{_e(str(manifest.get('exported_at') or '(unknown)'))}; audited as of {_e(audit.on)}. "
        'The areas follow Microsoft\'s <a href="https://learn.microsoft.com/entra/architecture/resilience-in-infrastructure">'
        "Build resilience in your IAM infrastructure with Microsoft Entra ID</a>.</p>",
        '<p class="counts">'
        + "".join(f'<span><span class="badge {s}">{n}</span> {s}{"s" if n != 1 else ""}</span>' for s, n in counts.items())
        + "</p>",
    ]
    by_area: dict[str, list[Problem]] = {area: [] for area in AREAS}
    other: list[Problem] = []
    for p in problems:
        rule = rules.get(p.rule)
        (by_area[rule.area] if rule is not None and rule.area else other).append(p)
    for area, (title, page) in AREAS.items():
        found = sorted(by_area[area], key=lambda p: (-p.severity.rank, p.rule))
        area_rules = [r for r in rules.values() if r.area == area]
        parts.append(f'<section id="{area}"><h2>{_e(title)}</h2>')
        parts.append(f'<p class="where">Guidance: <a href="{LEARN}{page}">{LEARN}{page}</a></p>')
        if found:
            parts += [_finding(p, rules.get(p.rule)) for p in found]
        else:
            parts.append('<p class="ok">No finding.</p>')
        ran = [r.id for r in area_rules if r.id not in skipped]
        not_run = [f"{r.id} ({skipped[r.id]})" for r in area_rules if r.id in skipped]
        parts.append(
            f'<p class="checked">Checked: {_e(", ".join(ran) or "nothing")}.'
            + (f" Not checked: {_e('; '.join(not_run))}." if not_run else "")
            + "</p></section>"
        )
    if other:
        parts.append('<section id="other"><h2>Other findings (B2C and External ID)</h2>')
        parts += [_finding(p, rules.get(p.rule)) for p in sorted(other, key=lambda p: (-p.severity.rank, p.rule))]
        parts.append("</section>")
    parts.append(
        '<p class="where">What this audit cannot see: the health of on-premises servers (AD FS, PTA agents and connectors beyond '
        "the status Microsoft Graph reports), network paths and firewalls, and users' registered methods.</p>"
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)
