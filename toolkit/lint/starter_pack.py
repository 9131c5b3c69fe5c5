"""Recognise content copied unchanged from Microsoft's custom policy starter pack.

A team that uploads the starter pack's `TrustFrameworkBase.xml` as it came did not write what is
in it, and cannot change it without forking Microsoft's base. Findings on that content are not
theirs to fix. They should not fail CI on every run, and they should not be lost either. The
linter recognises such content by what it holds, never by the file name. Each building block
(a technical profile, a user journey, a claim type, a content definition: the `KINDS` below) is
reduced to a canonical text (see `canonical`: layout, comments and attribute order left out).
The digest of that text is looked up in `starter_pack.txt`, a table of the digests of every such
element of the starter pack's base files (each beside a digest of the element's tag and Id, looked
up first: a block with an Id the starter pack does not use is never canonicalized), which
`scripts/starter_pack_table.py` regenerates from given files. The table holds digests only, no
policy content.

A finding whose element sits in a block whose digest is in the table, and which no file below it
in its chains redefines (an override in TrustFrameworkExtensions is the team's change), is
inherited, unless its rule is one of `YOURS` (a placeholder left in stock content must still be
replaced). `toolkit.lint.check.to_problems` reports the inherited findings of a rule once per
file, at info; `--starter-pack=report` (or `starter-pack = "report"`) reports each as before.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from toolkit.lint.parse import NS

#: the building blocks fingerprinted, by tag: the elements a team overrides or copies one by one
KINDS = frozenset(
    f"{{{NS}}}{tag}"
    for tag in (
        "TechnicalProfile",
        "UserJourney",
        "SubJourney",
        "ClaimType",
        "ClaimsTransformation",
        "ContentDefinition",
        "DisplayControl",
        "LocalizedResources",
        "Predicate",
        "PredicateValidation",
    )
)
TABLE = Path(__file__).with_name("starter_pack.txt")
#: rules whose findings stay the team's even on unchanged starter-pack content: the starter pack
#: ships placeholders (`yourtenant`, `{insert your application name}`) for the team to replace
YOURS = frozenset({"SET001"})


def canonical(el: etree._Element) -> bytes:
    """The canonical text of an element: what two copies of it that differ only in layout,
    attribute order, comments or the namespaces their roots declare have in common. Exclusive XML
    canonicalization (C14N, in libxml2: sorted attributes, no comments, only the namespaces the
    element uses, tags written one way), then every run of whitespace made one space and the
    spaces beside a tag dropped."""
    c14n = etree.tostring(el, method="c14n", exclusive=True, with_comments=False)  # no tail in C14N
    return b" ".join(c14n.split()).replace(b"> ", b">").replace(b" <", b"<")


def digest(el: etree._Element) -> str:
    """An element's content key: CRC-32 and Adler-32 of its canonical text, 16 hex digits (zlib's
    checksums, not hashlib's: a plain run imports no hashing, see `test_a_lint_run_leaves_slow_imports_alone`;
    the table is a list of known content, not a defence against a forged match)."""
    import zlib

    text = canonical(el)
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


def identity(el: etree._Element) -> str:
    """A building block's identity key: CRC-32 of its tag and Id, 8 hex digits. Looked up first, so
    that a block whose Id the starter pack never uses is not canonicalized at all."""
    import zlib

    name = str(el.tag).rpartition("}")[2] + " " + el.get("Id", "")
    return f"{zlib.crc32(name.encode()):08x}"


def blocks(root: etree._Element) -> list[etree._Element]:
    """The fingerprinted building blocks of a policy file (those with an Id)."""
    return [el for el in root.iter(*KINDS) if el.get("Id")]


def entries(root: etree._Element) -> set[tuple[str, str]]:
    """The table's entries for a file: (identity, digest) of each of its building blocks."""
    return {(identity(el), digest(el)) for el in blocks(root)}


def parse(text: str) -> dict[str, frozenset[str]]:
    """A table's text (`IDENTITY DIGEST` lines, `#` comments) as identity → digests."""
    table: dict[str, set[str]] = {}
    for raw in text.splitlines():
        if (line := raw.strip()) and not line.startswith("#"):
            key, value = line.split()
            table.setdefault(key, set()).add(value)
    return {k: frozenset(v) for k, v in table.items()}


@cache
def table() -> dict[str, frozenset[str]]:
    """The shipped table (read once, when a finding first needs it)."""
    try:
        return parse(TABLE.read_text(encoding="ascii"))
    except OSError:
        return {}


def unchanged(block: etree._Element) -> bool:
    """Whether a building block is, after canonicalization, one of the starter pack's."""
    digests = table().get(identity(block))
    return digests is not None and digest(block) in digests


def block_of(el: etree._Element) -> etree._Element | None:
    """The fingerprinted building block an element is in (itself included), if any."""
    node: etree._Element | None = el
    while node is not None:
        if node.tag in KINDS:
            return node
        node = node.getparent()
    return None
