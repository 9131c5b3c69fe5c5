"""What several rule modules share: placeholders, public https URLs, development folders
(`creates_users` is exercised by MFA004's tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from toolkit.lint.parse import PolicyFile
from toolkit.lint.rules.common import in_development_folder, internal_host, placeholder_in, unreachable


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("https://{Settings:ApiHost}/x", "{Settings:"),
        ("https://__ApiHost__/x", "__ApiHost__"),
        ("https://yourtenant.b2clogin.com", "your"),
        ("https://api.contoso.com/{email}", None),  # a claim resolver, resolved by B2C
        ("https://api.contoso.com/x", None),
    ],
)
def test_placeholder_in(value, found):
    assert placeholder_in(value) == found


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://localhost:7071/api", "localhost"),
        ("https://api.localhost./x", "api.localhost"),
        ("https://10.1.2.3:8443/x", "10.1.2.3"),
        ("https://[::1]/x", "::1"),
        ("https://api.contoso.com/x", None),
        ("https://20.1.2.3/x", None),
        ("https://[/x", None),  # not a URL at all
    ],
)
def test_internal_host(url, host):
    assert internal_host(url) == host


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        ("http://api.contoso.com/x", ("scheme", "http")),
        ("ftp://files.contoso.com/x", ("scheme", "ftp")),
        ("https://127.0.0.1/x", ("host", "127.0.0.1")),
        ("HTTPS://api.contoso.com/x", None),
    ],
)
def test_unreachable_names_the_scheme_or_the_host(url, fault):
    assert unreachable(url) == fault


@pytest.mark.parametrize(
    ("display", "expected"),
    [("policies/dev/Base.xml", True), ("Test/Base.xml", True), ("policies/prod/Base.xml", False), ("dev.xml", False)],
)
def test_in_development_folder(display, expected):
    f = PolicyFile(Path(display), display, etree.Element("x"), b"")
    assert in_development_folder(f) is expected
