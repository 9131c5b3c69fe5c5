"""Sign-in, edit profile, password reset, cancel and sign-out through the real stack."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.sample_app.conftest import Stack
from toolkit import flows


def test_sign_in_shows_claims_and_rotates_session(stack):
    client = stack.client()
    client.get(stack.url + "/auth/login", allow_redirects=False)  # an anonymous session with a flow
    before = client.cookies.get("__Host-refapp")
    user = stack.user()
    reply = flows.app_sign_in(client, stack.url, user["username"], user["password"], next_path="/profile")
    assert (reply.status_code, reply.headers["Location"]) == (302, "/profile")
    assert client.cookies.get("__Host-refapp") not in (None, before)
    page = client.get(stack.url + "/profile")
    assert page.status_code == 200 and user["username"] in page.text


def test_session_cookie_flags(stack):
    client = stack.client()
    reply = client.get(stack.url + "/auth/login", allow_redirects=False)
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("__Host-refapp=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_and_request_size_limit(stack):
    client = stack.client()
    reply = client.get(stack.url + "/")
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert reply.headers["X-Content-Type-Options"] == "nosniff" and reply.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    big = client.post(stack.url + "/auth/callback", data={"state": "x" * 100_000}, allow_redirects=False)
    assert big.status_code == 413 and "Traceback" not in big.text  # refused before it is read, a friendly page


def test_protected_pages_send_anonymous_users_to_sign_in(stack):
    reply = stack.client().get(stack.url + "/profile", allow_redirects=False)
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/auth/login?next=/profile")


def test_edit_profile(stack):
    client = stack.signed_in(1)
    authorize = client.get(stack.url + "/auth/edit-profile", allow_redirects=False).headers["Location"]
    page = flows.open_page(client, authorize)
    assert isinstance(page, flows.Page)
    assert flows.submit(client, page, {"displayName": "Edited Name"}) == {"status": "200"}
    back = flows.back_to_app(client, flows.confirm(client, page))
    assert back.headers["Location"] == "/profile"
    assert "Edited Name" in client.get(stack.url + "/profile").text


def test_forgot_password_starts_the_reset_policy(stack):
    client = stack.client()
    page = flows.open_page(client, client.get(stack.url + "/auth/login", allow_redirects=False).headers["Location"])
    back = flows.back_to_app(client, flows.follow(client, flows.link(page, "forgotPassword")))
    assert back.headers["Location"] == "/auth/reset-password"
    reset = client.get(stack.url + "/auth/reset-password", allow_redirects=False)
    assert "B2C_1A_PasswordReset" in reset.headers["Location"]


def test_cancel_returns_home_not_an_error(stack):
    client = stack.client()
    page = flows.open_page(client, client.get(stack.url + "/auth/login", allow_redirects=False).headers["Location"])
    signup = flows.follow(client, flows.link(page, "createAccount"))
    back = flows.back_to_app(client, flows.follow(client, flows.link(signup, "cancel")))
    assert back.headers["Location"] == "/"
    assert "You cancelled" in client.get(stack.url + "/").text


def test_sign_up_new_user(stack):
    client = stack.client()
    page = flows.open_page(client, client.get(stack.url + "/auth/login", allow_redirects=False).headers["Location"])
    signup = flows.follow(client, flows.link(page, "createAccount"))
    fields = {"email": "fresh@example.com", "newPassword": "long-enough-1", "reenterPassword": "long-enough-1", "displayName": "Fresh User"}
    assert flows.submit(client, signup, fields) == {"status": "200"}
    assert flows.back_to_app(client, flows.confirm(client, signup)).status_code == 302
    assert "Fresh User" in client.get(stack.url + "/profile").text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_sign_out_needs_csrf_and_ends_session(stack):
    client = stack.signed_in()
    for forged in ({}, {"csrf_token": "wrong"}, {"csrf_token": "é"}):  # compared as bytes: no 500 on any text
        assert client.post(stack.url + "/auth/logout", data=forged, allow_redirects=False).status_code == 400
    assert client.get(stack.url + "/profile", allow_redirects=False).status_code == 200
    token = _csrf(client.get(stack.url + "/").text)
    out = client.post(stack.url + "/auth/logout", data={"csrf_token": token}, allow_redirects=False)
    assert "/oauth2/v2.0/logout?post_logout_redirect_uri=" in out.headers["Location"]
    assert client.get(stack.url + "/profile", allow_redirects=False).status_code == 302


def test_sign_out_works_locally_while_b2c_is_down(stack):
    client = stack.signed_in()
    token = _csrf(client.get(stack.url + "/").text)
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    out = client.post(stack.url + "/auth/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status_code == 302
    assert client.get(stack.url + "/profile", allow_redirects=False).status_code == 302


def test_no_open_redirect_after_sign_in(stack):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = stack.client()
        user = stack.user()
        reply = flows.app_sign_in(client, stack.url, user["username"], user["password"], next_path=target)
        assert reply.headers["Location"] == "/"


def test_cr_lf_in_next_gives_the_home_page_not_a_500(stack):
    client = stack.client()
    user = stack.user()
    reply = flows.app_sign_in(client, stack.url, user["username"], user["password"], next_path="/profile\r\nX:1")
    assert (reply.status_code, reply.headers["Location"]) == (302, "/")
    assert "X" not in reply.headers
    assert client.get(stack.url + "/profile", allow_redirects=False).status_code == 200


def test_state_is_checked_and_codes_cannot_be_replayed(stack):
    client = stack.client()
    user = stack.user()
    arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
    forged = flows.Arrival(arrival.url, {**arrival.params, "state": "forged"})
    assert flows.back_to_app(client, forged).status_code == 400
    arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
    assert flows.back_to_app(client, arrival).status_code == 302
    replay = flows.back_to_app(client, arrival)
    assert replay.status_code == 400 and "expired or was already used" in replay.text


def test_b2c_error_is_a_friendly_page(stack):
    reply = stack.client().get(
        stack.url + "/auth/callback", params={"error": "server_error", "error_description": "AADB2C90085: internal error"}
    )
    assert reply.status_code == 400 and "AADB2C90085" in reply.text and "Traceback" not in reply.text


#: the signed-in client of each stack the property test below runs against (signing in per example costs)
_SIGNED_IN: dict[str, requests.Session] = {}
JUNK = st.text(max_size=40) | st.sampled_from(
    ["", "//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "é"]
)
B2C_SAYS = (
    st.sampled_from(
        [
            "AADB2C90118: The user has forgotten their password.",
            "AADB2C90091: The user has cancelled entering self-asserted information.",
            "AADB2C90229: Request was throttled.",
            "AADB2C90077: User does not have an existing session.",
            "AADB2C90006: The redirect URI is not registered.",
        ]
    )
    | JUNK
)


@st.composite
def junk_request(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """What a confused browser or an attacker sends to the auth blueprint."""
    where = draw(st.sampled_from(["callback GET", "callback POST", "login", "edit-profile", "reset-password", "logout"]))
    if where.startswith("callback"):
        fields = {name: draw(JUNK) for name in draw(st.lists(st.sampled_from(["code", "state", "error", "client_info"]), unique=True))}
        if draw(st.booleans()):
            fields["error_description"] = draw(B2C_SAYS)
        return where.split()[1], "/auth/callback", fields
    if where == "logout":
        return "POST", "/auth/logout", {"csrf_token": draw(JUNK)}  # a token no page ever showed
    return "GET", f"/auth/{where}", {"next": draw(JUNK)}


@given(junk_request())
def test_junk_at_the_auth_endpoints_is_answered_and_keeps_users_signed_in(stack: Stack, request: tuple[str, str, dict[str, str]]) -> None:
    method, path, fields = request
    client = _SIGNED_IN.get(stack.url) or _SIGNED_IN.setdefault(stack.url, stack.signed_in())
    if method == "GET":
        reply = client.get(stack.url + path, params=fields, allow_redirects=False, timeout=10)
    else:
        reply = client.post(stack.url + path, data=fields, allow_redirects=False, timeout=10)
    assert reply.status_code < 500 or (reply.status_code == 503 and "Retry-After" in reply.headers), reply.text[:300]
    if reply.is_redirect:  # back into the app, or to the emulator (B2C): nowhere else
        target = urlsplit(reply.headers["Location"])
        assert not target.netloc or target.netloc == urlsplit(stack.emulator.url).netloc, reply.headers["Location"]
    assert client.get(stack.url + "/profile", allow_redirects=False, timeout=10).status_code == 200
