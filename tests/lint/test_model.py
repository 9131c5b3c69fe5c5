"""Linking files into chains: the nearest base, ties, and sets of thousands of files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.lint.policies import policy
from toolkit.lint.model import PolicySet
from toolkit.lint.parse import PolicyFile

#: a file: its folder (a few levels of a small alphabet), its PolicyId, the PolicyId it extends,
#: and whether it is a relying party
files = st.lists(
    st.tuples(
        st.lists(st.sampled_from("ab"), max_size=3),
        st.sampled_from(["B2C_1A_X", "B2C_1A_Y"]),
        st.sampled_from(["", "B2C_1A_X", "B2C_1A_Y"]),
        st.booleans(),
    ),
    max_size=8,
)

RELYING_PARTY = '<RelyingParty><DefaultUserJourney ReferenceId="SignUpOrSignIn" /></RelyingParty>'


def _policy_file(i: int, folders: list[str], policy_id: str, base: str, relying_party: bool = False) -> PolicyFile:
    path = Path("/set", *folders, f"f{i}.xml")
    data = policy(policy_id, RELYING_PARTY if relying_party else "", base=base or None).encode()
    return PolicyFile(path, str(path), etree.fromstring(data), data)


@given(files)
def test_the_parent_is_the_nearest_base_as_commonpath_defines_it(layout):
    """The folder index answers what comparing the child with every candidate answers: the one
    declaration in the child's folder or the nearest folder above it, else the one nearest
    declaration below that folder when its own folder holds no relying party (a folder of bases,
    not another set)."""
    made = [_policy_file(i, *spec) for i, spec in enumerate(layout)]
    linked = PolicySet(made)
    rp_folders = {f.folder for f in made if f.is_relying_party}
    for f in made:
        candidates = [c for c in made if c is not f and f.base is not None and c.policy_id == f.base[1]]
        if not candidates:
            assert linked.parent[id(f)] is None
            continue
        closeness = [len(os.path.commonpath([f.folder, c.folder])) for c in candidates]
        nearest = max(closeness)
        tied = [c for c, n in zip(candidates, closeness, strict=True) if n == nearest]
        own = [c for c in tied if len(c.folder) == nearest]  # in the child's folder or one above it
        if len(own) == 1:
            expected = own[0]
        elif len(tied) == 1 and not own and tied[0].folder not in rp_folders:
            expected = tied[0]  # in a sibling folder of bases
        else:
            expected = None
        assert linked.parent[id(f)] is expected
        # never a guess, never another set's base: the link is left out and named
        assert (id(f) in linked.ambiguous) == (expected is None)
        if expected is None and len(tied) == 1:
            assert linked.candidates[id(f)] == (1, tied)


def test_thousands_of_files_declaring_one_policy_id_link_in_linear_time():
    """4,000 files in folders of their own, each declaring B2C_1A_Same and extending it: each was
    compared with every other (a hundred seconds). Now each walks up its folders once (well under
    a second here; the bound is 20 s)."""
    made = [_policy_file(i, [f"d{i}"], "B2C_1A_Same", "B2C_1A_Same") for i in range(4000)]
    started = time.monotonic()
    linked = PolicySet(made)
    assert time.monotonic() - started < 20
    assert all(id(f) in linked.ambiguous for f in made)  # every other copy is equally near
    assert all(linked.parent[id(f)] is None for f in made)  # and none is borrowed
