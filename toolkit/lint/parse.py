"""The second stage: parse each file read into a `PolicyFile`, securely (no network, no DTD, no
entity expansion), and know where each element is written in its text.

A file that cannot be parsed safely becomes a `LoadError` (reported as `XML001`) instead of an
exception, so one broken file never stops the rest of the set from being linted.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from toolkit.lint.directives import Suppressions, parse_suppressions
from toolkit.lint.discover import Input, LoadError, display_path
from toolkit.lint.memo import memoized
from toolkit.lint.settings import Renderer, stand_ins

NS = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
ROOT_TAG = f"{{{NS}}}TrustFrameworkPolicy"


def secure_parser() -> etree.XMLParser:
    """A parser that fetches nothing and expands no entity (one per thread: lxml parsers are not
    shared across threads)."""
    # resolve_entities=False keeps entity references unexpanded (no billion laughs, no XXE);
    # a DOCTYPE is then refused outright, since B2C policies never carry one.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


_PARSER = secure_parser()


@cache
def q(path: str) -> str:
    """Qualify a slash-separated element path with the policy namespace: `q("Metadata/Item")`."""
    return "/".join(part if part in (".", "..", "*") else f"{{{NS}}}{part}" for part in path.split("/"))


class Wide(NamedTuple):
    """How a UTF-16 or UTF-32 file was written, to write it back so after editing its UTF-8 text."""

    codec: str  #: a Python codec with the byte order: utf-16-le, utf-16-be, utf-32-le, utf-32-be
    bom: bytes  #: the byte order mark the file starts with (b"" when none)
    declared: bytes | None  #: the encoding its XML declaration names, when it names one

    def encode(self, utf8: bytes) -> bytes:
        """UTF-8 text (as `to_utf8` made it) in the file's own encoding and declaration."""
        if self.declared is not None and (m := _DECLARED.match(utf8)):
            utf8 = utf8[: m.start(2)] + self.declared + utf8[m.end(2) :]
        return self.bom + utf8.decode("utf-8").encode(self.codec)


#: byte order marks, and how `<?` starts without one (XML 1.0, appendix F), longest first
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
_NO_BOM = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"))
_DECLARED = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1""")


def to_utf8(data: bytes) -> tuple[bytes, Wide | None]:
    """A UTF-16 or UTF-32 file as UTF-8 (its declaration saying so), and how to write it back;
    any other file as it is. Every position the linter reports is found in the bytes of the text
    (lines, columns, placeholders, comments), which in UTF-16 are two per character and interleaved
    with zeros: transcoded, a UTF-16 policy reports what the same policy in UTF-8 reports."""
    codec, bom = next(((c, m) for m, c in _BOMS if data.startswith(m)), None) or (None, b"")
    codec = codec or next((c for m, c in _NO_BOM if data.startswith(m)), None)
    if codec is None:
        return data, None
    try:
        utf8 = data[len(bom) :].decode(codec).encode("utf-8")
    except UnicodeError:
        return data, None  # the parser says what is wrong with it
    declared = None
    if m := _DECLARED.match(utf8):
        declared = m.group(2)
        utf8 = utf8[: m.start(2)] + b"UTF-8" + utf8[m.end(2) :]
    return utf8, Wide(codec, bom, declared)


class PolicyFile:
    """One parsed `TrustFrameworkPolicy` file."""

    def __init__(
        self,
        path: Path,
        display: str,
        root: etree._Element,
        data: bytes,
        schema: etree.XMLSchema | None = None,
        wide: Wide | None = None,
        size: int | None = None,
    ) -> None:
        self.path = path
        self.display = display  #: the path as reported (relative to the working directory when possible)
        self.root = root
        #: the text (UTF-8 when the file is UTF-16 or UTF-32: see `to_utf8`), after settings are rendered
        self.data = data
        #: how the file is encoded when it is not in an encoding that ASCII is part of (for `--fix`)
        self.wide = wide
        self._size = len(data) if size is None else size
        #: the official schema, when the run has one (XSD001)
        self.schema = schema
        #: per-file derived data that rules memoize (shared by every chain the file is in)
        self.cache: dict[Any, Any] = {}
        #: rendered by the settings of an environment that is not production (see `toolkit.lint.settings`)
        self.development = False
        #: per line (1-based), the settings rendered on it: (name, value)
        self.settings_lines: dict[int, list[tuple[str, str]]] = {}
        #: template tokens replaced by stand-ins so that the file parses (see `settings.stand_ins`)
        self.stand_ins = 0

    def __repr__(self) -> str:
        return f"PolicyFile({self.display!r})"

    @memoized
    def suppressions(self) -> Suppressions:
        """What this file's `b2c-toolkit:` comments switch off (read when first needed)."""
        return parse_suppressions(self.root) if b"b2c-toolkit" in self.data else Suppressions()

    @property
    def size(self) -> int:
        """Size in bytes, as B2C counts it against its 1024 KB limit (of the file as written)."""
        return self._size

    @property
    def tenant(self) -> str:
        """The `TenantId` attribute ("" when missing)."""
        return self.root.get("TenantId", "")

    @property
    def policy_id(self) -> str:
        """The `PolicyId` attribute ("" when missing)."""
        return self.root.get("PolicyId", "")

    @memoized
    def base(self) -> tuple[str, str] | None:
        """`(TenantId, PolicyId)` of the `BasePolicy` this file extends, if any."""
        el = self.root.find(q("BasePolicy"))
        if el is None:
            return None
        return (el.findtext(q("TenantId"), "").strip(), el.findtext(q("PolicyId"), "").strip())

    @property
    def is_relying_party(self) -> bool:
        """True for the task-focused file that carries `RelyingParty`."""
        return self.root.find(q("RelyingParty")) is not None

    @memoized
    def lines(self) -> list[bytes]:
        """The raw lines, for locating columns."""
        return self.data.split(b"\n")

    @memoized
    def folder(self) -> str:
        """The absolute folder of the file, for finding the nearest base."""
        return os.path.dirname(os.path.abspath(self.path))

    @memoized
    def _walk(self) -> tuple[list[int], list[etree._Element], Iterator[etree._Element]]:
        return [], [], self.root.iter(etree.Element)

    def element_at(self, line: int, column: int | None = None) -> etree._Element:
        """Where to report what was found in the text rather than the tree, at `line` (and
        `column`): of the start tags ending on that line, the last to begin at or before the
        column (a minified file is one line); else the first element whose start tag ends on or
        after the line (the root when none does)."""
        lines, elements, walk = self._walk  # walked once, only as far as asked; lines never decrease
        while not lines or lines[-1] <= line:
            el = next(walk, None)
            if el is None:
                break
            lines.append(el.sourceline or 0)
            elements.append(el)
        i, j = bisect.bisect_left(lines, line), bisect.bisect_right(lines, line)
        if column is not None and j - i > 1:
            k = bisect.bisect_right(elements, (line, column), i, j, key=self.locate)  # starts grow in document order
            if k > i:
                return elements[k - 1]
        return elements[i] if i < len(elements) else self.root

    def locate(self, el: etree._Element, attr: str | None = None) -> tuple[int, int]:
        """Line and column where an element's start tag (or one of its attributes) is written.

        libxml2 records the line where a start tag *ends*. When that line holds several start tags
        of the name (a minified file is one line), the element is the one at its rank among the
        elements of that name recorded on the line; otherwise walk back to where its tag begins.
        An attribute is searched from there to the end of the tag. Each line is scanned once per
        name, whatever the number of findings on it (a minified file with thousands of findings
        rescanned its one line for each).
        """
        end = el.sourceline or 1
        line, column = self._start(el, end)
        if attr:
            needle = _attribute(attr)
            for n in range(line, end + 1):
                text = self.lines[n - 1]
                first = column - 1 if n == line else 0
                stop = text.find(b"<", column if n == line else 0)  # no `<` inside a tag: the next ends it
                hit = needle.search(text, first, len(text) if stop < 0 else stop)
                if hit is not None:
                    return n, hit.start() + 1
                if stop >= 0:
                    break
        return line, column

    def _start(self, el: etree._Element, end: int) -> tuple[int, int]:
        tag = str(el.tag)
        starts = self._starts(tag, end)
        if len(starts) > 1:
            ranks = self._ranks(tag).get(end, {})
            rank = ranks.get(el, -1)
            # one start tag more on the line than recorded ends means the first began on an earlier line
            i = rank if len(starts) == len(ranks) else rank - 1 if len(starts) == len(ranks) - 1 else -1
            if 0 <= i < len(starts):
                return end, starts[i] + 1
        for n in range(end, max(end - 200, 0), -1):
            found = starts if n == end else self._starts(tag, n)
            if found:
                return n, found[-1] + 1
        return end, 1

    def _starts(self, tag: str, line: int) -> list[int]:
        """Offsets of the start tags of this name on a line (cached: found once per line). Where
        there are several, those written in comments or CDATA are left out (one is taken as is:
        finding where comments are costs every file with findings a scan)."""
        key = ("starts", tag, line)
        if key not in self.cache:
            found = [m.start() for m in _start_tag(tag).finditer(self.lines[line - 1])]
            if len(found) > 1:
                base = self._line_start(line - 1)
                found = [o for o in found if not self._in_comment_or_cdata(base + o)]
            self.cache[key] = found
        starts: list[int] = self.cache[key]
        return starts

    @memoized
    def _in_comment_or_cdata(self) -> Callable[[int], bool]:
        """Whether an offset is in a comment or CDATA section, where text is not a tag."""
        return inside(_COMMENT_OR_CDATA, self.data)

    def position(self, offset: int) -> tuple[int, int]:
        """Line and column of a byte offset (the lines' lengths are summed once per file: counting
        newlines up to each of thousands of offsets took seconds)."""
        line = bisect.bisect_right(range(len(self.lines)), offset, key=self._line_start)
        return line, offset - self._line_start(line - 1) + 1

    def offset(self, line: int, column: int) -> int:
        """The byte offset of a line and column (see `position`)."""
        return self._line_start(line - 1) + column - 1

    def _line_start(self, index: int) -> int:
        """Where the line at 0-based `index` starts: the lengths before it, and their newlines."""
        return self._lengths_before[index] + index

    @memoized
    def _lengths_before(self) -> list[int]:
        return list(accumulate(map(len, self.lines), initial=0))  # in C: a loop here cost 15 ms a corpus run

    def _ranks(self, tag: str) -> dict[int, dict[etree._Element, int]]:
        """Each element of this name, by the line its start tag ends on: its rank there."""
        key = ("ranks", tag)
        if key not in self.cache:
            by_line: dict[int, dict[etree._Element, int]] = {}
            for el in self.root.iter(tag):
                on_line = by_line.setdefault(el.sourceline or 1, {})
                on_line[el] = len(on_line)
            self.cache[key] = by_line
        ranks: dict[int, dict[etree._Element, int]] = self.cache[key]
        return ranks


#: comments, and comments or CDATA sections (a file that parsed closes each of them)
COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_COMMENT_OR_CDATA = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.DOTALL)


def inside(pattern: re.Pattern[bytes], data: bytes) -> Callable[[int], bool]:
    """Whether an offset falls inside a match of `pattern` (found once, then a binary search per
    offset: searching back from each of 20,000 offsets took seconds on a 1.5 MB file)."""
    spans = [m.span() for m in pattern.finditer(data)] if b"<!" in data else []
    starts = [start for start, _ in spans]

    def test(offset: int) -> bool:
        i = bisect.bisect_right(starts, offset) - 1
        return i >= 0 and offset < spans[i][1]

    return test


@cache
def _start_tag(tag: str) -> re.Pattern[bytes]:
    """Where `<Name` starts an element with this (qualified) tag."""
    return re.compile(b"<" + re.escape(tag.rpartition("}")[2].encode()) + rb"(?=[\s/>]|$)")


@cache
def _attribute(name: str) -> re.Pattern[bytes]:
    """Where `Name=` starts an attribute."""
    return re.compile(rb"(?<![\w:.-])" + re.escape(name.encode()) + rb"\s*=")


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
#: an XML declaration after blanks or byte order marks (after the one mark allowed first), which
#: XML allows nowhere but first
_LATE_DECLARATION = re.compile(rb"(?:\s|\xef\xbb\xbf)+<\?xml\s")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse(
    path: Path,
    data: bytes,
    explicit: bool = False,
    render: Renderer | Callable[[bytes], bytes] | None = None,
    schema: etree.XMLSchema | None = None,
    parser: etree.XMLParser | None = None,
) -> PolicyFile | LoadError | None:
    """Parse one file's bytes (after `render`, which fills in settings). None means "not a policy".

    A file that does not parse as it is, with template tokens where XML allows no text, is parsed
    with stand-ins for them (`settings.stand_ins`); the file keeps its own text, on whose lines
    the stand-ins are, so every position reported is one of the file as written.

    `schema` is the official schema the file is checked against (XSD001), when the run has one.
    `parser` comes from `secure_parser`; the default one is for the main thread only."""
    shown = display_path(path)
    data, wide = to_utf8(data)
    settings_lines: dict[int, list[tuple[str, str]]] = {}
    written = data
    if isinstance(render, Renderer):
        data, settings_lines = render.render(data)
    elif render is not None:
        data = render(data)
    looks_like_policy = explicit or b"TrustFrameworkPolicy" in data
    doctype = _DOCTYPE.search(data)
    if doctype is not None:
        if not looks_like_policy:
            return None
        line = _line_of(data, doctype.start())
        return LoadError(
            shown,
            line,
            1,
            "DOCTYPE declarations are not allowed in policies (possible XXE or entity expansion attack); the file was not processed",
        )
    replaced = 0
    try:
        root = etree.fromstring(data, parser or _PARSER)
    except etree.XMLSyntaxError as exc:
        if not looks_like_policy:
            return None
        tolerant, replaced = stand_ins(data)
        try:
            if not replaced:
                raise exc
            root = etree.fromstring(tolerant, parser or _PARSER)
        except etree.XMLSyntaxError as again:
            line, column = again.position if again.position else (1, 1)
            tried = [f"{replaced} template token{'s' if replaced > 1 else ''} replaced by stand-ins"] if replaced else []
            if data != written:
                tried.insert(0, "settings rendered")
            said = f" (templating was tried: {', '.join(tried)})" if tried else ""
            if _LATE_DECLARATION.match(data, 3 if data.startswith(b"\xef\xbb\xbf") else 0):
                said += "; only blanks or a byte order mark stand before the XML declaration: remove them"
            return LoadError(shown, max(line, 1), max(column, 1), f"not well-formed XML: {again.msg}{said}")
    if etree.QName(root).localname != "TrustFrameworkPolicy":
        return None
    if root.tag != ROOT_TAG:
        return LoadError(shown, root.sourceline or 1, 1, f"TrustFrameworkPolicy must be in the namespace {NS}")
    size = len(wide.encode(data)) if wide is not None else None  # as uploaded: in its own encoding
    policy = PolicyFile(path, shown, root, data, schema, wide, size)
    if isinstance(render, Renderer):
        policy.development = render.development
        policy.settings_lines = settings_lines
    policy.stand_ins = replaced
    return policy


#: bytes worth a second parsing thread (starting one costs about what parsing 100 KB does)
THREAD_WORTH = 500_000


def parse_all(
    inputs: list[Input],
    render: Callable[[Path], Renderer | None] | None = None,
    schema: etree.XMLSchema | None = None,
    threads: int = 1,
) -> tuple[list[PolicyFile], list[LoadError]]:
    """Parse the files read (see `parse`; `render` gives the settings that render a file), in the
    order given, on two threads when `threads`
    allows and there is enough to parse: lxml lets go of the GIL while it parses."""
    loaded: list[PolicyFile | LoadError | None] = [data if not isinstance(data, bytes) else None for _, _, data in inputs]
    sizes = {i: len(data) for i, (_, _, data) in enumerate(inputs) if isinstance(data, bytes)}
    todo = sorted(sizes, key=sizes.__getitem__, reverse=True)  # largest first: the threads end together

    def work(indexes: list[int], parser: etree.XMLParser | None) -> None:
        for i in indexes:
            path, explicit, data = inputs[i]
            assert isinstance(data, bytes)
            loaded[i] = parse(path, data, explicit, render(path) if render is not None else None, schema, parser)

    if threads > 1 and sum(sizes.values()) > THREAD_WORTH:
        from toolkit.lint.parallel import on_two_threads

        on_two_threads(lambda: work(todo[0::2], None), lambda: work(todo[1::2], secure_parser()))
    else:
        work(todo, None)
    files = [result for result in loaded if isinstance(result, PolicyFile)]
    errors = [result for result in loaded if isinstance(result, LoadError)]
    return files, errors
