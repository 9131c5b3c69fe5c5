"""Text the linter did not write (file names, messages quoting policies, settings values), made
safe where it goes: one line of a report (`printable`), or XML text (`xml_escape`)."""

from __future__ import annotations

import re

#: what XML 1.0 cannot hold: C0 controls but tab, newline and carriage return; surrogates; U+FFFE, U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what a report line cannot show as is: control characters, line separators, and the surrogates
#: that stand for the bytes of a file name that are not UTF-8 (decoded with surrogateescape)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _code(m: re.Match[str]) -> str:
    """A character as `\\xNN` (a byte of a name that is not UTF-8 as that byte) or `\\uNNNN`."""
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` (a path, a message) as reports show it: control characters, and the bytes of a file
    name that are not UTF-8, as `\\xNN` (as `ls -b` does). A problem then stays one line, and every
    format stays valid UTF-8 (a report written with such a name as is would fail to encode)."""
    return _UNPRINTABLE.sub(_code, text)


def xml_escape(value: str) -> str:
    """`value` safe in XML text and attribute values (a character XML cannot hold as `\\xNN`)."""
    # not xml.sax.saxutils: it imports urllib.request, 50 ms of start-up
    value = _NOT_XML.sub(_code, value)
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;")):
        value = value.replace(raw, entity)
    return value
