"""`tenant export` of a Microsoft Entra ID (workforce) tenant from the emulator over HTTPS: single
objects, connector groups' members, and the resources Graph reads only with a user's token."""

from __future__ import annotations

import json

from tests.tenant.graphs import ADMIN, export
from toolkit.tenant.resources import WORKFORCE

#: in workforce-problems: app-only, without GroupMember.Read.All and User.Read.All
NO_MEMBER_READ = "e0e0e0e0-0000-4000-8000-000000000004"

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
    assert len(ca) == 6 and resources["conditionalAccessPolicies"]["pages"] == 3
    assert resources["conditionalAccessPolicies"]["endpoint"] == "beta/identity/conditionalAccess/policies"


def test_the_groups_and_users_policies_name_ids_and_names_only(graph_workforce, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path)
    assert code == 0, err
    resources = manifest(tmp_path)["resources"]
    assert resources["conditionalAccessGroups"]["read"] and resources["conditionalAccessUsers"]["read"]
    assert resources["conditionalAccessGroups"]["permission"] == "GroupMember.Read.All"
    groups = json.loads((tmp_path / "conditionalAccessGroups.json").read_text())["value"]
    assert groups == [
        {
            "id": "b7eac0e0-0000-4000-8000-0000000000e1",
            "displayName": "Emergency access",
            "members": [
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": "e1a00000-0000-4000-8000-0000000000a1",
                    "displayName": "Emergency access 1",
                    "userPrincipalName": "bg1@contoso.onmicrosoft.com",
                }
            ],
        }
    ]  # no description, mail or job title: ids and display names only
    users = json.loads((tmp_path / "conditionalAccessUsers.json").read_text())["value"]
    assert users == [
        {
            "id": "0a0a0000-0000-4000-8000-0000000000f1",
            "displayName": "Build agent (sign-in test)",
            "userPrincipalName": "build@contoso.com",
        }
    ]
    # a user deleted since CA06 was written: Graph answers 404, the manifest lists it and the export goes on
    assert resources["conditionalAccessUsers"]["missing"] == ["0a0a0000-0000-4000-8000-0000000000f2"]


def test_without_group_and_user_permissions_the_export_records_the_403_and_goes_on(graph_workforce, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path, client=NO_MEMBER_READ)
    assert code == 0, err
    resources = manifest(tmp_path)["resources"]
    for name, permission in (("conditionalAccessGroups", "GroupMember.Read.All"), ("conditionalAccessUsers", "User.Read.All")):
        assert not resources[name]["read"] and resources[name]["status"] == 403 and permission in resources[name]["reason"]
        assert not (tmp_path / f"{name}.json").exists()
    assert resources["conditionalAccessPolicies"]["read"] and resources["domains"]["read"]


def test_the_ids_policies_name_without_keywords():
    from toolkit.tenant.export import referenced_ids

    policies = [
        {"conditions": {"users": {"includeUsers": ["All"], "excludeUsers": ["U1", "GuestsOrExternalUsers"], "excludeGroups": ["g1"]}}},
        {"conditions": {"users": {"includeGroups": ["G1", "g2"], "includeUsers": ["None"]}}},
        {"conditions": None},
    ]
    assert referenced_ids(policies, "Groups") == ["g1", "g2"]
    assert referenced_ids(policies, "Users") == ["u1"]


def test_app_only_cannot_read_the_delegated_resources_and_says_why(graph_workforce, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path)
    assert code == 0, err
    resources = manifest(tmp_path)["resources"]
    unread = {name for name, r in resources.items() if not r["read"] and r["status"] == 403}
    assert unread == DELEGATED
    reason = resources["passThroughAuthenticationAgents"]["reason"]
    assert "no application permission" in reason and "--auth azure-cli" in reason and "Policy.Read.HybridAuthentication" in reason
    assert resources["domains"]["read"] and resources["organization"]["read"]


def audit_json(capsys, folder, *argv):
    from toolkit.cli import main

    code = main(["tenant", "audit", str(folder), "--at", "2026-06-01", "-f", "json", *argv])
    out = capsys.readouterr()
    return code, json.loads(out.out)["problems"], out.err


def test_round_trip_one_problem_per_rule(graph_workforce, monkeypatch, tmp_path, capsys):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path, client=ADMIN)
    assert code == 0, err
    code, problems, notes = audit_json(capsys, tmp_path, "--emergency-access", "Emergency access")
    assert code == 1
    found = sorted((p["rule"], p["severity"]) for p in problems)
    assert found == [
        ("APP001", "warning"),
        ("B2B001", "info"),
        ("CA001", "warning"),
        ("CA002", "warning"),
        ("CAE001", "warning"),
        ("DEV001", "info"),
        ("EMR001", "warning"),
        ("EMR002", "warning"),
        ("HYB001", "warning"),
        ("HYB002", "warning"),
        ("HYB003", "warning"),
        ("MFA001", "warning"),
        ("MFA002", "warning"),
    ]
    assert "skipped" not in notes  # the B2C and External ID resources are not in this tenant: nothing to say
    assert "CA05" not in json.dumps(problems)  # the policy that is off
    emr002 = next(p for p in problems if p["rule"] == "EMR002")
    assert "CA06 Block legacy authentication" in emr002["message"] and "bg1@contoso.onmicrosoft.com" in emr002["message"]


def test_round_trip_app_only_says_which_rules_need_a_user(graph_workforce, monkeypatch, tmp_path, capsys):
    code, err = export(monkeypatch, graph_workforce, "workforce-problems", tmp_path)
    assert code == 0, err
    _, problems, notes = audit_json(capsys, tmp_path)
    assert {"HYB002", "APP001"}.isdisjoint(p["rule"] for p in problems)
    for rule in ("HYB002", "APP001"):
        assert rule in notes
    # HYB001 falls back on the organization: no password sync request was ever received
    hyb001 = [p for p in problems if p["rule"] == "HYB001"]
    assert [p["severity"] for p in hyb001] == ["warning"] and "onPremisesLastPasswordSyncDateTime is empty" in hyb001[0]["message"]
    assert "HYB001" not in notes
    assert "no application permission" in notes and "HYB003" in {p["rule"] for p in problems}


def test_round_trip_clean_workforce_tenant(tmp_path, monkeypatch, capsys):
    from tests.support import start_emulator, stop_emulator

    emulator = start_emulator(tmp_path / "state", "--graph-tenant", "workforce-clean")
    try:
        code, err = export(monkeypatch, emulator, "workforce-clean", tmp_path / "export", client=ADMIN)
    finally:
        stop_emulator(emulator)
    assert code == 0, err
    code, problems, _ = audit_json(capsys, tmp_path / "export", "--emergency-access", "Emergency access")
    assert (code, problems) == (0, [])
    groups = json.loads((tmp_path / "export" / "conditionalAccessGroups.json").read_text())["value"]
    assert len(groups[0]["members"]) == 3  # two pages of members
