"""Secure loading: odd encodings are fine, unsafe or broken files are XML001, nothing stops the run."""

from __future__ import annotations

from tests.lint.policies import clean_set, rule_ids, rules_of, run

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
