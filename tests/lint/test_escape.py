"""Text the linter did not write, as reports show it."""

from __future__ import annotations

import os

from toolkit.lint.escape import printable


def test_printable_shows_names_as_ls_does():
    assert printable("Base.xml") == "Base.xml"
    assert printable("Políticas/Base.xml") == "Políticas/Base.xml"  # UTF-8 names as they are
    assert printable("a\x01b\nc.xml") == "a\\x01b\\x0ac.xml"
    assert printable(os.fsdecode(b"\xffBase.xml")) == "\\xffBase.xml"  # the byte, not its stand-in
