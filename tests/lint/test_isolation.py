"""A set never borrows another set's base: linting a folder alone, or together with sets its
files do not reference, gives the same findings on its files (over the shared corpus's
repositories of several sets side by side, and small repositories written here).

A base declared once elsewhere is linked only where the layout says the two belong together: in
the child's folder, a folder above it, or a folder of bases (a folder holding no relying party,
such as `base/` or `shared/`). A sibling folder with relying parties of its own is another set.

INH005 and INH008 are left out: they count a whole tenant, so other sets change them by design.
INH001 is compared by place only: a base missing from the run and a base declared by several
other sets are both reported there, with different advice.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.lint.policies import RP, clean_set, policy, write
from toolkit.lint import Config, lint
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
ADVISORY = ["LIM001", "BOT001"]


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


def _declared_named_and_rp(folder: Path) -> tuple[set[str], set[str], bool]:
    """The PolicyIds the folder's files declare, those their BasePolicy elements name, and
    whether one of them is a relying party (the folder is a set of its own, not a folder of bases)."""
    files = [f for f in load_set([folder]).files if f.folder == str(folder)]
    declared = {key(f.policy_id) for f in files}
    return declared, {key(f.base[1]) for f in files if f.base is not None}, any(f.is_relying_party for f in files)


def _above(folder: Path, other: Path) -> bool:
    return folder in other.parents


@pytest.mark.parametrize("name", MULTI_SET)
def test_a_folder_alone_or_with_sets_it_does_not_reference_gives_the_same_findings(shared, name):
    repo = shared / "corpus" / name
    folders = _folders(repo)
    ids = {folder: _declared_named_and_rp(folder) for folder in folders}
    whole = lint([repo]).problems
    differences = []
    for folder in folders:
        alone = _findings(lint([folder]).problems, folder)
        declared, named, holds_rp = ids[folder][0], ids[folder][1] - ids[folder][0], ids[folder][2]
        # unrelated: declares none of the bases the folder names, and names none it declares
        unrelated = [other for other in folders if other != folder and not ids[other][0] & named and not ids[other][1] & declared]
        together = _findings(lint([folder, *unrelated]).problems, folder)
        differences += [(str(folder), "with unrelated sets", d) for d in alone ^ together]
        # The whole repository adds the sets whose bases it names; a base declared by several,
        # or only by another set (a folder with relying parties), is not taken, so the findings
        # are still those of the folder alone. Left out: a folder whose base only one folder
        # declares, above it or a folder of bases (it links there, as it should), and a folder
        # of bases that another folder extends.
        declarers = {n: [o for o in folders if n in ids[o][0]] for n in named}
        links = any(len(d) == 1 and (_above(d[0], folder) or not ids[d[0]][2]) for d in declarers.values())
        extended = not holds_rp and any((ids[other][1] - ids[other][0]) & declared for other in folders if other != folder)
        if not links and not extended:
            differences += [(str(folder), "in the whole repository", d) for d in alone ^ _findings(whole, folder)]
    assert differences == []


def test_no_file_of_the_corpus_links_to_another_sets_folder(shared):
    """Over every repository of the corpus, linted whole: each link goes to the child's folder, a
    folder above it, or a folder holding no relying party."""
    corpus = shared / "corpus"
    borrowed = []
    for repo in sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "xsd"):
        policy_set = load_set([repo])
        rp_folders = {f.folder for f in policy_set.files if f.is_relying_party}
        for f in policy_set.files:
            parent = policy_set.parent[id(f)]
            if parent is None or parent.folder == f.folder or f.folder.startswith(parent.folder + os.sep):
                continue
            if parent.folder in rp_folders:
                borrowed.append((f.display, parent.display))
    assert borrowed == []


def test_totp_based_approval_does_not_borrow_mfa_choice(shared):
    """mrochon/b2csamples: the `TOTPBasedApproval/` relying parties extend
    `B2C_1A_TrustFrameworkExtensions_TOTP`, which only `MFAChoice/policy/` declares, beside its own
    relying party: another sample, not a folder of bases. INH001 says where it is and how to link it."""
    repo = shared / "corpus" / "mrochon__b2csamples"
    policy_set = load_set([repo])
    approvals = [f for f in policy_set.files if Path(f.folder).name == "TOTPBasedApproval" and f.is_relying_party]
    assert len(approvals) == 2
    assert all(policy_set.parent[id(f)] is None and not policy_set.chain(f).complete for f in approvals)
    inh001 = [p for p in lint([repo]).problems if p.rule == "INH001" and p.path.endswith("_TOTP.xml")]
    assert len(inh001) == 2
    for p in inh001:
        assert "declared only in" in p.message and "MFAChoice/policy/TOTPExtensions.xml" in p.message
        assert "--base-path" in p.message and p.message.count("MFAChoice/policy") == 2 and "external-bases" in p.message


# ---- small repositories ------------------------------------------------------------------------


def _bases() -> dict[str, str]:
    """Base and Extensions of `clean_set`, without its relying party."""
    files = clean_set()
    return {"Base.xml": files["Base.xml"], "Extensions.xml": files["Extensions.xml"]}


def _app(name: str) -> str:
    return policy(f"B2C_1A_{name}_signup_signin", RP, base="B2C_1A_TrustFrameworkExtensions")


@pytest.mark.parametrize("bases", ["base", "bases", "policies/common"])
def test_a_sibling_folder_of_bases_is_linked(tmp_path, bases):
    """`base/` (or any folder holding no relying party) beside the apps' folders: each app's
    relying party links to its Extensions, and the chains are checked whole."""
    files: dict[str, str | bytes] = {f"{bases}/{name}": text for name, text in _bases().items()}
    files |= {f"apps/{app}/SignUpOrSignin.xml": _app(app) for app in ("web", "mobile")}
    write(tmp_path, files)
    policy_set = load_set([tmp_path])
    rps = [f for f in policy_set.files if f.is_relying_party]
    assert len(rps) == 2
    assert all(len(policy_set.chain(f).files) == 3 and policy_set.chain(f).complete for f in rps)
    assert lint([tmp_path], Config(ignore=ADVISORY)).problems == []


def test_a_complete_sibling_set_is_not_borrowed(tmp_path):
    """`sampleA/` is a whole set (Base, Extensions, its own relying party); `sampleB/` holds only a
    relying party naming the same Extensions. It does not borrow sampleA's: the chain is
    incomplete, INH001 says where the only declaration is and how to link it deliberately, and
    sampleA's findings are those of sampleA alone."""
    files: dict[str, str | bytes] = {f"sampleA/{name}": text for name, text in clean_set(ext_attrs='DeploymentMode="Development"').items()}
    files["sampleB/SignUpOrSignin.xml"] = _app("B")
    write(tmp_path, files)
    policy_set = load_set([tmp_path])
    (child,) = [f for f in policy_set.files if "sampleB" in f.display]
    assert policy_set.parent[id(child)] is None and not policy_set.chain(child).complete
    whole = lint([tmp_path], Config(ignore=ADVISORY))
    (inh001,) = [p for p in whole.problems if p.rule == "INH001"]
    assert inh001.path.endswith("sampleB/SignUpOrSignin.xml") and inh001.severity.value == "error"
    assert "declared only in" in inh001.message and "sampleA/Extensions.xml" in inh001.message
    assert "--base-path" in inh001.message and "external-bases" in inh001.message
    sample_a = tmp_path / "sampleA"
    assert _findings(whole.problems, sample_a) == _findings(lint([sample_a], Config(ignore=ADVISORY)).problems, sample_a) != set()


def test_a_complete_sibling_set_is_linked_when_asked(tmp_path):
    """`--base-path sampleA` is a deliberate link, wherever the folder is; `external-bases` makes
    the missing base an info."""
    files: dict[str, str | bytes] = {f"sampleA/{name}": text for name, text in clean_set().items()}
    files["sampleB/SignUpOrSignin.xml"] = _app("B")
    write(tmp_path, files)
    linked = load_set([tmp_path / "sampleB"], Config(base_paths=[str(tmp_path / "sampleA")]))
    (child,) = [f for f in linked.files if "sampleB" in f.display]
    assert linked.chain(child).complete and len(linked.chain(child).files) == 3
    assert lint([tmp_path / "sampleB"], Config(ignore=ADVISORY, base_paths=[str(tmp_path / "sampleA")])).problems == []
    external = lint([tmp_path], Config(ignore=ADVISORY, external_bases=["B2C_1A_TrustFrameworkExtensions"]))
    assert [(p.rule, p.severity.value) for p in external.problems] == [("INH001", "info")]


def test_the_child_s_own_folder_and_the_folders_above_it_still_win(tmp_path):
    """A declaration beside the child, or in a folder above it, links even when that folder holds
    relying parties (the child belongs to that set), and a sibling set's copy changes nothing."""
    files: dict[str, str | bytes] = dict(clean_set())  # the root: a whole set
    files["regions/eu/SignUpOrSignin.xml"] = _app("eu")  # its Extensions is in the folder above
    files |= {f"other/{name}": text for name, text in clean_set().items()}  # a sibling set's copies
    files["other/Extra.xml"] = _app("extra")  # beside its own Extensions
    write(tmp_path, files)
    policy_set = load_set([tmp_path])
    parents = {f.display.removeprefix(str(tmp_path) + "/"): policy_set.parent[id(f)] for f in policy_set.files}
    assert parents["regions/eu/SignUpOrSignin.xml"] is not None
    assert parents["regions/eu/SignUpOrSignin.xml"].display.endswith(f"{tmp_path.name}/Extensions.xml")
    assert parents["other/Extra.xml"] is not None and parents["other/Extra.xml"].display.endswith("other/Extensions.xml")
    assert not [p for p in lint([tmp_path], Config(ignore=[*ADVISORY, "INH008"])).problems if p.rule == "INH001"]
