"""How the personas find their way to the IdP on any app: a 302, a link or meta refresh, a form;
and how a request that never ends is still seen."""

from __future__ import annotations

import pytest
from gevent import GreenletExit

from loadtests.personas import _LINK, REQUEST_TIMEOUT_S, find_form, tracked

B2C = "https://127.0.0.1:9/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/v2.0/authorize?client_id=x&amp;state=y"


def test_a_link_or_a_meta_refresh_to_authorize_is_found():
    link = _LINK.search(f"<ul><li><a href='{B2C}'>Sign In</a></li></ul>")
    refresh = _LINK.search(f"<meta http-equiv='refresh' content='0; URL={B2C}'>")
    assert link is not None and link.group(1) == B2C
    assert refresh is not None and refresh.group(1) == B2C
    assert _LINK.search("<a href='/about'>About</a>") is None


def test_forms_are_read_with_their_hidden_fields():
    html = """<form action="/search"><input name="q"></form>
    <form method="post" action="/auth/logout"><input type="hidden" name="csrf_token" value="a&amp;b"><button>Sign out</button></form>"""
    assert find_form(html, "https://app/profile", "/auth/logout") == ("https://app/auth/logout", "POST", {"csrf_token": "a&b"})
    assert find_form(html, "https://app/profile") == ("https://app/search", "GET", {"q": ""})
    assert find_form(html, "https://app/profile", "/nowhere") is None


def test_requests_get_a_timeout_and_unanswered_ones_stay_in_flight():
    """Every request has a timeout unless it names one; a request the end of the run interrupts
    (GreenletExit) stays in flight for on_stop to record; one that raised otherwise does not."""
    seen, in_flight = [], {}

    def request(method, url, **kwargs):
        seen.append((method, url, kwargs, dict(in_flight)))
        if url == "/forever":
            raise GreenletExit
        if url == "/broken":
            raise ValueError("no")
        return "reply"

    call = tracked(request, in_flight)
    assert call("get", "/profile", name="signed_in /profile") == "reply"
    assert call("GET", "/slow", timeout=3) == "reply"
    assert [s[2]["timeout"] for s in seen] == [REQUEST_TIMEOUT_S, 3]
    assert [v[:2] for v in seen[0][3].values()] == [("GET", "signed_in /profile")]  # in flight while it ran
    assert in_flight == {}
    with pytest.raises(ValueError):
        call("GET", "/broken")
    assert in_flight == {}
    with pytest.raises(GreenletExit):
        call("GET", "/forever", name="signed_in /call-api")
    assert [v[:2] for v in in_flight.values()] == [("GET", "signed_in /call-api")]
