"""`tenant export` of a Microsoft Entra ID (workforce) tenant from the emulator over HTTPS: single
objects, connector groups' members, and the resources Graph reads only with a user's token."""

from __future__ import annotations

import json

from tests.tenant.graphs import ADMIN, export
from toolkit.tenant.resources import WORKFORCE

DELEGATED = {r.name for r in WORKFORCE if r.delegated}


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def test_an_administrator_reads_every_workforce_resource(graph_workforce, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path, client=ADMIN)
    assert code == 0, err
    resources = manifest(tmp_path)["resources"]
    assert all(resources[r.name]["read"] for r in WORKFORCE), {n: r.get("reason") for n, r in resources.items() if not r["read"]}
    assert not resources["keySets"]["read"] and "not in this tenant" in resources["keySets"]["reason"]
    policy = json.loads((tmp_path / "authenticationMethodsPolicy.json").read_text())["value"]
    assert len(policy) == 1 and "@odata.context" not in policy[0]  # one object, written as one record
    groups = json.loads((tmp_path / "connectorGroups.json").read_text())["value"]
    assert [len(g["members"]) for g in groups] == [2, 2]  # read below each group
    ca = json.loads((tmp_path / "conditionalAccessPolicies.json").read_text())["value"]
    assert len(ca) == 5 and resources["conditionalAccessPolicies"]["pages"] == 3
    assert resources["conditionalAccessPolicies"]["endpoint"] == "beta/identity/conditionalAccess/policies"


def test_app_only_cannot_read_the_delegated_resources_and_says_why(graph_workforce, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path)
    assert code == 0, err
    resources = manifest(tmp_path)["resources"]
    unread = {name for name, r in resources.items() if not r["read"] and r["status"] == 403}
    assert unread == DELEGATED
    reason = resources["passThroughAuthenticationAgents"]["reason"]
    assert "no application permission" in reason and "--auth cli" in reason and "Policy.Read.HybridAuthentication" in reason
    assert resources["domains"]["read"] and resources["organization"]["read"]
