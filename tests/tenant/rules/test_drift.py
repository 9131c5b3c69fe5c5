"""DRIFT001-DRIFT003: the repository against what is uploaded."""

from __future__ import annotations

from tests.tenant.exports import ROOT, audit_dir, write_export

RESILIENT = str(ROOT / "policies" / "resilient")


def test_the_same_policies_do_not_drift_whatever_the_whitespace_and_comments(tmp_path):
    folder = write_export(tmp_path, policies="resilient")
    base = folder / "policies" / "B2C_1A_TrustFrameworkBase.xml"
    base.write_bytes(base.read_bytes().replace(b"<ClaimsSchema>", b"<!-- uploaded copy -->\n   <ClaimsSchema>  "))
    assert audit_dir(folder, repository=RESILIENT) == []


def test_a_changed_attribute_is_reported_where_the_repository_writes_it(tmp_path):
    folder = write_export(tmp_path, policies="resilient")
    rp = folder / "policies" / "B2C_1A_signup_signin.xml"
    rp.write_bytes(rp.read_bytes().replace(b'ReferenceId="SignUpOrSignIn"', b'ReferenceId="Other"'))
    (problem,) = audit_dir(folder, repository=RESILIENT)
    assert problem.rule == "DRIFT001" and problem.path.endswith("SignUpOrSignin.xml") and problem.line == 10
    assert "attribute ReferenceId differs" in problem.message


def test_drift_needs_the_repository(tmp_path):
    assert audit_dir(write_export(tmp_path, policies="resilient")) == []
