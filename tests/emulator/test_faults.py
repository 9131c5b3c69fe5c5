"""Each fault mode, injected over the admin API and seen by real clients (msal, requests)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import jwt
import msal
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.support import REDIRECT_URI, start_emulator, stop_emulator
from toolkit import flows
from toolkit.emulator.app import create_app
from toolkit.emulator.faults import Fault, FaultBook, FaultError
from toolkit.emulator.state import load_state


def metadata_url(emulator) -> str:
    return emulator.authority() + "/v2.0/.well-known/openid-configuration"


def test_outage_503_is_seen_by_msal(emulator):
    emulator.fault(kind="outage", group="metadata")
    with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
        emulator.cca()
    emulator.clear()
    assert emulator.cca() is not None  # clearing restores service at once


def test_outage_reset_drops_the_connection(emulator):
    emulator.fault(kind="outage", group="token", mode="reset")
    with pytest.raises(requests.ConnectionError):
        emulator.session().post(emulator.authority() + "/oauth2/v2.0/token", data={"grant_type": "x"}, timeout=5)
    assert emulator.session().get(metadata_url(emulator), timeout=5).status_code == 200  # other groups unaffected


def test_throttle_answers_429_with_retry_after_and_aadb2c90229(emulator):
    app = emulator.cca()
    emulator.fault(kind="throttle", group="token", retry_after=7)
    reply = emulator.session().post(emulator.authority() + "/oauth2/v2.0/token", data={"grant_type": "refresh_token"}, timeout=5)
    assert (reply.status_code, reply.headers["Retry-After"]) == (429, "7")
    assert "AADB2C90229" in reply.json()["error_description"]
    result = app.acquire_token_by_refresh_token("x", scopes=[emulator.config["api_scope"]])
    assert "AADB2C90229" in result["error_description"]


def test_error_ratio_is_deterministic_share(emulator):
    emulator.fault(kind="error", group="jwks", status=502, ratio=0.5, body="json")
    keys = emulator.authority() + "/discovery/v2.0/keys"
    session = emulator.session()
    statuses = [session.get(keys, timeout=5).status_code for _ in range(60)]
    assert set(statuses) == {200, 502}
    assert 15 <= statuses.count(502) <= 45
    bad = next(r for r in (session.get(keys, timeout=5) for _ in range(30)) if r.status_code == 502)
    assert bad.json()["error"] == "server_error"


def test_latency_slows_only_its_group(emulator):
    emulator.fault(kind="latency", group="metadata", latency_ms=400)
    session = emulator.session()
    session.get(metadata_url(emulator), timeout=5)  # warm the connection
    start = time.monotonic()
    session.get(metadata_url(emulator), timeout=5)
    slow = time.monotonic() - start
    start = time.monotonic()
    session.get(emulator.authority() + "/discovery/v2.0/keys", timeout=5)
    fast = time.monotonic() - start
    assert slow >= 0.4 > fast


def test_tenant_limit_throttles_beyond_the_rate(emulator):
    emulator.fault(kind="tenant-limit", limit=5)
    session = emulator.session()
    statuses = [session.get(metadata_url(emulator), timeout=5).status_code for _ in range(20)]
    assert 429 in statuses and statuses[0] == 200


def test_fault_with_duration_clears_itself(emulator):
    emulator.fault(kind="outage", group="jwks", duration_s=0.5)
    keys = emulator.authority() + "/discovery/v2.0/keys"
    assert emulator.session().get(keys, timeout=5).status_code == 503
    time.sleep(0.7)
    assert emulator.session().get(keys, timeout=5).status_code == 200


def test_timeline_plays_faults_in_order(emulator):
    timeline = [{"at_s": 0.3, "fault": {"kind": "outage", "group": "metadata"}, "duration_s": 0.5}]
    emulator.session().post(emulator.url + "/_emulator/timeline", json={"timeline": timeline}, timeout=5).raise_for_status()
    seen = []
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        seen.append(emulator.session().get(metadata_url(emulator), timeout=5).status_code)
        time.sleep(0.05)
    first_503 = seen.index(503)
    assert 200 in seen[:first_503] and 200 in seen[first_503:]


def test_key_rotation_keeps_old_key_for_grace(emulator):
    session = emulator.session()
    keys_url = emulator.authority() + "/discovery/v2.0/keys"
    before = {k["kid"] for k in session.get(keys_url, timeout=5).json()["keys"]}
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    old_token = app.acquire_token_by_auth_code_flow(
        flow, flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"]).params
    )["id_token"]
    rotated = session.post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 1}, timeout=5).json()
    after = {k["kid"] for k in session.get(keys_url, timeout=5).json()["keys"]}
    assert rotated["kid"] in after and before <= after
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    new_token = app.acquire_token_by_auth_code_flow(
        flow, flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"]).params
    )["id_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == rotated["kid"] != jwt.get_unverified_header(old_token)["kid"]
    time.sleep(1.2)
    assert {k["kid"] for k in session.get(keys_url, timeout=5).json()["keys"]} == {rotated["kid"]}


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "meteor"},
        {"kind": "outage", "group": "moon"},
        {"kind": "error", "status": 200},
        {"kind": "throttle", "ratio": 2},
        {"kind": "outage", "colour": "red"},
        {"kind": "latency", "latency_ms": -1},  # would break every request later, not now
        {"kind": "throttle", "retry_after": "soon"},
        {"kind": "error", "ratio": [1]},
        {"kind": "tenant-limit", "limit": 0},
        {"kind": "bad-answer", "answer": "poison"},
        {"kind": "dribble", "bytes_per_s": 0},
        {"kind": "dribble", "endless": "yes"},
        {"kind": "outage", "mode": "slowly"},
        {"kind": "throttle", "retry_after_date": 1},
    ],
)
def test_invalid_faults_are_refused(emulator, spec):
    reply = emulator.session().post(emulator.url + "/_emulator/faults", json=spec, timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_fault"


def test_request_counts_per_group(emulator):
    emulator.session().get(metadata_url(emulator), timeout=5)
    counts = emulator.session().get(emulator.url + "/_emulator/faults", timeout=5).json()["requests"]
    assert counts["metadata 200"] >= 1


def test_admin_api_refuses_non_loopback(tmp_path):
    client = create_app(load_state(tmp_path, users=1)).test_client()
    assert client.get("/_emulator/faults", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert client.get("/_emulator/faults", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def test_cli_sets_shows_and_clears_faults(emulator):
    base = [sys.executable, "-m", "toolkit", "emulator", "faults"]
    where = ["--url", emulator.url, "--state-dir", str(emulator.state_dir)]
    subprocess.run([*base, "set", *where, "--kind", "throttle", "--group", "token", "--retry-after", "3"], check=True, capture_output=True)
    shown = json.loads(subprocess.run([*base, "show", *where], check=True, capture_output=True, text=True).stdout)
    assert [(f["kind"], f["group"], f["retry_after"]) for f in shown["faults"]] == [("throttle", "token", 3)]
    subprocess.run([*base, "clear", *where], check=True, capture_output=True)
    assert json.loads(subprocess.run([*base, "show", *where], check=True, capture_output=True, text=True).stdout)["faults"] == []


def test_restart_keeps_tokens_valid(tmp_path):
    first = start_emulator(tmp_path)
    try:
        app = first.cca()
        flow = app.initiate_auth_code_flow([first.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
        result = app.acquire_token_by_auth_code_flow(
            flow, flows.sign_in(first.session(), flow["auth_uri"], first.user["username"], first.user["password"]).params
        )
    finally:
        stop_emulator(first)
    second = start_emulator(tmp_path)
    try:
        assert second.config["client_secret"] == first.config["client_secret"]
        keys = second.session().get(second.authority() + "/discovery/v2.0/keys", timeout=5).json()
        kid = jwt.get_unverified_header(result["access_token"])["kid"]
        assert kid in {k["kid"] for k in keys["keys"]}
        app = second.cca()
        refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], scopes=[second.config["api_scope"]])
        assert "access_token" in refreshed, refreshed
    finally:
        stop_emulator(second)


FIELDS = st.sampled_from(
    [
        "kind",
        "group",
        "mode",
        "status",
        "body",
        "ratio",
        "retry_after",
        "latency_ms",
        "jitter_ms",
        "limit",
        "duration_s",
        "answer",
        "bytes_per_s",
        "endless",
        "retry_after_date",
    ]
)
ANY = st.none() | st.booleans() | st.integers(-10, 1000) | st.floats() | st.text(max_size=6) | st.lists(st.integers(), max_size=2)
KNOWN = st.sampled_from(
    [
        "outage",
        "error",
        "throttle",
        "latency",
        "tenant-limit",
        "bad-answer",
        "dribble",
        "all",
        "token",
        "reset",
        "cut",
        "503",
        "json",
        "huge",
    ]
)


@given(st.dictionaries(FIELDS, KNOWN | ANY, max_size=6), st.sampled_from(["metadata", "jwks", "pages", "token"]))
def test_a_fault_is_refused_when_set_or_works_on_every_request(spec, group):
    try:
        fault = Fault.from_dict(spec)
    except FaultError:
        return
    book = FaultBook(seed=1)
    book.add(fault)
    for _ in range(3):
        decision = book.decide(group)
        assert 0 <= decision.delay_s < float("inf")
        assert decision.status is None or (type(decision.status) is int and 400 <= decision.status <= 599)
        assert decision.retry_after is None or decision.retry_after >= 0


def _strict_json(text: str):
    """Parse standard JSON only (Python's parser takes NaN and Infinity)."""

    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"grace_s": NaN}', "NaN is not a JSON number"),
        ('{"grace_s": Infinity}', "Infinity is not a JSON number"),
        ('{"grace_s": -5}', "grace_s must be a number >= 0 and <= 604800 (got -5)"),
        ('{"grace_s": 1e308}', "grace_s must be a number >= 0 and <= 604800"),
        ('{"grace_s": "10"}', "grace_s must be a number >= 0 and <= 604800 (got '10')"),
        ('{"grace_s": true}', "grace_s must be a number"),
        ('{"grace": 10}', '{"grace_s": SECONDS}'),
        ("[10]", '{"grace_s": SECONDS}'),
        ("{not json", "not valid JSON"),
    ],
)
def test_key_rotation_refuses_a_bad_grace_period(emulator, body, message):
    """NaN and negatives dropped the previous key at once (its private key deleted from keys.json),
    Infinity was written to keys.json as non-standard JSON, "10" was taken as 10."""
    session = emulator.session()
    keys_url = emulator.authority() + "/discovery/v2.0/keys"
    before = session.get(keys_url, timeout=5).json()
    on_disk = (emulator.state_dir / "keys.json").read_text()
    reply = session.post(emulator.url + "/_emulator/keys/rotate", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_fault"
    assert message in reply.json()["error_description"]
    assert session.get(keys_url, timeout=5).json() == before
    assert (emulator.state_dir / "keys.json").read_text() == on_disk
    _strict_json(on_disk)


@pytest.mark.parametrize("grace", ["nan", "inf", "-5", "1e308", "ten"])
def test_cli_rotate_keys_refuses_a_bad_grace_period(emulator, grace):
    command = [sys.executable, "-m", "toolkit", "emulator", "faults", "rotate-keys", "--url", emulator.url]
    proc = subprocess.run([*command, "--state-dir", str(emulator.state_dir), "--grace", grace], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "argument --grace: grace_s must be a number" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "body",
    [
        '{"kind": "latency", "latency_ms": 1e308}',  # every request then failed in time.sleep
        '{"kind": "outage", "status": 1' + "0" * 400 + "}",  # too large for a float: a 500 when checked
        '{"kind": "throttle", "retry_after": 1e300}',
        '{"kind": "outage", "duration_s": 1e308}',
        '{"kind": "tenant-limit", "limit": 1e12}',
        '{"kind": "latency", "jitter_ms": Infinity}',
        '{"timeline": [{"at_s": 1e308, "fault": "rotate-keys"}]}',
        '{"timeline": [{"at_s": 0, "fault": "rotate-keys", "grace_s": -1}]}',
        '{"timeline": [{"at_s": 0, "fault": "rotate-keys", "grace_s": 5, "note": NaN}]}',  # was echoed as NaN
        '{"timeline": [{"at_s": 0, "fault": {"kind": "outage"}, "duration": 5}]}',  # a typo made the fault permanent
    ],
)
def test_admin_numbers_are_finite_and_bounded(emulator, body):
    endpoint = "/_emulator/timeline" if body.startswith('{"timeline"') else "/_emulator/faults"
    session = emulator.session()
    reply = session.post(emulator.url + endpoint, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_fault", reply.text
    shown = session.get(emulator.url + "/_emulator/faults", timeout=5)
    assert _strict_json(shown.text)["faults"] == [] and shown.json()["timeline"] == []
    assert session.get(metadata_url(emulator), timeout=5).status_code == 200


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ADMIN_FIELDS = st.sampled_from(
    ["kind", "group", "ratio", "latency_ms", "duration_s", "limit", "status", "at_s", "grace_s", "fault", "timeline"]
)


@given(
    st.sampled_from(["/_emulator/faults", "/_emulator/timeline", "/_emulator/keys/rotate"]),
    st.dictionaries(ADMIN_FIELDS, st.sampled_from(["latency", "rotate-keys", "all"]) | JSON_VALUES, max_size=4) | JSON_VALUES,
)
def test_the_admin_api_answers_any_json_with_standard_json(tmp_path_factory, path, data):
    """Any body, NaN and Infinity included: a 2xx or a 400, never a 500, and standard JSON back."""
    client = create_app(load_state(tmp_path_factory.mktemp("admin"), users=1)).test_client()
    reply = client.post(path, data=json.dumps(data), content_type="application/json")
    assert reply.status_code in (200, 201, 400), reply.text
    _strict_json(reply.get_data(as_text=True))
    _strict_json(client.get("/_emulator/faults").get_data(as_text=True))
    client.delete("/_emulator/faults")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threads", "0"], "--threads must be >= 1"),
        (["--public-url", "http://127.0.0.1:8443"], "give https://HOST[:PORT] with no path"),
        (["--public-url", "https://login.example/tenant"], "give https://HOST[:PORT] with no path"),
        (["--public-url", "https://login.example:port"], "give https://HOST[:PORT] with no path"),
    ],
)
def test_emulator_usage_errors_exit_2(tmp_path, args, message):
    command = [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(tmp_path), "--print-config", *args]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_print_config_names_the_public_url(tmp_path):
    command = [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(tmp_path), "--print-config", "--users", "1"]
    config = json.loads(subprocess.run([*command, "--public-url", "https://login.example:9443/"], capture_output=True, text=True).stdout)
    assert (config["base_url"], config["authority"]) == (
        "https://login.example:9443",
        "https://login.example:9443/contoso.onmicrosoft.com/B2C_1A_signup_signin",
    )


# -- answers that look healthy but are not -------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "answer", "check"),
    [
        ("metadata", "html", lambda r: r.headers["Content-Type"].startswith("text/html") and "<html" in r.text),
        ("metadata", "empty-object", lambda r: r.json() == {}),
        ("jwks", "empty-keys", lambda r: r.json() == {"keys": []}),
        ("metadata", "missing-fields", lambda r: "token_endpoint" not in r.json() and "authorization_endpoint" in r.json()),
        ("jwks", "missing-fields", lambda r: r.json()["keys"] and all("kid" not in k and "n" not in k for k in r.json()["keys"])),
        ("metadata", "wrong-issuer", lambda r: r.json()["issuer"].startswith("https://impostor.invalid/")),
        ("jwks", "huge", lambda r: len(r.content) > 10_000_000 and r.json()["keys"]),
    ],
)
def test_a_bad_answer_is_a_200_with_a_bad_body(emulator, group, answer, check):
    url = metadata_url(emulator) if group == "metadata" else emulator.authority() + "/discovery/v2.0/keys"
    emulator.fault(kind="bad-answer", group=group, answer=answer)
    reply = emulator.session().get(url, timeout=30)
    assert reply.status_code == 200 and check(reply)
    assert emulator.counts()[f"{group} 200-{answer}"] >= 1


def test_a_dribbled_answer_is_whole_but_slow_and_an_endless_one_never_ends(emulator):
    url = emulator.authority() + "/discovery/v2.0/keys"
    whole = emulator.session().get(url, timeout=5).content
    emulator.fault(kind="dribble", group="jwks", bytes_per_s=len(whole) * 2)
    start = time.monotonic()
    assert emulator.session().get(url, timeout=5).content == whole
    assert 0.3 <= time.monotonic() - start < 3
    emulator.clear()
    emulator.fault(kind="dribble", group="jwks", bytes_per_s=50_000, endless=True)
    with emulator.session().get(url, timeout=5, stream=True) as reply:
        read = 0
        for chunk in reply.iter_content(4096):
            read += len(chunk)
            if read > len(whole) + 20_000:  # past the real answer: spaces, with no end
                break
    assert read > len(whole) + 20_000


def test_a_cut_answer_starts_then_is_reset(emulator):
    emulator.fault(kind="outage", group="jwks", mode="cut")
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):  # the body is cut short
        emulator.session().get(emulator.authority() + "/discovery/v2.0/keys", timeout=5)


@pytest.mark.parametrize(("retry_after", "as_date", "expected"), [(99_999, False, "99999"), (2_300_000_000, True, "2099")])
def test_an_absurd_retry_after(emulator, retry_after, as_date, expected):
    emulator.fault(kind="throttle", group="token", retry_after=retry_after, retry_after_date=as_date)
    reply = emulator.session().post(emulator.authority() + "/oauth2/v2.0/token", data={}, timeout=5)
    assert reply.status_code == 429 and expected in reply.headers["Retry-After"]


def test_cli_sets_the_new_fault_kinds(emulator):
    base = [sys.executable, "-m", "toolkit", "emulator", "faults", "set", "--url", emulator.url, "--state-dir", str(emulator.state_dir)]
    for args in (
        ["--kind", "bad-answer", "--group", "jwks", "--answer", "empty-keys"],
        ["--kind", "dribble", "--group", "metadata", "--bytes-per-s", "5", "--endless"],
        ["--kind", "throttle", "--group", "token", "--retry-after", "86400", "--retry-after-date"],
        ["--kind", "outage", "--group", "pages", "--mode", "cut"],
    ):
        subprocess.run([*base, *args], check=True, capture_output=True)
    faults = emulator.session().get(emulator.url + "/_emulator/faults", timeout=5).json()["faults"]
    assert [(f["kind"], f["answer"], f["endless"], f["retry_after_date"], f["mode"]) for f in faults] == [
        ("bad-answer", "empty-keys", False, False, "503"),
        ("dribble", "html", True, False, "503"),
        ("throttle", "html", False, True, "503"),
        ("outage", "html", False, False, "cut"),
    ]
