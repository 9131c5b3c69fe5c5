"""EMR001-EMR002: the emergency-access accounts, named with --emergency-access or in the audit's configuration."""

from __future__ import annotations

import json

import pytest

from tests.tenant.exports import at, write_export
from toolkit.lint.config import Config, ConfigError
from toolkit.lint.problem import Severity
from toolkit.tenant.audit import NO_EMERGENCY, audit, emergency_accounts

GROUP = "b7eac0e0-0000-4000-8000-0000000000e1"


def member(n):
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": f"e1a0-{n}",
        "displayName": f"EA {n}",
        "userPrincipalName": f"bg{n}@contoso.onmicrosoft.com",
    }


def group(*members, name="Emergency access", group_id=GROUP):
    return {"id": group_id, "displayName": name, "members": list(members)}


def policy(controls=("mfa",), operator="OR", exclude_groups=(GROUP,), exclude_users=(), users=("All",), state="enabled", pid="p1"):
    return {
        "id": pid,
        "displayName": pid.upper(),
        "state": state,
        "conditions": {
            "users": {"includeUsers": list(users), "excludeGroups": list(exclude_groups), "excludeUsers": list(exclude_users)},
            "applications": {"includeApplications": ["All"]},
        },
        "grantControls": {"operator": operator, "builtInControls": list(controls)},
    }


def found(tmp_path, accounts, policies=None, groups=None, users=None):
    folder = write_export(
        tmp_path,
        conditionalAccessPolicies=policies if policies is not None else [policy()],
        conditionalAccessGroups=groups if groups is not None else [group(member(1), member(2))],
        conditionalAccessUsers=users or [],
    )
    report, _ = audit(folder, at(), at() - at(), Config(), emergency_access=tuple(accounts))
    return [(p.rule, p.severity, p.message) for p in report.problems], report.notes


def test_emr001_fewer_than_two_accounts(tmp_path):
    (rows, _) = found(tmp_path / "a", ["Emergency access"], groups=[group(member(1))])
    assert rows == [("EMR001", Severity.WARNING, "1 emergency-access account (bg1@contoso.onmicrosoft.com): Microsoft says two or more")]
    assert found(tmp_path / "b", ["emergency ACCESS"])[0] == []  # two members; a group's name matches in any case
    assert found(tmp_path / "c", [GROUP])[0] == []  # or its id
    assert found(tmp_path / "d", ["a@contoso.onmicrosoft.com", "b@contoso.onmicrosoft.com"], policies=[])[0] == []
    (rows, _) = found(tmp_path / "e", ["a@contoso.onmicrosoft.com"], policies=[])
    assert [r for r, _, _ in rows] == ["EMR001"]
    (rows, _) = found(tmp_path / "f", ["Break glass"], policies=[])
    assert (
        rows[0][0] == "EMR001" and "0 emergency-access accounts" in rows[0][2] and "Break glass: no group of that id or name" in rows[0][2]
    )


def test_emr002_a_policy_for_all_users_that_does_not_exclude_them(tmp_path):
    block = policy(("block",), exclude_groups=(), pid="block")
    (rows, _) = found(tmp_path / "a", ["Emergency access"], policies=[policy(), block])
    assert rows == [
        (
            "EMR002",
            Severity.WARNING,
            "Conditional Access policy BLOCK: blocks all users and does not exclude the emergency-access accounts"
            " bg1@contoso.onmicrosoft.com, bg2@contoso.onmicrosoft.com",
        )
    ]
    (rows, _) = found(tmp_path / "b", ["Emergency access"], policies=[policy(exclude_groups=())])
    assert [(r, s) for r, s, _ in rows] == [("EMR002", Severity.INFO)] and "an earlier one said require phishing-resistant MFA" in rows[0][
        2
    ]
    device = policy(("mfa", "compliantDevice"), operator="AND", exclude_groups=())
    rows = found(tmp_path / "c", ["Emergency access"], policies=[device])[0]
    assert [(r, s) for r, s, _ in rows if r != "DEV001"] == [("EMR002", Severity.WARNING)]  # the device-state rule too
    only_one = policy(("block",), exclude_groups=(), exclude_users=("E1A0-1",))
    (rows, _) = found(tmp_path / "d", ["Emergency access"], policies=[only_one])
    assert "account bg2@contoso.onmicrosoft.com" in rows[0][2] and "bg1" not in rows[0][2]  # one excluded by id
    quiet = [
        policy(("block",), exclude_groups=(), state="enabledForReportingButNotEnforced", pid="a"),
        policy(("block",), exclude_groups=(), users=("someone",), pid="b"),
        policy(("block",), exclude_groups=("other",), pid="c"),
    ]
    other = group(member(1), member(2), name="Admins", group_id="other")
    assert found(tmp_path / "e", ["Emergency access"], policies=quiet, groups=[group(member(1), member(2)), other])[0] == []


def test_without_emergency_access_both_rules_are_skipped_and_say_why(tmp_path):
    rows, notes = found(tmp_path, [], policies=[policy(("block",), exclude_groups=())])
    assert rows == [] and f"EMR001, EMR002 skipped: {NO_EMERGENCY}" in notes


def test_emergency_access_from_the_command_line_the_config_file_or_pyproject(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert emergency_accounts(["a@x.com, b@x.com", "Group"], None, None) == ("a@x.com", "b@x.com", "Group")
    (tmp_path / "pyproject.toml").write_text('[tool.b2c-toolkit.audit]\nemergency-access = "Emergency access"\n')
    assert emergency_accounts(None, None, None) == ("Emergency access",)
    (tmp_path / "audit.toml").write_text('emergency-access = ["x@y.com"]\n')
    assert emergency_accounts(None, "audit.toml", None) == ("x@y.com",)
    assert emergency_accounts(["z@y.com"], "audit.toml", None) == ("z@y.com",)  # the flag wins
    (tmp_path / "audit.toml").write_text("emergency-access = [1]\n")
    with pytest.raises(ConfigError, match="emergency-access must be"):
        emergency_accounts(None, "audit.toml", None)


def test_an_export_folder_carries_its_configuration(tmp_path, monkeypatch, capsys):
    from toolkit.cli import main

    folder = write_export(
        tmp_path / "export",
        conditionalAccessPolicies=[policy(("block",), exclude_groups=())],
        conditionalAccessGroups=[group(member(1), member(2))],
        conditionalAccessUsers=[],
    )
    (folder / "pyproject.toml").write_text('[tool.b2c-toolkit.audit]\nemergency-access = ["Emergency access"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["tenant", "audit", str(folder), "--at", "2026-06-01", "-f", "json"]) == 1
    assert [p["rule"] for p in json.loads(capsys.readouterr().out)["problems"]] == ["EMR002"]
    code = main(["tenant", "audit", str(folder), "--at", "2026-06-01", "-f", "json", "--emergency-access", "bg1@contoso.onmicrosoft.com"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert code == 1 and sorted(p["rule"] for p in problems) == ["EMR001", "EMR002"]
