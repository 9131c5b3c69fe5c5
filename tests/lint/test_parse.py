"""Secure loading: odd encodings are fine, unsafe or broken files are XML001, nothing stops the run."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.lint.damage import CORPUS_SETS, FILES, corpus_set, write_set
from tests.lint.policies import clean_set, points_at_its_element, rule_ids, rules_of, run, write
from toolkit.lint import Config, lint
from toolkit.lint import parse as parse_module
from toolkit.lint.parse import NS, PolicyFile, parse

ROOT = Path(__file__).resolve().parents[2]

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06">&lol3;</TrustFrameworkPolicy>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="&secret;">&secret;</TrustFrameworkPolicy>
"""


def test_bom_crlf_and_leading_comments_are_fine(tmp_path):
    files: dict[str, str | bytes] = dict(clean_set())
    rp = str(files["SignUpOrSignin.xml"])
    files["SignUpOrSignin.xml"] = (
        b"\xef\xbb\xbf"
        + rp.replace("\n", "\r\n").replace("<TrustFrameworkPolicy", "<!-- leading comment -->\r\n<TrustFrameworkPolicy", 1).encode()
    )
    report = run(tmp_path, files)
    assert report.files == 3
    assert report.problems == []


FRAGILE = Path(__file__).resolve().parents[2] / "policies" / "antipatterns" / "fragile"


def _in(codec: str, bom: bytes, text: str) -> bytes:
    return bom + text.replace('encoding="utf-8"', 'encoding="utf-16"').encode(codec)


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-32-le", b"\xff\xfe\x00\x00")],
)
def test_a_utf16_policy_reports_what_the_same_policy_in_utf8_reports(tmp_path, codec, bom):
    """Real lines and columns, and the findings read from the text (placeholders: SET001), as in UTF-8."""
    utf8, wide = tmp_path / "utf8", tmp_path / "wide"
    for name in ("TrustFrameworkBase.xml", "SignUpOrSignin.xml"):
        text = (FRAGILE / name).read_text(encoding="utf-8")
        write(utf8, {name: text})
        write(wide, {name: _in(codec, bom, text)})
    expected = [p._replace(path=p.path.replace("/utf8/", "/wide/")) for p in lint([utf8]).problems]
    found = lint([wide]).problems
    assert found == expected
    assert {p.rule for p in found} >= {"DEP001", "SET001"} and min(p.column for p in found) > 1


def test_entity_bomb_and_xxe_are_findings_not_crashes(tmp_path):
    files: dict[str, str | bytes] = {**clean_set(), "bomb.xml": BOMB, "xxe.xml": XXE}
    report = run(tmp_path, files)
    assert report.files == 5
    assert sorted(rules_of(report)) == [("XML001", "bomb.xml", 2), ("XML001", "xxe.xml", 2)]
    assert all("passwd" not in p.message and "lol" not in p.message for p in report.problems)


def test_malformed_policy_reports_line_and_others_still_linted(tmp_path):
    files = clean_set(ext_attrs='DeploymentMode="Development"')
    files["broken.xml"] = '<?xml version="1.0"?>\n<TrustFrameworkPolicy xmlns="x">\n  <BasePolicy>\n</TrustFrameworkPolicy>\n'
    report = run(tmp_path, files)
    assert rule_ids(report) == {"XML001", "DEP001"}
    broken = next(p for p in report.problems if p.rule == "XML001")
    assert (broken.path.endswith("broken.xml"), broken.line) == (True, 4)
    assert "not well-formed" in broken.message


def test_other_xml_is_skipped_silently(tmp_path):
    files: dict[str, str | bytes] = {**clean_set(), "web.config.xml": "<configuration/>", "notes.xml": "<not closed", "data.json": "{}"}
    report = run(tmp_path, files)
    assert (report.files, report.problems) == (3, [])


def test_wrong_namespace_is_reported(tmp_path):
    report = run(tmp_path, {"p.xml": '<TrustFrameworkPolicy xmlns="urn:other" PolicyId="B2C_1A_x"/>'})
    assert rule_ids(report) == {"XML001"}


def test_locate_finds_each_tag_and_attribute_on_a_crowded_line(tmp_path):
    """A minified policy is one line: each element is the start tag at its rank among those of its
    name ending on the line, and an attribute is searched within its own tag only."""
    text = (
        f'<TrustFrameworkPolicy xmlns="{NS}"><A Id="a1" X="1"/><A Id="a2"/><B><A Id="a3" X="3"/></B>\n'
        '<A\n   Id="a4"\n   X="4"/>\n</TrustFrameworkPolicy>\n'
    )
    f = parse(tmp_path / "p.xml", text.encode())
    assert isinstance(f, PolicyFile)
    a = {el.get("Id"): el for el in f.root.iter(f"{{{NS}}}A")}
    first = text.split("\n")[0]
    assert f.locate(a["a1"]) == (1, first.index('<A Id="a1"') + 1)
    assert f.locate(a["a1"], "X") == (1, first.index('X="1"') + 1)
    assert f.locate(a["a2"]) == (1, first.index('<A Id="a2"') + 1)
    assert f.locate(a["a2"], "X") == (1, first.index('<A Id="a2"') + 1)  # not a3's X: a2 has none
    assert f.locate(a["a3"], "X") == (1, first.index('X="3"') + 1)
    assert f.locate(a["a4"]) == (2, 1)  # the tag ends on line 4 and begins on line 2
    assert f.locate(a["a4"], "X") == (4, 4)


def test_thousands_of_findings_on_one_line_are_located_in_one_scan(tmp_path):
    """Each finding rescanned the whole line: a 500 KB minified file with 5,000 findings took
    minutes. Now the line is scanned once per tag name (half a second here; the bound is 20 s)."""
    profiles = "".join(f'<TechnicalProfile Id="P{i}"><DisplayName>p</DisplayName></TechnicalProfile>' for i in range(5000))
    text = f'<TrustFrameworkPolicy xmlns="{NS}"><TechnicalProfiles>{profiles}</TechnicalProfiles></TrustFrameworkPolicy>'
    f = parse(tmp_path / "p.xml", text.encode())
    assert isinstance(f, PolicyFile)
    started = time.monotonic()
    columns = [f.locate(el, "Id")[1] for el in f.root.iter(f"{{{NS}}}TechnicalProfile")]
    assert time.monotonic() - started < 20
    assert columns == [text.index(f'Id="P{i}"') + 1 for i in range(5000)]


def _minified(data: bytes) -> bytes:
    return re.sub(rb">\s+<", b"><", data)


def _one_attribute_per_line(data: bytes) -> bytes:
    return re.sub(rb"<[\w:.-]+(?:\s+[\w:.-]+=\"[^\"]*\")+\s*/?>", lambda m: re.sub(rb"\s+(?=[\w:.-]+=\")", b"\n      ", m.group()), data)


def _same_problems_each_at_its_own_tag(folder: Path, files: dict[str, bytes], layout: Callable[[bytes], bytes]) -> None:
    """`files` as written and reformatted by `layout` report the same problems, each pointing at
    its own element's tag or attribute."""

    def lint_as(where: Path, written: dict[str, bytes]) -> list[tuple[str, str, str, str]]:
        report = lint([write_set(where, written)], Config(), jobs=1)
        for p in report.problems:
            points_at_its_element(written[Path(p.path).relative_to(where).as_posix()], p)
        return sorted((p.rule, Path(p.path).name, p.message, p.identity) for p in report.problems)

    assert lint_as(folder / "as-written", files) == lint_as(folder / "reformatted", {k: layout(v) for k, v in files.items()})


LAYOUTS = [_minified, _one_attribute_per_line]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_reformatted_set_reports_the_same_problems_each_at_its_own_tag(tmp_path, layout):
    """The project's two sets, minified (one line per file) or with every attribute on a line of
    its own."""
    _same_problems_each_at_its_own_tag(tmp_path, FILES, layout)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", CORPUS_SETS)
def test_a_reformatted_corpus_set_reports_the_same_problems_each_at_its_own_tag(tmp_path, shared, name, layout):
    _same_problems_each_at_its_own_tag(tmp_path, corpus_set(shared / "corpus" / name), layout)


@given(st.binary(max_size=200).flatmap(lambda data: st.tuples(st.just(data), st.integers(0, len(data)))))
def test_position_and_offset_agree_with_counting_lines(case):
    data, offset = case
    f = PolicyFile(Path("p.xml"), "p.xml", etree.Element("x"), data)
    line = data.count(b"\n", 0, offset) + 1
    assert f.position(offset) == (line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1)
    assert f.offset(*f.position(offset)) == offset


def test_a_failure_while_parsing_on_the_second_thread_is_raised(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "policies" / "antipatterns" / "fragile", tmp_path / "fragile")
    monkeypatch.setattr(parse_module, "THREAD_WORTH", 0)
    real_parse = parse_module.parse
    threads: set[str] = set()

    def parse(path, *args):
        threads.add(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            raise MemoryError(f"while parsing {path.name}")
        return real_parse(path, *args)

    monkeypatch.setattr(parse_module, "parse", parse)
    with pytest.raises(MemoryError, match="while parsing"):
        lint([tmp_path], jobs=2)
    assert len(threads) == 2
    assert threading.active_count() == 1  # the helper was joined


# ---- a template header before the XML declaration -------------------------------------------------


def _with_header(header: bytes, files: dict[str, str]) -> dict[str, str | bytes]:
    """`files` with the relying party starting with `header` before its XML declaration."""
    out: dict[str, str | bytes] = dict(files)
    out["SignUpOrSignin.xml"] = header + files["SignUpOrSignin.xml"].encode()
    return out


@pytest.mark.parametrize(
    "header",
    [
        b"#{FileHeader}#\n",  # a header the pipeline renders later
        b"{Settings:Header}",  # no value: the VS Code extension leaves it
        b"\xef\xbb\xbf__Header__\r\n\r\n",  # a byte order mark, then a token and blank lines
        b"{{ header }}\n\xef\xbb\xbf",  # a second byte order mark after the token (files joined)
        b"@header@ <!-- generated -->\n",
    ],
)
def test_a_token_before_the_xml_declaration_is_a_template_not_a_broken_file(tmp_path, header):
    """The file parses with the header blanked on its lines (and the declaration it leaves out of
    place), every rule runs, SET001 reports the token once, and every other finding is where it
    is written."""
    files = clean_set(rp_attrs='DeploymentMode="Development"')
    plain = run(tmp_path / "plain", dict(files))
    report = run(tmp_path / "templated", _with_header(header, files))
    assert "XML001" not in rule_ids(report)
    lines = header.count(b"\n")
    (set001,) = [p for p in report.problems if p.rule == "SET001"]  # at the element after it: the root
    assert set001.path.endswith("SignUpOrSignin.xml") and set001.line == lines + 2 and "header" in set001.message.casefold()
    expected = [(rule, name, line + (lines if name == "SignUpOrSignin.xml" else 0)) for rule, name, line in rules_of(plain)]
    assert sorted(r for r in rules_of(report) if r[0] != "SET001") == sorted(expected)
    assert "DEP001" in rule_ids(report)


def test_a_header_rendered_from_settings_before_the_declaration(tmp_path):
    """A setting renders the header; what is left before the declaration is a token with no value."""
    files = _with_header(b"{Settings:Header}\n", clean_set())
    settings = {"Environments": [{"Name": "Production", "PolicySettings": {"Header": "", "Other": "x"}}]}
    report = run(tmp_path, {**files, "appsettings.json": json.dumps(settings)})
    assert [(p.rule, Path(p.path).name, p.line) for p in report.problems] == [("SET001", "SignUpOrSignin.xml", 3)]


@pytest.mark.parametrize("lead", [b"\n", b"  ", b"\xef\xbb\xbf\xef\xbb\xbf"])
def test_blanks_or_a_second_byte_order_mark_before_the_declaration_stay_xml001(tmp_path, lead):
    """Nothing to render: every XML parser refuses it, the upload too. XML001 says what to remove."""
    report = run(tmp_path, _with_header(lead, clean_set()))
    (xml,) = [p for p in report.problems if p.rule == "XML001"]
    assert "templating was tried" not in xml.message and "before the XML declaration: remove them" in xml.message


def test_a_file_still_broken_after_its_header_is_blanked_says_templating_was_tried(tmp_path):
    files = _with_header(b"#{FileHeader}#\n", clean_set())
    files["SignUpOrSignin.xml"] = bytes(files["SignUpOrSignin.xml"]).replace(b"</RelyingParty>", b"</RelyingPart>")
    report = run(tmp_path, files)
    (xml,) = [p for p in report.problems if p.rule == "XML001"]
    assert "templating was tried: 1 template token replaced by stand-ins" in xml.message
    assert xml.line == files["SignUpOrSignin.xml"].count(b"\n", 0, bytes(files["SignUpOrSignin.xml"]).index(b"</RelyingPart>")) + 1
