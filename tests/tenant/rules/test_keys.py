"""KEY001-KEY003 on small exports written by the test: validity, successors, prefixes, blast radius."""

from __future__ import annotations

import datetime as dt

from tests.tenant.exports import at, audit_dir, key, write_export

KEY_SET = "B2C_1A_RestApiKey"


def keysets(tmp_path, keys, **extra):
    return write_export(tmp_path, keySets=[{"id": KEY_SET, "keys": keys}], **extra)


def test_key001_expired_disabled_not_yet_active_and_empty(tmp_path):
    cases = {
        "the last expired 2026-03-01": [key("a", "2025-01-01", "2026-03-01")],
        "no key active yet (the first starts 2026-07-01)": [key("a", "2026-07-01", "2027-07-01")],
        "no enabled key": [key("a", "2025-01-01", "2027-01-01", status="disabled")],
        "holds no key": [],
    }
    for why, keys in cases.items():
        problems = audit_dir(keysets(tmp_path / why.split()[1], keys))
        assert [(p.rule, why in p.message) for p in problems] == [("KEY001", True)], problems


def test_a_key_without_dates_is_always_valid(tmp_path):
    assert audit_dir(keysets(tmp_path, [key("a", "2025-01-01", "2026-03-01"), key("safety-net")])) == []


def test_key002_needs_a_successor_that_outlives_the_active_key(tmp_path):
    expiring = key("a", "2025-06-01", "2026-06-15")
    assert [p.rule for p in audit_dir(keysets(tmp_path / "1", [expiring]))] == ["KEY002"]
    successor = key("b", "2026-06-10", "2027-06-10")  # uploaded, active from before the old one ends
    assert audit_dir(keysets(tmp_path / "2", [expiring, successor])) == []
    late = key("b", "2026-06-20", "2027-06-20")  # starts after a gap: the gap fails sign-in
    assert [p.rule for p in audit_dir(keysets(tmp_path / "3", [expiring, late]))] == ["KEY002"]
    assert audit_dir(keysets(tmp_path / "4", [expiring]), horizon=dt.timedelta(days=7)) == []


def test_the_horizon_and_at_make_runs_reproducible(tmp_path):
    folder = keysets(tmp_path, [key("a", "2025-06-01", "2026-06-15")])
    assert audit_dir(folder, when=at("2026-05-01")) == []
    assert [p.rule for p in audit_dir(folder, when=at("2026-05-20"))] == ["KEY002"]
    assert [p.rule for p in audit_dir(folder, when=at("2026-06-15"))] == ["KEY001"]


def test_key003_allows_the_b2c_1a_prefix_and_names_the_blast_radius(tmp_path):
    signing = {"id": "B2C_1A_TokenSigningKeyContainer", "keys": [key("s")]}
    loyalty = {"id": "B2C_1A_LoyaltyApiClientCertificate", "keys": [key("l")]}
    encryption = {"id": "B2C_1A_TokenEncryptionKeyContainer", "keys": [key("e")]}
    assert audit_dir(write_export(tmp_path / "all", keySets=[signing, loyalty, encryption], policies="resilient")) == []
    problems = audit_dir(write_export(tmp_path / "missing", keySets=[signing, loyalty], policies="resilient"))
    assert [p.rule for p in problems] == ["KEY003"]
    assert problems[0].path.endswith("B2C_1A_TrustFrameworkBase.xml") and problems[0].line > 1
    assert "breaks JwtIssuer" in problems[0].message
    assert problems[0].policy == "B2C_1A_PasswordReset, B2C_1A_ProfileEdit, B2C_1A_ROPC_Auth, B2C_1A_signup_signin"


def test_key_findings_name_what_breaks(tmp_path):
    loyalty = {"id": "B2C_1A_LoyaltyApiClientCertificate", "keys": [key("l", "2025-01-01", "2026-03-01")]}
    others = [{"id": i, "keys": [key("x")]} for i in ("B2C_1A_TokenSigningKeyContainer", "B2C_1A_TokenEncryptionKeyContainer")]
    (problem,) = audit_dir(write_export(tmp_path, keySets=[loyalty, *others], policies="resilient"))
    assert problem.rule == "KEY001" and "breaks REST-GetLoyaltyTier → journeys ProfileEdit, SignUpOrSignIn" in problem.message
    assert problem.policy == "B2C_1A_ProfileEdit, B2C_1A_signup_signin"
