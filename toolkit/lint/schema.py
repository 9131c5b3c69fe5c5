"""The official schema, found rather than shipped, corrected in memory for libxml2, and its
errors told in words a person understands.

Microsoft's `TrustFrameworkPolicy_0.3.0.0.xsd` (the starter pack ships it) writes three
`xs:pattern` facets as `^…$`. Under XSD regex rules `^` and `$` are literal characters, so
libxml2 (lxml, xmllint) rejects every `RecoveryUri` and `DataUri`; the anchors are dropped when
the schema is loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from toolkit.lint.discover import read_file

SCHEMA_NAME = "TrustFrameworkPolicy_0.3.0.0.xsd"
XS = "http://www.w3.org/2001/XMLSchema"
_NS = re.compile(r"\{[^}]*\}")


class SchemaError(Exception):
    """A schema file that cannot be used (exit 2)."""


def find_schema(paths: Iterable[str | os.PathLike[str]]) -> Path | None:
    """`TrustFrameworkPolicy_0.3.0.0.xsd` in the linted folders (recursively) or their parents."""
    roots = [Path(p) if Path(p).is_dir() else Path(p).parent for p in paths]
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
            if SCHEMA_NAME in filenames and Path(dirpath, SCHEMA_NAME).is_file():
                return Path(dirpath, SCHEMA_NAME)
    for root in roots:
        for parent in root.resolve().parents:
            if (parent / SCHEMA_NAME).is_file():
                return parent / SCHEMA_NAME
    return None


def unanchor(document: etree._ElementTree) -> int:
    """Drop `^`/`$` anchors from pattern facets, in place; returns how many were changed."""
    changed = 0
    for facet in document.iter(f"{{{XS}}}pattern"):
        value = facet.get("value", "")
        if len(value) > 1 and value.startswith("^") and value.endswith("$"):
            facet.set("value", value[1:-1])
            changed += 1
    return changed


@lru_cache(maxsize=4)
def load_schema(path: str, correct: bool = True) -> etree.XMLSchema:
    """Parse and compile a schema once per run (securely: no network, no entities)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(read_file(Path(path)), parser, base_url=path).getroottree()
        if correct:
            unanchor(document)
        return etree.XMLSchema(document)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read schema: {exc.strerror or exc}") from None
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaError(f"{path}: cannot use this schema: {exc}") from None


def _local(text: str) -> str:
    return _NS.sub("", text)


def humanize(message: str) -> tuple[str, str | None, str | None]:
    """`(message, attribute, value)`: libxml2's schema error said plainly."""
    m = re.match(r"Element '([^']+)'(?:, attribute '([^']+)')?: (.*)", message, re.DOTALL)
    if m is None:
        return _local(message), None, None
    element, attribute, detail = _local(m.group(1)), m.group(2), m.group(3).strip()
    value_m = re.search(r"The value '([^']*)'", detail)
    value = value_m.group(1) if value_m else None
    where = f"`{element}`" + (f" attribute `{attribute}`" if attribute else "")
    expected = re.search(r"Expected is(?: one of)? \( ([^)]*) \)", detail)
    names = ", ".join(f"`{n.strip()}`" for n in _local(expected.group(1)).split(",")) if expected else ""
    if "This element is not expected" in detail:
        if names:
            return f"`{element}` is not allowed here; expected {names} (elements must follow the schema's order)", attribute, value
        return f"`{element}` is not allowed here (unknown element, or in the wrong place)", attribute, value
    if "Missing child element" in detail:
        return f"`{element}` is missing a required child: {names}", attribute, value
    if "Character content other than whitespace is not allowed" in detail:
        return f"`{element}` contains stray text; it may only contain elements", attribute, value
    if "is not allowed" in detail and attribute:
        return f"attribute `{attribute}` is not allowed on `{element}`", attribute, value
    if "is required but missing" in detail:
        missing = re.search(r"attribute '([^']+)'", detail)
        return f"`{element}` needs the attribute `{missing.group(1) if missing else '?'}`", attribute, value
    if "[facet 'enumeration']" in detail:
        allowed = re.search(r"set \{([^}]*)\}", detail)
        return f"{where} value {value!r} must be one of {allowed.group(1) if allowed else 'the listed values'}", attribute, value
    if "[facet 'pattern']" in detail:
        return f"{where} value {value!r} does not match the schema's pattern", attribute, value
    if "Duplicate key-sequence" in detail:
        return f"{where}: duplicate value in a set that must be unique ({_local(detail)})", attribute, value
    return f"{where}: {_local(detail)}", attribute, value


class Violation(NamedTuple):
    """One schema violation of a parsed policy, in plain words."""

    line: int
    message: str
    attribute: str | None
    value: str | None  #: the value libxml2 names, after its own normalization (see `written`)


def violations(schema: etree.XMLSchema, root: etree._Element) -> list[Violation]:
    """Every schema violation of one parsed policy."""
    schema.validate(root.getroottree())
    return [Violation(error.line or 1, *humanize(error.message)) for error in schema.error_log]


def written(root: etree._Element, line: int, attribute: str | None) -> list[str]:
    """The values as written on `line` (the attribute's, else the elements' text): libxml2's
    message shows a value after its own normalization."""
    return [el.get(attribute, "") if attribute else (el.text or "") for el in root.iter(etree.Element) if el.sourceline == line]
