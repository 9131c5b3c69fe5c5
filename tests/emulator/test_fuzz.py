"""The emulator against requests no client sends (hypothesis): B2C's endpoints, before, during and
after a real sign-in, with valid fields dropped or replaced by junk. Every answer is one a client
can act on (a page, a redirect, or an OAuth error naming an AADB2C code), never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.support import REDIRECT_URI, RunningEmulator
from toolkit import flows

#: C0 and C1 control characters, CR/LF first: a value carrying them must never reach a header
CONTROL = st.sampled_from(["\r\n", "\r", "\n", "\r\nX-Injected: 1", "\x00", "\t", "\x0b", "\x1b", "\x7f", "\x85"]) | st.text(
    st.characters(categories=["Cc"]), min_size=1, max_size=3
)
JUNK = (
    st.text(max_size=30)
    | st.sampled_from(["", " ", "%00", "null", "../..", "a" * 5000, "é", "\u202e"])
    | st.builds("".join, st.lists(st.text(max_size=5) | CONTROL, max_size=4))
)
#: what an HTTP header can carry at all (requests refuses to send a value with leading whitespace)
HEADER_JUNK = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).map(str.lstrip)
NAMES = ("p", "client_id", "scope", "state", "prompt", "code", "refresh_token", "tx", "csrf_token", "request_type", "password")


@st.composite
def tainted(draw: st.DrawFn, value: str) -> str:
    """`value` with control characters put in somewhere (a valid redirect URI + CR/LF + a header)."""
    at = draw(st.integers(0, len(value)))
    return value[:at] + draw(CONTROL) + value[at:]


@st.composite
def damaged(draw: st.DrawFn, valid: dict[str, str], junk: st.SearchStrategy[str] = JUNK, taint: bool = True) -> dict[str, str]:
    """`valid` with each field kept, dropped, replaced with junk or (unless it goes into a header,
    where a client cannot send them) given control characters, and sometimes one more field."""
    fields = {}
    for name, value in valid.items():
        how = draw(st.sampled_from(["keep", "keep", "drop", "junk", "taint"] if taint else ["keep", "keep", "drop", "junk"]))
        if how == "keep":
            fields[name] = value
        elif how == "junk":
            fields[name] = draw(junk)
        elif how == "taint":
            fields[name] = draw(tainted(value))
    if draw(st.booleans()):
        fields[draw(st.sampled_from(NAMES))] = draw(junk)
    return fields


def _answered(reply: requests.Response) -> None:
    """What every answer must be."""
    assert reply.status_code < 500, (reply.request.method, reply.url, reply.status_code, reply.text[:300])
    if reply.status_code >= 400 and reply.headers.get("Content-Type", "").startswith("application/json"):
        body = reply.json()  # OAuth's shape, or the page's own (`status`, `errorCode`, `message`)
        assert "AADB2C" in (body.get("error_description") or body.get("errorCode") or ""), body


def _auth_flow(emulator: RunningEmulator) -> dict[str, Any]:
    """A sign-in as msal starts it (its authorize URL and PKCE verifier)."""
    return emulator.cca().initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")


@given(data=st.data())
def test_endpoints_answer_damaged_requests(emulator: RunningEmulator, data: st.DataObject) -> None:
    tenant, policy = emulator.config["tenant"], emulator.config["policies"]["signup_signin"]
    known = [(tenant, policy), (tenant, policy), (tenant, policy), (tenant, "B2C_1A_nope"), ("nobody", policy)]
    where = data.draw(st.sampled_from(known) | st.tuples(JUNK, JUNK))
    base = f"{emulator.url}/{quote(where[0], safe='') or '-'}/{quote(where[1], safe='') or '-'}"
    flow = _auth_flow(emulator)
    authorize = dict(parse_qsl(urlsplit(flow["auth_uri"]).query))  # as msal builds it
    client = emulator.session()
    endpoint = data.draw(st.sampled_from(["discovery", "keys", "authorize", "token", "logout"]))
    if endpoint == "discovery":
        reply = client.get(base + "/v2.0/.well-known/openid-configuration", params=data.draw(damaged({"p": policy})), timeout=5)
    elif endpoint == "keys":
        reply = client.get(base + "/discovery/v2.0/keys", timeout=5)
    elif endpoint == "authorize":
        reply = client.get(base + "/oauth2/v2.0/authorize", params=data.draw(damaged(authorize)), allow_redirects=False, timeout=5)
    elif endpoint == "token":
        user = emulator.user
        form = {
            "grant_type": "password",
            "client_id": emulator.config["client_id"],
            "client_secret": emulator.config["client_secret"],
            "username": user["username"],
            "password": user["password"],
            "scope": "openid offline_access",
        }
        auth = {"Authorization": "Basic " + data.draw(HEADER_JUNK)} if data.draw(st.booleans()) else {}
        reply = client.post(base + "/oauth2/v2.0/token", data=data.draw(damaged(form)), headers=auth, timeout=5)
    else:
        logout = {"post_logout_redirect_uri": "http://127.0.0.1:5000/", "state": "s"}
        reply = client.get(base + "/oauth2/v2.0/logout", params=data.draw(damaged(logout)), allow_redirects=False, timeout=5)
    _answered(reply)


@given(data=st.data())
def test_redirect_targets_with_control_characters_are_never_followed(emulator: RunningEmulator, data: st.DataObject) -> None:
    """A loopback redirect URI with CR/LF (or any control character) in it, at authorize (whatever
    response_type and prompt say) and at logout: B2C's refusal, never a 500 or a redirect."""
    client = emulator.session()
    if data.draw(st.booleans()):
        authorize = dict(parse_qsl(urlsplit(_auth_flow(emulator)["auth_uri"]).query))
        params = data.draw(damaged({k: v for k, v in authorize.items() if k != "redirect_uri"}))
        params["redirect_uri"] = data.draw(tainted(REDIRECT_URI))
        params["response_type"] = data.draw(st.sampled_from(["code", "bogus", "id_token"]))
        params["prompt"] = data.draw(st.sampled_from(["none", "login", ""]))
        reply = client.get(emulator.authority() + "/oauth2/v2.0/authorize", params=params, allow_redirects=False, timeout=5)
        refused = reply.status_code == 400 and ("AADB2C90006" in reply.text or "AADB2C90117" in reply.text)
        assert refused or reply.status_code == 414, reply.text  # 414: the URL is past the server's limit
    else:
        target = data.draw(tainted(data.draw(st.sampled_from(["http://127.0.0.1:18000/", REDIRECT_URI]))))
        params = {"post_logout_redirect_uri": target, **data.draw(damaged({"state": "s"}))}
        reply = client.get(emulator.authority() + "/oauth2/v2.0/logout", params=params, allow_redirects=False, timeout=5)
        assert reply.status_code in (200, 414), reply.text[:300]
    assert "Location" not in reply.headers and "X-Injected" not in reply.headers


@given(data=st.data())
def test_a_page_answers_damaged_posts_and_links(emulator: RunningEmulator, data: st.DataObject) -> None:
    flow = _auth_flow(emulator)
    client = emulator.session()
    page = flows.open_page(client, flow["auth_uri"], timeout=5)
    assert isinstance(page, flows.Page)
    user = emulator.user
    query = data.draw(damaged({"tx": page.settings["transId"], "p": page.settings["hosts"]["policy"]}))
    headers = data.draw(damaged({"X-CSRF-TOKEN": page.settings["csrf"]}, HEADER_JUNK, taint=False))
    if data.draw(st.booleans()):
        client.cookies.clear()  # the CSRF cookie gone
    form = data.draw(damaged({"request_type": "RESPONSE", "signInName": user["username"], "password": user["password"]}))
    posted = client.post(page.url("/SelfAsserted"), params=query, data=form, headers=headers, timeout=5)
    _answered(posted)
    if posted.status_code == 200:
        assert "status" in posted.json()
    link = data.draw(st.sampled_from(["confirmed", "unified", "cancel"]))
    confirmed = data.draw(damaged({"rememberMe": "false", **page.query}))
    _answered(client.get(page.url(f"/api/{page.settings['api']}/{link}"), params=confirmed, allow_redirects=False, timeout=5))


@given(data=st.data())
def test_the_token_endpoint_answers_damaged_redemptions(emulator: RunningEmulator, data: st.DataObject) -> None:
    flow = _auth_flow(emulator)
    user = emulator.user
    arrival = flows.sign_in(emulator.session(), flow["auth_uri"], user["username"], user["password"], timeout=5)
    form = {
        "grant_type": "authorization_code",
        "client_id": emulator.config["client_id"],
        "client_secret": emulator.config["client_secret"],
        "code": arrival.params["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": flow["code_verifier"],
        "scope": "openid offline_access",
    }
    token_url = emulator.authority() + "/oauth2/v2.0/token"
    client = emulator.session()
    for _ in range(data.draw(st.integers(1, 2))):  # a second redemption replays the code
        reply = client.post(token_url, data=data.draw(damaged(form)), timeout=5)
        _answered(reply)
        if reply.status_code == 200 and "refresh_token" in reply.json():  # only with offline_access
            refresh = {**form, "grant_type": "refresh_token", "refresh_token": reply.json()["refresh_token"]}
            _answered(client.post(token_url, data=data.draw(damaged(refresh)), timeout=5))
