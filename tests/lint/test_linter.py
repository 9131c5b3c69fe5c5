"""The engine: base paths (a pinned starter pack) are merged into chains and never reported on."""

from __future__ import annotations

import time
from pathlib import Path

from tests.lint.policies import ADVISORY, BASE, clean_set, policy, provider, write
from toolkit.cli import main
from toolkit.lint import Config, lint
from toolkit.lint.linter import fix

#: the base's REST profile lacks its failure message: a REST001 located in the base
FLAWED_BASE = BASE.replace('<Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>', "")
TYPO = provider(
    '<TechnicalProfile Id="SelfAsserted-SignIn"><ValidationTechnicalProfiles>'
    '<ValidationTechnicalProfile ReferenceId="REST-GetLoyality" ContinueOnError="true" />'
    "</ValidationTechnicalProfiles></TechnicalProfile>"
)


def _partial_set(tmp_path: Path) -> tuple[Path, Path]:
    """`mine/` extends a base that lives in `vendor/`, deployed separately."""
    files = clean_set(base=FLAWED_BASE, extensions=TYPO)
    write(tmp_path / "vendor", {"Base.xml": files.pop("Base.xml")})
    write(tmp_path / "mine", files)
    return tmp_path / "mine", tmp_path / "vendor"


def test_a_partial_set_alone_cannot_be_checked_on_its_chain(tmp_path):
    mine, _ = _partial_set(tmp_path)
    report = lint([mine], Config(ignore=ADVISORY))
    assert {p.rule for p in report.problems} == {"INH001"}  # and the typo goes unseen


def test_base_paths_complete_the_chain_and_are_not_reported(tmp_path):
    mine, vendor = _partial_set(tmp_path)
    report = lint([mine], Config(ignore=ADVISORY, base_paths=[str(vendor)]))
    assert [(p.rule, Path(p.path).name) for p in report.problems] == [("INH007", "Extensions.xml")]
    assert "REST-GetLoyality" in report.problems[0].message
    assert report.files == 2
    assert report.notes[-1] == "1 finding in base-path files not reported (lint those files to see it)"
    assert {p.rule for p in lint([vendor, mine], Config(ignore=ADVISORY)).problems} == {"INH007", "REST001"}


def test_fixes_never_edit_base_paths(tmp_path):
    mine, vendor = _partial_set(tmp_path)
    before = (vendor / "Base.xml").read_bytes()
    assert fix([mine], Config(base_paths=[str(vendor)])) == {}
    assert (vendor / "Base.xml").read_bytes() == before
    assert [Path(path).parent.name for path in fix([mine, vendor])] == ["vendor"]  # linted, it is fixed


def test_command_line_base_path(tmp_path, capsys, monkeypatch):
    _partial_set(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--no-cache", "--ignore", "INH007,LIM,BOT", "mine", "--base-path", "vendor"]) == 0
    assert main(["lint", "--print-upload-order", "mine", "--base-path", "vendor"]) == 0
    out = capsys.readouterr().out
    assert "policy files linted: 0 errors" in out and "vendor/" not in out
    assert out.rstrip().splitlines()[-2:] == ["mine/Extensions.xml", "mine/SignUpOrSignin.xml"]
    assert main(["lint", "mine", "--base-path", "missing"]) == 2
    assert "no such file or folder: missing" in capsys.readouterr().err
    write(tmp_path, {"pyproject.toml": '[tool.b2c-toolkit.lint]\nbase-paths = ["vendor"]\nignore = ["LIM", "BOT"]\n'})
    assert main(["lint", "--no-cache", "--format", "json", "mine"]) == 1  # INH007 only: the base is linked
    assert '"INH007"' in capsys.readouterr().out


def test_hostile_text_cannot_stall_a_run(tmp_path):
    """Patterns that backtrack quadratically would take minutes here (a fork's pull request could
    stall CI): a long run of name characters before a placeholder, a REST URL of `#{#{…`, a
    suppression comment of spaces. Each takes milliseconds; the bound is a hundred times that."""
    word = "a" * 200_000
    url = "http://api/" + "#{" * 100_000  # a placeholder URL: read whole by SET001, never judged as a URL
    base = BASE.replace("https://api.contoso.com/loyalty", url).replace("<BuildingBlocks>", f"<BuildingBlocks><!-- {word}yourtenant -->", 1)
    rp = "<!-- b2c-toolkit: disable=REST" + " " * 200_000 + "! -->\n" + clean_set()["SignUpOrSignin.xml"].split("\n", 1)[1]
    files = clean_set(base=base)
    files["Base.xml"] = files["Base.xml"].replace("<ClaimsSchema>", f"<ClaimsSchema><!--x-->{word}{{Settings:X}}", 1)
    write(tmp_path, {**files, "SignUpOrSignin.xml": rp})
    started = time.monotonic()
    report = lint([tmp_path])
    assert time.monotonic() - started < 10
    assert "SET001" in {p.rule for p in report.problems} and "REST006" not in {p.rule for p in report.problems}


def test_a_generated_include_chain_cannot_stall_a_run(tmp_path):
    """5,000 profiles each including the one before (600 KB, within B2C's file limit): every
    profile merged its whole chain, so linting took minutes. Chains are followed 32 levels (INH007
    says so); this takes about a second, and the bound is ten times that."""
    chain = provider(
        '<TechnicalProfile Id="P0"><Protocol Name="None" /></TechnicalProfile>',
        *(
            f'<TechnicalProfile Id="P{i}"><Metadata><Item Key="K{i}">v</Item></Metadata><IncludeTechnicalProfile ReferenceId="P{i - 1}" /></TechnicalProfile>'
            for i in range(1, 5001)
        ),
    )
    write(tmp_path, clean_set(extensions=chain))
    started = time.monotonic()
    report = lint([tmp_path], Config(ignore=ADVISORY))
    assert time.monotonic() - started < 15
    assert [(p.rule, p.message.split(" is over")[0]) for p in report.problems] == [("INH007", "IncludeTechnicalProfile chain of 'P5000'")]


def test_thousands_of_files_extending_one_another_cannot_stall_a_run(tmp_path):
    """3,000 files, each the base of the next: building each chain walked it from the file up, with
    a list search per step (cubic: minutes). Each chain is now its parent's plus one file (two
    seconds here; the bound is 20 s)."""
    files = {"L0.xml": policy("B2C_1A_L0", BASE)}
    for i in range(1, 3000):
        files[f"L{i}.xml"] = policy(f"B2C_1A_L{i}", "", base=f"B2C_1A_L{i - 1}")
    write(tmp_path, files)
    started = time.monotonic()
    report = lint([tmp_path], Config(ignore=ADVISORY))
    assert time.monotonic() - started < 20
    assert sorted(p.rule for p in report.problems if p.rule.startswith("INH")) == ["INH003", "INH005"]  # deep; over 200


def test_thousands_of_placeholders_cannot_stall_a_run(tmp_path):
    """20,000 `{Settings:A}` in a 1.5 MB file: each searched back for a comment before it (8 s).
    Comments are now found once (a tenth of a second; the bound is 20 s)."""
    claims = "".join(f'<ClaimType Id="c{i}"><DisplayName>{{Settings:A}}</DisplayName></ClaimType>' for i in range(20_000))
    write(tmp_path, clean_set(base=BASE.replace("<ClaimsSchema>", "<ClaimsSchema>" + claims, 1)))
    started = time.monotonic()
    report = lint([tmp_path], Config(ignore=ADVISORY))
    assert time.monotonic() - started < 20
    assert [p.message for p in report.problems if p.rule == "SET001"] == ["unresolved placeholder '{Settings:A}' (19999 more in this file)"]


def test_thousands_of_distinct_placeholders_on_one_line_cannot_stall_a_run(tmp_path):
    """20,000 different placeholders, each a finding, in a minified 1.5 MB file: each counted the
    newlines before it (12 s). Lines are now found once (2 s here; the bound is 30 s)."""
    claims = "".join(f'<ClaimType Id="c{i}"><DisplayName>{{Settings:A{i}}}</DisplayName></ClaimType>' for i in range(20_000))
    files = clean_set(base=BASE.replace("<ClaimsSchema>", "<ClaimsSchema>" + claims, 1))
    write(tmp_path, {name: text.replace("\n", " ") for name, text in files.items()})
    started = time.monotonic()
    report = lint([tmp_path], Config(ignore=ADVISORY))
    assert time.monotonic() - started < 30
    assert len([p for p in report.problems if p.rule == "SET001"]) == 20_000
