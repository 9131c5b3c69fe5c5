"""MkDocs hooks: the pages that are generated from the code when the site is built.

- one page per lint rule, `rules/<ID>.md`, from the rule's docstring (what `b2c-toolkit rules ID`
  prints) and its example set in `policies/antipatterns/<id>/` (the command that lints it and the
  file that shows the anti-pattern), and the rule table on `rules/index.md`;
- the reference app's settings table, from `sample_app/config.py`'s `SETTINGS` (default,
  converter and meaning of each setting);
- the command-line reference, from the argument parsers of `b2c-toolkit`;
- one page per tenant audit rule, `tenant-rules/<ID>.md`, with its example export in
  `policies/tenant-examples/<id>/`, the audit rule table and the Graph resources table.

A page asks for a generated part with a marker line, e.g. `<!-- generated: rules-table -->`. A rule,
setting or option added to the code appears in the site without editing the docs.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[1]


# ---- rules ------------------------------------------------------------------------------------


def _rules() -> list[Any]:
    from toolkit.lint.registry import all_rules

    return all_rules()


def doc_to_markdown(doc: str) -> str:
    """A rule docstring as Markdown: `Bad::` and its indented block become a fenced XML example."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1])  # "Bad::" -> "Bad:"
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            out += ["", "```xml", *block, "```", ""]
            continue
        out.append(_prose(line))
        i += 1
    return "\n".join(out).strip() + "\n"


def _prose(line: str) -> str:
    """A prose line with `<` outside code spans escaped: `<BasePolicy>` in a sentence is text, not HTML."""
    parts = line.split("`")
    return "`".join(part if n % 2 else part.replace("<", "&lt;") for n, part in enumerate(parts))


#: every rule's example: one small policy set per rule that extends the resilient set and raises
#: that rule and no other error or warning (tests/lint/test_project_policies.py checks each)
EXAMPLES = "policies/antipatterns"
#: the rules that have no example set, and why
NO_EXAMPLE = {"INH005": "its limits take a 1 MB file or 201 policies, too big to keep in the repository"}
#: the schema XSD001 validates against (Microsoft's, not kept in the repository)
SCHEMA = "TrustFrameworkPolicy_0.3.0.0.xsd"


def example_folder(rule: Any) -> str:
    """Where a rule's example set lives, relative to the repository root."""
    return f"{EXAMPLES}/{rule.id.lower()}"


def example_command(rule: Any) -> str:
    """The command, run from the repository root, that lints a rule's example set over the
    resilient set it extends (a set of its own in a sibling folder: linked with --base-path, never
    borrowed). An inventory runs only when named; XSD001 needs the schema."""
    select = f" --select ALL,{rule.id}" if rule.inventory else ""
    schema = f" --schema {SCHEMA}" if rule.id == "XSD001" else ""
    return f"b2c-toolkit lint{select}{schema} --base-path policies/resilient {example_folder(rule)}"


def example_file(rule: Any) -> Path:
    """The file of a rule's example set that shows the anti-pattern: the one whose comment names
    the rule (`<!-- REST006: why -->`). A clear error when there is none or more than one."""
    folder = ROOT / example_folder(rule)
    marked = [f for f in sorted(folder.glob("*.xml")) if f"<!-- {rule.id}: " in f.read_text(encoding="utf-8")]
    if len(marked) != 1:
        raise ValueError(f"{folder}: {len(marked)} files hold the comment '<!-- {rule.id}: why -->'; one must")
    return marked[0]


def example_section(rule: Any) -> str:
    """The rule page's example: the command and the file that shows the anti-pattern."""
    if rule.id in NO_EXAMPLE:
        return f"## Example\n\nNo example set: {NO_EXAMPLE[rule.id]}.\n"
    path = example_file(rule)
    others = sorted(f.name for f in path.parent.glob("*.xml") if f != path)
    rest = f" (with {', '.join(f'`{name}`' for name in others)})" if others else ""
    return (
        f"## Example\n\n`{example_folder(rule)}/` is a small policy set that extends the resilient set and raises "
        f"{rule.id} and no other error or warning:\n\n"
        f"```text\n{example_command(rule)}\n```\n\n"
        f"`{path.name}`{rest}:\n\n```xml\n{path.read_text(encoding='utf-8').rstrip()}\n```\n"
    )


def rule_page(rule: Any) -> str:
    """The Markdown page of one rule: its documentation, then its example."""
    return (
        f"# {rule.id}: {rule.title}\n\n"
        f"Severity **{rule.severity.value}**, scope {rule.scope.value}; "
        f"`b2c-toolkit rules {rule.id}` prints the text down to the example.\n\n"
        f"{doc_to_markdown(rule.doc)}\n"
        f"Microsoft documentation: <{rule.help_uri}>\n\n"
        f"{example_section(rule)}"
    )


def rule_pages() -> dict[str, str]:
    """Every rule's page by its path in the site."""
    return {f"rules/{r.id}.md": rule_page(r) for r in _rules()}


def rules_table() -> str:
    rows = [f"| [{r.id}]({r.id}.md) | {r.severity.value} | {_cell(r.title)} |" for r in _rules()]
    return "\n".join(["| Rule | Severity | Title |", "|---|---|---|", *rows]) + "\n"


# ---- tenant audit rules ------------------------------------------------------------------------

#: every audit rule's example: an export (and for drift, the repository it is compared with) that
#: raises that rule and nothing else (tests/tenant/rules/test_examples.py checks each)
TENANT_EXAMPLES = "policies/tenant-examples"
#: the date the examples are audited at: their dates are fixed, so the run is reproducible
TENANT_AT = "2026-06-01"


def _tenant_rules() -> list[Any]:
    from toolkit.tenant.registry import all_rules

    return all_rules()


def tenant_example_command(rule: Any) -> str:
    """The command, run from the repository root, that audits a rule's example export."""
    repository = " --policies policies/resilient" if "repository" in rule.requires else ""
    return f"b2c-toolkit tenant audit {TENANT_EXAMPLES}/{rule.id.lower()}{repository} --at {TENANT_AT}"


def tenant_rule_page(rule: Any) -> str:
    """The Markdown page of one audit rule: its documentation, then its example export."""
    folder = ROOT / TENANT_EXAMPLES / rule.id.lower()
    shown = sorted(p.name for p in folder.glob("*.json") if p.name != "manifest.json")
    files = "".join(f"\n`{name}`:\n\n```json\n{(folder / name).read_text(encoding='utf-8').rstrip()}\n```\n" for name in shown)
    policies = sorted(p.name for p in (folder / "policies").glob("*.xml")) if (folder / "policies").is_dir() else []
    uploaded = f"\nand the uploaded policies in `policies/`: {', '.join(f'`{n}`' for n in policies)}.\n" if policies else ""
    return (
        f"# {rule.id}: {rule.title}\n\n"
        f"Severity **{rule.severity.value}**; needs {', '.join(f'`{r}`' for r in rule.requires)}; "
        f"`b2c-toolkit tenant rules {rule.id}` prints the text down to the example.\n\n"
        f"{doc_to_markdown(rule.doc)}\n"
        f"Microsoft documentation: <{rule.help_uri}>\n\n"
        f"## Example\n\n`{TENANT_EXAMPLES}/{rule.id.lower()}/` is an export that raises {rule.id} and nothing else:\n\n"
        f"```text\n{tenant_example_command(rule)}\n```\n{files}{uploaded}"
    )


def tenant_rule_pages() -> dict[str, str]:
    """Every audit rule's page by its path in the site."""
    return {f"tenant-rules/{r.id}.md": tenant_rule_page(r) for r in _tenant_rules()}


def tenant_rules_table() -> str:
    rows = [
        f"| [{r.id}](tenant-rules/{r.id}.md) | {r.severity.value} | {_cell(r.title)} | {', '.join(r.requires)} |" for r in _tenant_rules()
    ]
    return "\n".join(["| Rule | Severity | Title | Needs |", "|---|---|---|---|", *rows]) + "\n"


def tenant_resources_table() -> str:
    from toolkit.tenant.resources import RESOURCES

    rows = [f"| `{r.name}` | `{r.version}` | `{r.path}` | `{r.permission}` | {_cell(r.about)} |" for r in RESOURCES]
    return (
        "\n".join(["| Resource | API | Endpoint | Application permission | What the audit reads |", "|---|---|---|---|---|", *rows]) + "\n"
    )


# ---- reference app settings -------------------------------------------------------------------


def _default(value: Any) -> str:
    if value == "":
        return "unset"
    return f"`{value}`"


def settings_table() -> str:
    from sample_app import config

    rows = []
    for name, (default, convert, meaning) in config.SETTINGS.items():
        kind = getattr(convert, "__name__", str(convert))
        rows.append(f"| `{name}` | {_default(default)} | {kind} | {_cell(meaning)} |")
    return "\n".join(["| Variable | Default | Type | Meaning |", "|---|---|---|---|", *rows]) + "\n"


# ---- command line -----------------------------------------------------------------------------


def _walk(parser: argparse.ArgumentParser, path: list[str]) -> list[tuple[list[str], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _walk(child, [*path, name])
    return found


#: characters a code block of the content column shows whole, on a desktop screen with both
#: sidebars (a test looks at the built page in Chromium)
HELP_WIDTH = 78


def fold(text: str, width: int) -> str:
    """Lines longer than `width` broken after a space or comma, continued 2 columns further in
    than they start: argparse wraps help text, but not a usage line's list of choices
    (`[--kind {outage,error,...}]`), which would run out of its column."""
    out = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        while len(line) > width:
            cut = max(line.rfind(" ", len(indent), width), line.rfind(",", len(indent), width - 1) + 1)
            if cut <= len(indent):
                break  # nowhere to break: leave it whole
            out.append(line[:cut].rstrip())
            line = indent + line[cut:].lstrip()
        out.append(line)
    return "\n".join(out)


def cli_reference() -> str:
    """`--help` of `b2c-toolkit` and of every subcommand, at a fixed width."""
    from toolkit.cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH + 2)  # argparse leaves 2 columns free
    try:
        parts = []
        for path, parser in _walk(build_parser(), ["b2c-toolkit"]):
            depth = "##" if len(path) <= 2 else "###"
            parts.append(f"{depth} `{' '.join(path)}`\n\n```text\n{fold(parser.format_help().rstrip(), HELP_WIDTH)}\n```\n")
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


GENERATORS = {
    "rules-table": rules_table,
    "settings-table": settings_table,
    "cli-reference": cli_reference,
    "tenant-rules-table": tenant_rules_table,
    "tenant-resources-table": tenant_resources_table,
}


def render(markdown: str) -> str:
    """Replace each marker line with what its generator writes; an unknown marker is an error."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated part {name!r} (known: {', '.join(GENERATORS)})")
        return GENERATORS[name]().rstrip()

    return MARKER.sub(fill, markdown)


# ---- MkDocs events ----------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Put every rule page in the nav, under its rule reference."""
    pages = [{r.id: f"rules/{r.id}.md"} for r in _rules()]
    tenant_pages = [{r.id: f"tenant-rules/{r.id}.md"} for r in _tenant_rules()]

    def expand(items: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if isinstance(item, dict):
                (title, value), *_ = item.items()
                if value == "rules/index.md":
                    out.append({title: ["rules/index.md", *pages]})
                    continue
                if value == "tenant-audit.md":
                    # nested, as the linter's are: a flat list of rule ids would fill the sidebar
                    out.append({title: ["tenant-audit.md", {"Rule reference": tenant_pages}]})
                    continue
                if isinstance(value, list):
                    out.append({title: expand(value)})
                    continue
            out.append(item)
        return out

    config["nav"] = expand(config["nav"])
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the rule pages (generated in memory, never written to docs/)."""
    from mkdocs.structure.files import File

    for path, content in {**rule_pages(), **tenant_rule_pages()}.items():
        if files.get_file_from_path(path) is not None:
            raise ValueError(f"docs/{path} is written by hand: rule pages are generated from the rule's docstring")
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return render(markdown)
