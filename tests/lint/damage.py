"""Policies damaged at random, for property tests (hypothesis): the project's resilient and
fragile sets and real sets of the shared corpus, with one file mangled byte by byte or element by
element."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

POLICIES = Path(__file__).resolve().parents[2] / "policies"
#: relative path → bytes: two policy sets, in folders of their own
FILES = {
    f"{f.parent.name}/{f.name}": f.read_bytes()
    for folder in ("resilient", "antipatterns/fragile")
    for f in sorted((POLICIES / folder).glob("*.xml"))
}
#: real sets of the shared corpus, of every shape (display controls, sub-journeys, 22 relying parties)
CORPUS_SETS = (
    "Azure-Samples__active-directory-b2c-custom-policy-starterpack/SocialAndLocalAccountsWithMfa",
    "Azure-Samples__active-directory-b2c-custom-policy-starterpack/Display Controls Starterpack/SocialAndLocalAccountsWithMfa",
    "Azure-Samples__active-directory-b2c-advanced-policies/wingtipgamesb2c",
    "azure-ad-b2c__woodgrove-groceries-demo/Policies",
)
#: attributes that link elements: where a random value breaks references, orders and chains
LINKS = ("Id", "ReferenceId", "TechnicalProfileReferenceId", "ClaimTypeReferenceId", "Order", "Type", "Key", "PolicyId", "TenantId")
#: characters an XML attribute may hold (no controls, surrogates or non-characters)
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn")), max_size=12)


def write_set(folder: Path, files: dict[str, bytes]) -> Path:
    """Write `files` (relative path → bytes) under `folder`."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@st.composite
def byte_damage(draw: st.DrawFn) -> tuple[str, bytes]:
    """One file cut short, with bytes inserted, or with a stretch overwritten."""
    name = draw(st.sampled_from(sorted(FILES)))
    data = FILES[name]
    at = draw(st.integers(0, len(data)))
    junk = draw(st.binary(max_size=40) | st.sampled_from([b"<", b"&", b"]]>", b"<!DOCTYPE x [<!ENTITY e 'x'>]>", b"\xff\xfe", b"<!--"]))
    how = draw(st.sampled_from(["cut", "insert", "overwrite"]))
    if how == "cut":
        return name, data[:at]
    if how == "insert":
        return name, data[:at] + junk + data[at:]
    return name, data[:at] + junk + data[at + len(junk) :]


@cache
def ids(files: tuple[bytes, ...]) -> list[str]:
    return sorted({value for data in files for value in etree.fromstring(data).xpath("//@Id")})


@cache
def corpus_set(folder: Path) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in sorted(folder.rglob("*.xml"))}


@st.composite
def tree_damage(draw: st.DrawFn, files: dict[str, bytes] = FILES) -> tuple[str, bytes]:
    """One file still well-formed, with elements removed, copied or moved, link attributes
    changed or removed, and texts replaced: what a bad merge or a hurried edit leaves."""
    name = draw(st.sampled_from(sorted(files)))
    root = etree.fromstring(files[name])
    known = ids(tuple(files.values()))
    for _ in range(draw(st.integers(1, 5))):
        elements = [el for el in root.iter() if isinstance(el.tag, str) and el is not root]
        if not elements:
            break
        el = draw(st.sampled_from(elements))
        parent = el.getparent()
        assert parent is not None
        how = draw(st.sampled_from(["remove", "copy", "move", "attribute", "drop attribute", "text"]))
        if how == "remove":
            parent.remove(el)
        elif how == "copy":
            parent.append(copy.deepcopy(el))
        elif how == "move":
            target = draw(st.sampled_from(elements))
            if target is not el and el not in target.iterancestors():
                target.append(el)
        elif how == "attribute":
            el.set(draw(st.sampled_from(LINKS)), draw(st.sampled_from(known) | st.just("") | XML_TEXT))
        elif how == "drop attribute" and el.attrib:
            del el.attrib[draw(st.sampled_from(sorted(el.attrib)))]
        elif how == "text":
            el.text = draw(st.sampled_from(["", " ", "true", "false", "0", "-1", "²", "http://x", "{Settings:X}"]) | st.none() | XML_TEXT)
    return name, etree.tostring(root, xml_declaration=True, encoding="utf-8")
