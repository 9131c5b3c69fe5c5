"""The engine against policies broken at random (hypothesis): the project's resilient set and its
fragile one (every anti-pattern at once), and real sets of the shared corpus, with one file
mangled, byte by byte or element by element. Whatever the file holds, a lint run never
raises, counts every policy file, points every problem inside a file it read, renders in every
format, gives the cached run's answer again, and still reports what the other files hold.

The examples are the same on every run (see the profiles in tests/conftest.py); set
`HYPOTHESIS_PROFILE=fuzz` for a long run with fresh ones.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.lint.damage import CORPUS_SETS, FILES, byte_damage, corpus_set, tree_damage, write_set
from tests.lint.policies import points_at_its_element
from toolkit.lint import Config, Problem, Report, lint
from toolkit.lint.formatters import FORMATS
from toolkit.lint.registry import get

#: relying-party files: nothing inherits from them
LEAVES = {name for name, data in FILES.items() if b"<RelyingParty" in data}


def _lint(folder: Path, files: dict[str, bytes], cache: Path | None = None) -> Report:
    return lint([write_set(folder, files)], Config(), jobs=1, cache=cache)


@cache
def _original() -> Report:
    with tempfile.TemporaryDirectory() as folder:
        return _lint(Path(folder), FILES)


def _checked(files: dict[str, bytes]) -> Report:
    """Lint `files` in a folder of their own, checking what must hold for any input."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report = _lint(folder, files)
        _check_report(folder, files, report)
    return report


def _check_report(folder: Path, files: dict[str, bytes], report: Report) -> None:
    """What must hold for any input."""
    for p in report.problems:
        name = Path(p.path).resolve().relative_to(folder.resolve()).as_posix()
        assert 1 <= p.line <= files[name].count(b"\n") + 1, p
        assert p.column >= 1, p
        assert p.message and get(p.rule).id == p.rule, p
        if p.rule != "XML001":
            points_at_its_element(files[name], p)
    as_json = json.loads(FORMATS["json"](report))
    assert len(as_json["problems"]) == len(report.problems)
    assert as_json["summary"]["files"] == report.files
    assert len(json.loads(FORMATS["sarif"](report))["runs"][0]["results"]) == len(report.problems)
    etree.fromstring(FORMATS["junit"](report).encode())
    assert FORMATS["text"](report).strip()


def _name(problem: Problem) -> str:
    """The key in FILES of the file a problem is in."""
    path = Path(problem.path)
    return f"{path.parent.name}/{path.name}"


def _others_still_reported(name: str, report: Report) -> None:
    """A damaged relying party takes nothing from the others: what the original run found in
    another file for another relying party is still found there."""
    if name not in LEAVES:
        return  # a damaged base changes every chain built on it
    mine = etree.fromstring(FILES[name]).get("PolicyId")
    after = {(_name(p), p.line, p.rule) for p in report.problems}
    for p in _original().problems:
        if _name(p) != name and set(p.policy.split(", ")) - {mine, ""}:
            assert (_name(p), p.line, p.rule) in after, p


@given(byte_damage())
def test_a_file_damaged_byte_by_byte_is_reported_and_the_rest_still_linted(damage: tuple[str, bytes]) -> None:
    name, data = damage
    files = {**FILES, name: data}
    report = _checked(files)
    looks_like_policy = b"TrustFrameworkPolicy" in data
    assert report.files == len(FILES) - (not looks_like_policy)
    xml001 = [p for p in report.problems if p.rule == "XML001"]
    assert all(_name(p) == name for p in xml001)
    try:
        etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        assert xml001 or not looks_like_policy
    _others_still_reported(name, report)


@given(tree_damage())
def test_a_file_damaged_element_by_element_never_breaks_the_run(damage: tuple[str, bytes]) -> None:
    name, data = damage
    files = {**FILES, name: data}
    report = _checked(files)
    assert report.files == len(FILES)
    assert not [p for p in report.problems if p.rule == "XML001"]
    _others_still_reported(name, report)


@given(tree_damage())
def test_the_cache_answers_what_a_cold_run_finds(damage: tuple[str, bytes]) -> None:
    name, data = damage
    files = {**FILES, name: data}
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache_dir = Path(tmp, "set"), Path(tmp, "cache")
        folder.mkdir()
        cold = _lint(folder, files).problems
        assert _lint(folder, files, cache_dir).problems == cold  # checked, then stored
        assert _lint(folder, files, cache_dir).problems == cold  # the whole run from the cache
        (folder / "notes.xml").write_bytes(b"<notes/>")  # not a policy: a new run, the same set
        assert _lint(folder, files, cache_dir).problems == cold  # the set from the cache


@given(data=st.data())
def test_real_sets_damaged_element_by_element_never_break_the_run(shared: Path, data: st.DataObject) -> None:
    files = corpus_set(shared / "corpus" / data.draw(st.sampled_from(CORPUS_SETS)))
    name, damaged = data.draw(tree_damage(files))
    files = {**files, name: damaged}
    report = _checked(files)
    assert report.files == len(files)
