"""A set never borrows another set's base: linting a folder alone, or together with sets its
files do not reference, gives the same findings on its files (over the shared corpus's
repositories of several sets side by side).

INH005 and INH008 are left out: they count a whole tenant, so other sets change them by design.
INH001 is compared by place only: a base missing from the run and a base declared by several
other sets are both reported there, with different advice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.lint import lint
from toolkit.lint.linter import load_set
from toolkit.lint.model import key
from toolkit.lint.problem import Problem

#: repositories of the shared corpus with more than one folder of policies
MULTI_SET = [
    "mrochon__b2csamples",
    "Azure-Samples__active-directory-b2c-custom-policy-starterpack",
    "Azure-Samples__active-directory-b2c-advanced-policies",
    "ivee-tech__aad-b2c-custom-policies",
    "Energinet-DataHub__energy-origin",
]
TENANT_WIDE = {"INH005", "INH008"}


def _folders(repo: Path) -> list[Path]:
    """Every folder that directly holds a policy file."""
    return sorted({f.parent for f in repo.rglob("*") if f.suffix.casefold() == ".xml" and f.is_file()})


def _findings(problems: list[Problem], folder: Path) -> set[tuple[object, ...]]:
    mine = str(folder) + "/"
    return {
        (p.rule, p.path, p.line, p.column, p.severity) + (() if p.rule == "INH001" else (p.message, p.policy))
        for p in problems
        if p.path.startswith(mine) and "/" not in p.path[len(mine) :] and p.rule not in TENANT_WIDE
    }


def _declared_and_named(folder: Path) -> tuple[set[str], set[str]]:
    """The PolicyIds the folder's files declare, and those their BasePolicy elements name."""
    files = [f for f in load_set([folder]).files if f.folder == str(folder)]
    return {key(f.policy_id) for f in files}, {key(f.base[1]) for f in files if f.base is not None}


@pytest.mark.parametrize("name", MULTI_SET)
def test_a_folder_alone_or_with_sets_it_does_not_reference_gives_the_same_findings(shared, name):
    repo = shared / "corpus" / name
    folders = _folders(repo)
    ids = {folder: _declared_and_named(folder) for folder in folders}
    whole = lint([repo]).problems
    differences = []
    for folder in folders:
        alone = _findings(lint([folder]).problems, folder)
        declared, named = ids[folder][0], ids[folder][1] - ids[folder][0]
        # unrelated: declares none of the bases the folder names, and names none it declares
        unrelated = [other for other in folders if other != folder and not ids[other][0] & named and not ids[other][1] & declared]
        together = _findings(lint([folder, *unrelated]).problems, folder)
        differences += [(str(folder), "with unrelated sets", d) for d in alone ^ together]
        # The whole repository adds the sets whose bases it names; when several declare the
        # same base, none is taken, so the findings are still those of the folder alone.
        # Left out: a folder whose base only one other folder declares (it links there, as a
        # set with its bases in a sibling folder should), and one that such a folder extends.
        declarers = {n: [o for o in folders if n in ids[o][0]] for n in named}
        extended = any((ids[other][1] - ids[other][0]) & declared for other in folders if other != folder)
        if not extended and all(len(d) != 1 for d in declarers.values()):
            differences += [(str(folder), "in the whole repository", d) for d in alone ^ _findings(whole, folder)]
    assert differences == []
