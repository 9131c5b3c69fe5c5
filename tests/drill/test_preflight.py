"""Before the load: one user signs in through the app, and a wiring mistake is named for what it
is (exit 3), with the app's log lines that show it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.contract import AppProfile, Match
from toolkit.drill import preflight

ROOT = Path(__file__).resolve().parents[2]
TYPICAL = ROOT / "tests" / "drill" / "typical_app" / "profile.toml"
APP = AppProfile(
    name="t", url="http://127.0.0.1:5000", protected="/", sign_in="/login", sign_in_via="redirect", callback="/getAToken",
    pages=("/",), public=("/",), api=None, sign_out=None, signed_in=(Match(status=200),), sent_to_sign_in=(), handled=(),
)  # fmt: skip
IDP = {"authority": "https://127.0.0.1:8443/contoso.onmicrosoft.com/B2C_1A_signup_signin", "tenant": "contoso.onmicrosoft.com"}
GOOD = "https://127.0.0.1:8443/contoso.onmicrosoft.com/b2c_1a_signup_signin/oauth2/v2.0/authorize?redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2FgetAToken"


def test_an_authorize_url_elsewhere_is_the_wrong_authority_and_another_callback_a_route_mismatch():
    assert preflight.check_authorize(GOOD, APP, IDP) is None
    elsewhere = preflight.check_authorize(GOOD.replace("127.0.0.1:8443", "contoso.b2clogin.com"), APP, IDP)
    assert elsewhere is not None and elsewhere.cause == "wrong authority" and "contoso.b2clogin.com" in elsewhere.detail
    tenant = preflight.check_authorize(GOOD.replace("contoso.onmicrosoft", "fabrikam.onmicrosoft"), APP, IDP)
    assert tenant is not None and tenant.cause == "wrong authority"
    callback = preflight.check_authorize(GOOD.replace("getAToken", "auth%2Fredirect"), APP, IDP)
    assert callback is not None and callback.cause == "route mismatch" and "app.routes.callback is /getAToken" in callback.detail


@pytest.mark.parametrize(
    ("status", "log", "cause"),
    [
        (500, ["requests.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"], "TLS trust"),
        (500, ["ValueError: Unable to get authority configuration for https://x/t/p"], "wrong authority"),
        (404, ['"GET /login HTTP/1.1" 404 -'], "route mismatch"),
        (500, ["KeyError: 'user'"], "the app failed"),
    ],
)
def test_the_cause_is_read_from_the_answer_and_the_apps_log(status, log, cause):
    found = preflight.explain(status, "sign-in start", "/login", "sign_in", log)
    assert found.cause == cause
    assert ("app.routes.sign_in" in found.detail) == (cause == "route mismatch")


def test_the_log_lines_shown_are_those_that_show_the_cause(tmp_path):
    lines = ["starting", "GET /", "Traceback (most recent call last):", "ssl.SSLCertVerificationError: certificate verify failed", "done"]
    assert preflight.showing(lines, preflight.TLS_SIGNS) == lines[2:4]
    assert preflight.showing(lines, None, count=2) == lines[-2:]
    log = tmp_path / "app.log"
    log.write_text("before the drill\n")
    seen = preflight.AppLog(log)
    log.write_text("before the drill\nduring\n")
    assert seen.lines() == ["during"]


def drill(tmp_path: Path, profile: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "p.toml").write_text(profile.replace("{here}/app.py", str(TYPICAL.parent / "app.py")))
    args = [sys.executable, "-m", "toolkit", "drill", "--scenario", "baseline", "--duration", "5", "--users", "1"]
    args += ["--app", str(tmp_path / "p.toml"), "--out", str(tmp_path / "out")]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        # the app cannot trust the emulator's certificate: it used to run to the end and report "sign-in start answered 500"
        (('REQUESTS_CA_BUNDLE = "{ca_bundle}"', ""), ["TLS trust", "CERTIFICATE_VERIFY_FAILED"]),
        # a page the profile expects to greet the user never does
        (('text = "Welcome"', 'text = "Bienvenue"'), ["outcomes never match", "matched none of app.outcomes.signed_in"]),
    ],
)
def test_a_wiring_mistake_exits_3_before_the_load_with_the_cause_and_the_apps_log(tmp_path, change, says):
    proc = drill(tmp_path, TYPICAL.read_text().replace(*change))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    for text in says:
        assert text in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "ops.jsonl").exists()  # no load was started
