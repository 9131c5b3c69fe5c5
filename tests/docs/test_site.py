"""The documentation site builds without a warning, its generated pages follow the code, and the
README stays a short front door."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sample_app.config import SETTINGS
from tests.lint.examples import hooks
from tests.support import NO_CHROMIUM, chromium, has_chromium
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


def test_cli_reference_fits_its_column() -> None:
    """argparse wraps help text but not a usage line's choices; `fold` breaks what is left over."""
    lines = [line for line in hooks.cli_reference().splitlines() if not line.startswith("#")]
    assert max(map(len, lines)) <= hooks.HELP_WIDTH
    assert hooks.fold("      [--kind {outage,error,throttle}]", 24) == "      [--kind {outage,\n        error,throttle}]"


def test_tenant_rule_pages_are_nested_in_the_nav(site: Path) -> None:
    page = (site / "tenant-audit" / "index.html").read_text(encoding="utf-8")
    nav = page[page.index('class="md-nav md-nav--primary"') :]
    assert nav.index("CRED001") > nav.index("Rule reference", nav.index("Tenant audit"))


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


def test_how_files_are_read_is_written_for_users(site: Path) -> None:
    """The section says what the linter does with a reader's files; how it is tested is on the
    contributing page. Its lists render as lists."""
    page = (site / "linter" / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="how-files-are-read"') : page.index('id="command-line"')]
    assert "<li>parsing loads no DTD" in section and "<li><code>--base-path PATH</code>" in section
    text = _text(section)
    for internal in ("hypothesis", "property test", "fresh examples", "runs in a second", "tested in a process"):
        assert internal not in text
    contributing = _text((site / "contributing" / "index.html").read_text(encoding="utf-8"))
    assert "HYPOTHESIS_PROFILE=fuzz" in contributing and "minified" in contributing


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


#: what each page is checked for once rendered, in the browser (a list of what is wrong):
#: a page wider than the window, a code block cut off in its column (what it holds wider than
#: what it shows: the reader must scroll sideways for the end of a help line), a table wider than
#: the text, and Markdown left as text
RENDERING_PROBLEMS = """
const problems = [];
if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("page wider than the window");
for (const code of document.querySelectorAll(".md-content pre > code")) {
  if (code.scrollWidth > code.clientWidth + 1 && arguments[0]) {
    problems.push("code block cut off: " + code.innerText.split("\\n").find(l => l.length > 0).slice(0, 60));
  }
}
for (const table of document.querySelectorAll(".md-typeset__table table")) {
  if (table.scrollWidth > table.parentElement.clientWidth + 1) problems.push("table wider than the text: " + table.innerText.slice(0, 60));
}
const prose = document.querySelector(".md-content").cloneNode(true);
prose.querySelectorAll("code, pre").forEach(e => e.remove());  // a marker shown as code is meant
const text = prose.textContent;
for (const left of ["```", "<!-- generated", "]("]) if (text.includes(left)) problems.push("Markdown left as text: " + left);
return problems;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not has_chromium():
        pytest.skip(NO_CHROMIUM)
    driver = chromium("--hide-scrollbars")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP, as a reader gets it (links to folders find their index.html)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


#: pages whose wide code blocks are sample output a reader scrolls through (a console session, a
#: log): only pages that must show all of each line (the command-line reference) are held to it
WHOLE_LINES = {"cli"}


def test_every_page_renders_in_chromium(site: Path, served: str, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each page of the built site in headless Chromium at a desktop width: screenshots of every
    page (in the test's temporary folder, printed) to look at, and the checks of RENDERING_PROBLEMS."""
    shots = tmp_path_factory.mktemp("docs-screenshots")
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html") if "assets" not in p.parts)
    assert len(pages) > 40
    found = {}
    for page in pages:
        browser.set_window_size(1280, 900)
        browser.get(served + ("" if page == "." else page + "/"))
        height = min(browser.execute_script("return document.documentElement.scrollHeight"), 16000)
        browser.set_window_size(1280, height)
        name = "index" if page == "." else page.replace("/", "_")
        browser.save_screenshot(str(shots / f"{name}.png"))
        if problems := browser.execute_script(RENDERING_PROBLEMS, page in WHOLE_LINES):
            found[page] = problems
    print(f"screenshots of {len(pages)} pages in {shots}")
    assert found == {}, "\n".join(f"{page}: {problem}" for page, problems in found.items() for problem in problems)
