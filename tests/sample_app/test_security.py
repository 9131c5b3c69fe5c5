"""`next` targets: any text gives a same-site path that a redirect can carry."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.utils import redirect

from sample_app.security import safe_next

PREFIXES = st.sampled_from(["", "/", "//", "/\\", "/\t/", "/\r\n/", "https://", "/profile"])


@given(prefix=PREFIXES, rest=st.text(max_size=30))
@example(prefix="/profile", rest="\r\nX:1")  # a 500 at the callback: CR/LF cannot go into Location
@example(prefix="/", rest="\t/evil.example")  # browsers drop the tab: //evil.example
@example(prefix="/caf", rest="\u00e9 au lait")
def test_any_next_gives_a_same_site_path_a_redirect_can_carry(prefix, rest):
    target = safe_next(prefix + rest)
    assert target.startswith("/") and not target.startswith("//")
    assert all(0x21 <= ord(c) <= 0x7E for c in target) and "\\" not in target
    parts = urlsplit(target)
    assert not parts.scheme and not parts.netloc
    assert redirect(target).headers["Location"] == target  # never a ValueError (a 500)


def test_ordinary_paths_are_kept():
    assert safe_next("/profile?tab=1#x") == "/profile?tab=1#x"
    assert safe_next("/caf\u00e9") == "/caf%C3%A9"
    assert safe_next("/a b") == "/a%20b"
    assert safe_next("/profile\r\nX:1") == "/"
