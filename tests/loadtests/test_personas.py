"""How the personas find their way to the IdP on any app: a 302, a link or meta refresh, a form."""

from __future__ import annotations

from loadtests.personas import _LINK, find_form

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
