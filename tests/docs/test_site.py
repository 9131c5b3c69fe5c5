"""The documentation site builds without a warning, its generated pages follow the code, and the
README stays a short front door."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sample_app.config import SETTINGS
from tests.lint.examples import hooks
from toolkit.lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]


def _text(page: str) -> str:
    """A page's text as one line: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).replace("*", "").split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict`, once per module: a broken link, anchor or a page left out of the nav fails."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_site_builds_with_the_pictures(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "images" / "normal.png").is_file()


def test_every_rule_has_its_page_and_no_page_is_left_over(site: Path) -> None:
    rules = all_rules()
    pages = {p.name for p in (site / "rules").iterdir() if p.is_dir()}
    assert pages == {r.id for r in rules}
    table = (site / "rules" / "index.html").read_text(encoding="utf-8")
    for r in rules:
        page = (site / "rules" / r.id / "index.html").read_text(encoding="utf-8")
        assert html.escape(r.title, quote=False) in page
        assert r.help_uri in page
        text = _text(page)
        for line in r.doc.splitlines():  # the whole docstring is on the page, prose and examples
            words = " ".join(line.replace("`", "").replace("*", "").replace("::", ":").split())
            assert words in text, (r.id, line)
        assert f'href="{r.id}/"' in table


def test_rule_pages_show_the_example_and_the_command_that_lints_it(site: Path) -> None:
    for r in all_rules():
        text = _text((site / "rules" / r.id / "index.html").read_text(encoding="utf-8"))
        if r.id in hooks.NO_EXAMPLE:
            assert hooks.NO_EXAMPLE[r.id] in text
            continue
        assert hooks.example_command(r) in text
        comment = next(line for line in hooks.example_file(r).read_text(encoding="utf-8").splitlines() if f"<!-- {r.id}: " in line)
        assert " ".join(comment.split()) in text, r.id


def test_rules_table_is_the_registry() -> None:
    rows = [line for line in hooks.rules_table().splitlines() if line.startswith("| [")]
    assert rows == [f"| [{r.id}]({r.id}.md) | {r.severity.value} | {r.title.replace('|', chr(92) + '|')} |" for r in all_rules()]
    index = (ROOT / "docs" / "rules" / "index.md").read_text(encoding="utf-8")
    assert "<!-- generated: rules-table -->" in index.splitlines()


#: a Markdown table row that starts with a rule id: a rule list kept by hand
RULE_ROW = re.compile(r"^\|\s*\[?`?[A-Z]{2,5}\d{3}\b", re.MULTILINE)


def test_no_rule_list_is_kept_by_hand() -> None:
    """The rule table is generated; the precision page's tables are a measurement record."""
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    kept = [p.name for p in pages if p.name != "lint-precision.md" and RULE_ROW.search(p.read_text(encoding="utf-8"))]
    assert kept == []


def test_the_fix_paragraph_names_the_rules_fix_edits() -> None:
    """docs/linter.md lists the rules `--fix` handles: the same as `toolkit.lint.fix.FIXERS`."""
    from toolkit.lint.fix import FIXERS

    page = (ROOT / "docs" / "linter.md").read_text(encoding="utf-8")
    paragraph = page[page.index("- **`--fix`**") :].split("\n- **", 1)[0]
    assert set(re.findall(r"`([A-Z]{2,5}\d{3})`", paragraph)) == set(FIXERS)


def test_settings_table_lists_every_setting(site: Path) -> None:
    page = (site / "reference-app" / "index.html").read_text(encoding="utf-8")
    assert "generated:" not in page
    for name in SETTINGS:
        assert f"<code>{name}</code>" in page


def test_cli_reference_lists_every_option(site: Path) -> None:
    from toolkit.cli import build_parser

    page = html.unescape((site / "cli" / "index.html").read_text(encoding="utf-8"))
    for path, parser in hooks._walk(build_parser(), ["b2c-toolkit"]):
        assert " ".join(path) in page
        for action in parser._actions:
            for option in action.option_strings:
                assert option in page, (path, option)


def test_docstring_examples_become_fenced_xml() -> None:
    doc = 'Why.\n\nBad::\n\n    <Item Key="A">1</Item>\n      <X />\n\nFixed::\n\n    <Item Key="A">2</Item>\n\nSource: x.'
    assert hooks.doc_to_markdown(doc) == (
        'Why.\n\nBad:\n\n```xml\n<Item Key="A">1</Item>\n  <X />\n```\n\nFixed:\n\n```xml\n<Item Key="A">2</Item>\n```\n\nSource: x.\n'
    )


def test_every_setting_has_a_row_with_its_meaning() -> None:
    table = hooks.settings_table()
    for name, (_default, _convert, meaning) in SETTINGS.items():
        assert meaning.strip(), name
        assert f"| `{name}` |" in table


def test_an_unknown_marker_is_an_error() -> None:
    with pytest.raises(ValueError, match="no-such-part"):
        hooks.render("text\n<!-- generated: no-such-part -->\n")


def test_nested_lists_are_indented_as_mkdocs_reads_them() -> None:
    """Python-Markdown nests a list item indented by 4 spaces; one indented by 2 or 3 renders flat."""
    flat = []
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        prose = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
        flat += [f"{page.name}: {line}" for line in prose.splitlines() if re.match(r" {1,3}([-*+]|\d+\.) ", line)]
    assert flat == []


def test_the_linters_nested_list_renders_nested(site: Path) -> None:
    page = (site / "linter" / "index.html").read_text(encoding="utf-8")
    item = page.index("no pattern backtracks quadratically")
    parent = page.rfind("Pull requests from forks", 0, item)
    assert parent > 0 and "</li>" not in page[parent:item] and "<ul>" in page[parent:item]  # inside its parent item


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    top = "\n".join(lines[:6])
    assert "bash scripts/demo.sh" in top
    assert "bash scripts/test.sh" in top


def test_readme_says_what_each_command_installs_and_leads_with_an_install_that_works() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\w*\n(.*?)```", text, re.DOTALL)
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]  # the two set-up commands, alone
    intro = text[text.index("```", text.index("bash scripts/test.sh")) : text.index("## Install")]
    for said in ("pip install -e '.[drill]'", "`[dev]`", "no apt-get, no root", "B2C_SKIP_APT=1", "apt-get", "MB"):
        assert said in intro, said
    install = text[text.index("## Install") : text.index("## Quick start")]
    first = re.search(r"```bash\n(.*?)\n", install)
    assert first is not None and first.group(1).startswith("pip install -e '.[drill]'")  # runnable from a clone today
    assert "git+https://github.com/OWNER/b2c-resilience-toolkit" in install
    assert "pip install b2c-resilience-toolkit" in install and "published" in install  # the index line, for later


def test_readme_links_and_pictures_exist() -> None:
    """The README is read on the forge, outside the site: its relative links must resolve there."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert targets
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists()]
    assert not missing
