"""Findings on content unchanged from Microsoft's starter pack: recognised by fingerprint, reported
once per rule and file at info (`--starter-pack=report` reports each), unless the team changed
or overrode the element."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.lint.policies import BASE, clean_set, run, write
from toolkit.cli import main
from toolkit.lint import Config, starter_pack

ROOT = Path(__file__).resolve().parents[2]

LEGACY = """<ContentDefinition Id="api.selfasserted"><LoadUri>~/tenant/templates/AzureBlue/selfAsserted.cshtml</LoadUri>
      <RecoveryUri>~/common/default_page_error.html</RecoveryUri>
      <DataUri>urn:com:microsoft:aad:b2c:elements:selfasserted:1.1.0</DataUri></ContentDefinition>
    <ContentDefinition Id="api.signuporsignin"><LoadUri>~/tenant/templates/AzureBlue/unified.cshtml</LoadUri>
      <RecoveryUri>~/common/default_page_error.html</RecoveryUri>
      <DataUri>urn:com:microsoft:aad:b2c:elements:unifiedssp:1.0.0</DataUri></ContentDefinition>"""
#: a base as a starter pack ships it: two legacy page layouts (UI003, a warning)
STOCK = re.sub(r"<ContentDefinition Id=\"api.signuporsignin\">.*?</ContentDefinition>", lambda _: LEGACY, BASE, flags=re.S)
assert STOCK != BASE


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("starter_pack_table", ROOT / "scripts" / "starter_pack_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _script()


@pytest.fixture
def stock_table(tmp_path_factory, monkeypatch):
    """The table made by the script from the synthetic stock base, in place of the shipped one."""
    folder = tmp_path_factory.mktemp("stock")
    write(folder, clean_set(base=STOCK))
    table = folder / "starter_pack.txt"
    assert script.main(["--output", str(table), str(folder / "Base.xml")]) == 0
    parsed = starter_pack.parse(table.read_text())
    assert sum(map(len, parsed.values())) == len(starter_pack.blocks(_root(folder / "Base.xml")))
    monkeypatch.setattr(starter_pack, "table", lambda: parsed)
    return parsed


def _root(path: Path):
    from lxml import etree

    return etree.parse(str(path)).getroot()


def ui003(report):
    return [(p.severity.value, p.message) for p in report.problems if p.rule == "UI003"]


def test_unchanged_starter_pack_content_is_reported_once_at_info(tmp_path, stock_table):
    report = run(tmp_path, clean_set(base=STOCK))
    (found,) = ui003(report)
    assert found[0] == "info"
    assert found[1].startswith(
        "inherited from the starter pack, unchanged: ContentDefinition api.selfasserted, ContentDefinition api.signuporsignin: "
        "ContentDefinition 'api.selfasserted' uses a legacy DataUri"
    )
    assert found[1].endswith("(--starter-pack=report lists each)")
    assert report.worst() is None or report.worst().rank < 1  # does not fail CI (--fail-on warning)


def test_report_mode_reports_each_finding_as_before(tmp_path, stock_table):
    report = run(tmp_path, clean_set(base=STOCK), Config(ignore=["LIM001", "BOT001"], starter_pack="report"))
    assert [s for s, _ in ui003(report)] == ["warning", "warning"]
    assert not any("inherited" in m for _, m in ui003(report))


def test_a_changed_element_is_reported_as_before(tmp_path, stock_table):
    changed = STOCK.replace("AzureBlue/unified.cshtml", "contoso/unified.cshtml")
    report = run(tmp_path, clean_set(base=changed))
    found = sorted(ui003(report))
    assert found[1] == ("warning", "ContentDefinition 'api.signuporsignin' uses a legacy DataUri without a page-layout contract")
    assert found[0][0] == "info" and found[0][1].startswith(
        "inherited from the starter pack, unchanged: ContentDefinition api.selfasserted: "
    )


def test_layout_comments_and_attribute_order_are_not_changes(tmp_path, stock_table):
    reformatted = (
        STOCK.replace("<ContentDefinition Id=", "<!-- ours now -->\n        <ContentDefinition   Id=")
        .replace("</LoadUri>", "</LoadUri>\r\n\t\t")
        .replace('<Protocol Name="Proprietary" Handler=', "<Protocol\n   Handler=")
    )
    reformatted = re.sub(r'<Protocol\n   Handler="([^"]*)" />', r'<Protocol Handler="\1" Name="Proprietary" />', reformatted)
    assert reformatted.count('Name="Proprietary" />') == STOCK.count('<Protocol Name="Proprietary"') > 0
    (found,) = ui003(run(tmp_path, clean_set(base=reformatted)))
    assert found[0] == "info" and "api.selfasserted, ContentDefinition api.signuporsignin" in found[1]


def test_an_override_below_the_base_is_the_teams_change(tmp_path, stock_table):
    # the extensions file redefines one stock content definition (to a new LoadUri, same legacy
    # layout): its finding is on the team's element, and the base's element, overridden, is theirs too
    override = LEGACY.split('\n    <ContentDefinition Id="api.signuporsignin">')[0].replace("AzureBlue", "contoso")
    extensions = f"<BuildingBlocks><ContentDefinitions>{override}</ContentDefinitions></BuildingBlocks>"
    report = run(tmp_path, clean_set(base=STOCK, extensions=extensions))
    found = ui003(report)
    assert ("warning", "ContentDefinition 'api.selfasserted' uses a legacy DataUri without a page-layout contract") in found
    inherited = [m for s, m in found if s == "info"]
    assert len(inherited) == 1 and "unchanged: ContentDefinition api.signuporsignin:" in inherited[0]


def test_placeholders_in_stock_content_stay_the_teams_to_replace(tmp_path, stock_table, monkeypatch):
    with_placeholder = STOCK.replace("~/tenant/templates/AzureBlue/unified.cshtml", "https://{your-storage}/unified.cshtml")
    folder = tmp_path / "stock"
    write(folder, {"Base.xml": clean_set(base=with_placeholder)["Base.xml"]})
    parsed = starter_pack.parse("\n".join(f"{i} {d}" for i, d in starter_pack.entries(_root(folder / "Base.xml"))))
    monkeypatch.setattr(starter_pack, "table", lambda: parsed)
    report = run(tmp_path / "team", clean_set(base=with_placeholder), Config(select=["SET001", "UI003"]))
    assert [(p.rule, p.severity.value) for p in report.problems if p.rule == "SET001"] == [("SET001", "warning")]
    assert [s for s, _ in ui003(report)] == ["info"]


def test_the_command_line_flag_and_setting(tmp_path, stock_table, monkeypatch, capsys):
    write(tmp_path, {**clean_set(base=STOCK), "pyproject.toml": '[tool.b2c-toolkit.lint]\nignore = ["LIM001", "BOT001"]\n'})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--no-cache"]) == 0
    assert "inherited from the starter pack" in capsys.readouterr().out
    assert main(["lint", "--no-cache", "--starter-pack=report"]) == 1
    out = capsys.readouterr().out
    assert out.count("UI003 warning") == 2
    (tmp_path / "pyproject.toml").write_text('[tool.b2c-toolkit.lint]\nignore = ["LIM001", "BOT001"]\nstarter-pack = "report"\n')
    assert main(["lint", "--no-cache"]) == 1
    (tmp_path / "pyproject.toml").write_text('[tool.b2c-toolkit.lint]\nstarter-pack = "hide"\n')
    assert main(["lint", "--no-cache"]) == 2
    assert 'starter-pack must be one of info, report, not "hide"' in capsys.readouterr().err


def test_the_cache_keeps_the_two_modes_apart(tmp_path, stock_table, monkeypatch, capsys):
    write(tmp_path, {**clean_set(base=STOCK), "pyproject.toml": '[tool.b2c-toolkit.lint]\nignore = ["LIM001", "BOT001"]\n'})
    monkeypatch.chdir(tmp_path)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["lint", *cache]) == 0
    assert main(["lint", *cache, "--starter-pack=report"]) == 1
    assert main(["lint", *cache]) == 0


def test_the_shipped_table_is_the_one_its_sources_give(shared):
    # the header names the files read, relative to the shared corpus; regenerating gives the same
    header = [line for line in starter_pack.TABLE.read_text().splitlines() if line.startswith("#   ")]
    sources = [shared / "corpus" / line[4:] for line in header]
    assert len(sources) == 10 and all(p.is_file() for p in sources)
    text, count = script.table([Path(line[4:]) for line in header], root=shared / "corpus")
    assert text == starter_pack.TABLE.read_text()
    assert count == sum(map(len, starter_pack.table().values()))
    # every building block of the starter pack's bases is recognised; a changed one is not
    for path in sources:
        assert all(starter_pack.unchanged(el) for el in starter_pack.blocks(_root(path)))
    profile = next(el for el in starter_pack.blocks(_root(sources[0])) if el.get("Id") == "AAD-Common")
    profile.append(profile.makeelement(profile.tag.replace("TechnicalProfile", "IncludeInSso")))
    assert not starter_pack.unchanged(profile)
