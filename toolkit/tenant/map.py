"""`tenant audit --map FILE`: the dependency graph as a picture people can read.

Key sets and apps → technical profiles → user journeys → relying parties, plus the REST and
identity provider endpoints the profiles call; in External ID, extensions → user flows → apps.
Mermaid (`.mmd`, `.md`: GitHub and Azure DevOps render it in Markdown) or Graphviz (`.dot`,
`.gv`; `.svg` and `.png` run Graphviz's `dot` when it is installed). Nodes with a finding are red.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.lint.problem import Problem

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

Edge = tuple[str, str]


def graph(audit: Audit, problems: list[Problem]) -> tuple[dict[str, tuple[str, str]], list[Edge], set[str]]:
    """Nodes (id → (label, kind)), edges, and the ids of nodes with a finding."""
    nodes: dict[str, tuple[str, str]] = {}
    edges: set[Edge] = set()
    blast = audit.blast

    def node(kind: str, name: str) -> str:
        node_id = f"{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
        nodes.setdefault(node_id, (name, kind))
        return node_id

    for ks in audit.export.key_sets or []:
        for tp in sorted(blast.key_set_users(ks.id)):
            edges.add((node("key", ks.id), node("tp", tp)))
    for ref, users in blast.key_users.items():
        if not any(ref in (k.id.casefold(), k.id.casefold().removeprefix("b2c_1a_")) for k in audit.export.key_sets or []):
            for tp in users:  # named by a policy, missing in the tenant (KEY003)
                edges.add((node("key", blast.key_names[ref]), node("tp", tp)))
    for app in [*(audit.export.apps or []), *(audit.export.service_principals or [])]:
        for tp in sorted(blast.app_users(app.app_id, app.id)):
            edges.add((node("app", app.name or app.app_id), node("tp", tp)))
    for tp, pairs in blast.reach.items():
        if f"tp_{re.sub(r'[^A-Za-z0-9_]', '_', tp)}" not in nodes:
            continue
        for journey, rp in pairs:
            edges.add((node("tp", tp), node("journey", journey)))
            edges.add((node("journey", journey), node("rp", rp)))
        if tp in blast.endpoints:
            edges.add((node("tp", tp), node("url", blast.endpoints[tp])))
    names = {a.app_id: a.name or a.app_id for a in audit.export.apps or []}
    for ext in audit.export.extensions or []:
        for flow in [*(audit.export.flows or []), *(audit.export.listeners or [])]:
            if ext.id in flow.extension_ids:
                edges.add((node("ext", ext.name or ext.id), node("flow", flow.name or flow.id)))
                for app_id in flow.app_ids:
                    edges.add((node("flow", flow.name or flow.id), node("app", names.get(app_id, app_id))))
        if ext.target_url:
            edges.add((node("ext", ext.name or ext.id), node("url", ext.target_url)))
    failing = set()
    for p in problems:
        for kind in ("key", "app", "ext"):
            for node_id, (label, k) in nodes.items():
                if k == kind and label.casefold() in p.message.casefold():
                    failing.add(node_id)
    return nodes, sorted(edges), failing


SHAPES = {
    "key": ('[("', '")]'),
    "app": ('[/"', '"/]'),
    "tp": ('["', '"]'),
    "journey": ('(["', '"])'),
    "rp": ('[["', '"]]'),
    "url": ('>"', '"]'),
    "ext": ('[("', '")]'),
    "flow": ('(["', '"])'),
}
KINDS = {
    "key": "key set",
    "app": "app",
    "tp": "technical profile",
    "journey": "journey",
    "rp": "relying party",
    "url": "endpoint",
    "ext": "extension",
    "flow": "user flow",
}


def mermaid(nodes: dict[str, tuple[str, str]], edges: list[Edge], failing: set[str]) -> str:
    """Mermaid flowchart source."""
    lines = ["flowchart LR"]
    for node_id, (label, kind) in sorted(nodes.items()):
        left, right = SHAPES[kind]
        lines.append(f"  {node_id}{left}{KINDS[kind]}: {label.replace(chr(34), '#quot;')}{right}")
    lines += [f"  {a} --> {b}" for a, b in edges]
    lines.append("  classDef failing fill:#fdd,stroke:#c00,stroke-width:2px")
    if failing:
        lines.append(f"  class {','.join(sorted(failing))} failing")
    return "\n".join(lines) + "\n"


DOT_SHAPES = {
    "key": "cylinder",
    "app": "parallelogram",
    "tp": "box",
    "journey": "ellipse",
    "rp": "doubleoctagon",
    "url": "note",
    "ext": "cylinder",
    "flow": "ellipse",
}


def dot(nodes: dict[str, tuple[str, str]], edges: list[Edge], failing: set[str]) -> str:
    """Graphviz source."""
    lines = ["digraph tenant {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node_id, (label, kind) in sorted(nodes.items()):
        text = f"{KINDS[kind]}\\n{label}".replace('"', '\\"')
        style = ', style=filled, fillcolor="#ffdddd", color="#cc0000"' if node_id in failing else ""
        lines.append(f'  {node_id} [label="{text}", shape={DOT_SHAPES[kind]}{style}];')
    lines += [f"  {a} -> {b};" for a, b in edges]
    return "\n".join([*lines, "}"]) + "\n"


def write_map(path: Path, audit: Audit, problems: list[Problem]) -> None:
    """Write the map in the format the file name says."""
    nodes, edges, failing = graph(audit, problems)
    suffix = path.suffix.casefold()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".mmd", ".mermaid"):
        path.write_text(mermaid(nodes, edges, failing), encoding="utf-8")
    elif suffix == ".md":
        path.write_text(f"```mermaid\n{mermaid(nodes, edges, failing)}```\n", encoding="utf-8")
    elif suffix in (".dot", ".gv"):
        path.write_text(dot(nodes, edges, failing), encoding="utf-8")
    elif suffix in (".svg", ".png"):
        program = shutil.which("dot")
        if program is None:
            raise ValueError("rendering SVG or PNG needs Graphviz's dot (apt-get install graphviz); or write .dot or .mmd")
        subprocess.run([program, f"-T{suffix[1:]}", "-o", str(path)], input=dot(nodes, edges, failing).encode(), check=True, timeout=120)
    else:
        raise ValueError("give a file ending in .mmd, .md (Mermaid), .dot, .gv (Graphviz), .svg or .png")
