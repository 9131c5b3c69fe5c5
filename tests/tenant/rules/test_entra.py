"""MFA, CA, DEV, CAE, B2B, HYB and APP rules: a Microsoft Entra ID (workforce) tenant's resilience."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.tenant.exports import audit_dir, write_export
from toolkit.lint.problem import Severity

GROUP = "3f2a0000-0000-4000-8000-0000000000b1"


def method(mid, enabled=True, targets=("all_users",)):
    return {"id": mid, "state": "enabled" if enabled else "disabled", "includeTargets": [{"targetType": "group", "id": t} for t in targets]}


def methods(*configs):
    return {"authenticationMethodsPolicy": [{"id": "authenticationMethodsPolicy", "authenticationMethodConfigurations": list(configs)}]}


def policy(controls=("mfa",), operator="OR", session=None, users=("All",), apps=("All",), state="enabled", roles=()):
    return {
        "id": "p1",
        "displayName": "P1",
        "state": state,
        "conditions": {
            "users": {"includeUsers": list(users), "includeRoles": list(roles), "excludeGroups": ["breakglass"]},
            "applications": {"includeApplications": list(apps)},
        },
        "grantControls": {"operator": operator, "builtInControls": list(controls)},
        "sessionControls": session,
    }


def found(tmp_path, when=None, **collections):
    problems = audit_dir(write_export(tmp_path, **collections), when)
    return [(p.rule, p.severity, p.message) for p in problems]


def rules(tmp_path, **collections):
    return [r for r, _, _ in found(tmp_path, **collections)]


def test_mfa001_one_method_or_phone_only(tmp_path):
    (rule, _, message), *rest = found(tmp_path / "a", **methods(method("Sms"), method("Voice"), method("Fido2", False)))
    assert rule == "MFA001" and "only Sms and Voice" in message and [r for r, _, _ in rest] == ["MFA002"]
    assert rules(tmp_path / "b", **methods(method("MicrosoftAuthenticator"))) == ["MFA001"]
    assert rules(tmp_path / "c", **methods(method("MicrosoftAuthenticator"), method("Sms"))) == []
    assert rules(tmp_path / "d", **methods(method("Fido2"), method("Email"), method("TemporaryAccessPass"))) == ["MFA001"]


def test_mfa002_strong_method_must_reach_all_users(tmp_path):
    rows = found(tmp_path / "a", **methods(method("Sms"), method("Fido2", targets=(GROUP,))))
    assert [(r, m) for r, _, m in rows] == [
        (
            "MFA002",
            "no phishing-resistant or offline-capable method (Authenticator, FIDO2/passkeys, OATH, certificates) "
            "is enabled for all users (Fido2 only for some groups)",
        )
    ]
    assert rules(tmp_path / "b", **methods(method("Sms"), method("SoftwareOath"))) == []


def test_ca001_resilience_defaults_off_and_worse_for_groups_or_roles(tmp_path):
    rows = found(tmp_path / "a", conditionalAccessPolicies=[policy(session={"disableResilienceDefaults": True})])
    assert [(r, s) for r, s, _ in rows] == [("CA001", Severity.WARNING)] and "all users" in rows[0][2]
    (_, _, message), *_ = found(
        tmp_path / "b", conditionalAccessPolicies=[policy(users=(), roles=("r1",), session={"disableResilienceDefaults": True})]
    )
    assert "1 role" in message and "weakens resilience for all users" in message
    off = policy(state="disabled", session={"disableResilienceDefaults": True})
    assert rules(tmp_path / "c", conditionalAccessPolicies=[off]) == []  # a policy that is off changes nothing
    assert rules(tmp_path / "d", conditionalAccessPolicies=[policy(session={"disableResilienceDefaults": False})]) == []


@pytest.mark.parametrize(
    ("controls", "operator", "apps", "raised"),
    [
        (["compliantDevice"], "OR", ["All"], True),
        (["mfa", "domainJoinedDevice"], "AND", ["All"], True),
        (["mfa", "compliantDevice"], "OR", ["All"], False),  # MFA or a device: a second way in
        (["compliantDevice"], "OR", ["app-1"], False),  # scoped to one app
    ],
)
def test_dev001_device_state_everywhere_is_an_info(tmp_path, controls, operator, apps, raised):
    rows = found(tmp_path, conditionalAccessPolicies=[policy(controls=controls, operator=operator, apps=apps)])
    assert rows == ([("DEV001", Severity.INFO, rows[0][2])] if raised else [])


def test_ca002_sign_in_frequency_under_an_hour_for_all_users(tmp_path):
    every = {"signInFrequency": {"isEnabled": True, "frequencyInterval": "everyTime"}}
    (rule, _, message), *_ = found(tmp_path / "a", conditionalAccessPolicies=[policy(session=every)])
    assert rule == "CA002" and "everyTime" in message
    half = {"signInFrequency": {"isEnabled": True, "type": "hours", "value": 0.5, "frequencyInterval": "timeBased"}}
    assert "every 30 minutes" in found(tmp_path / "b", conditionalAccessPolicies=[policy(session=half)])[0][2]
    hours = {"signInFrequency": {"isEnabled": True, "type": "hours", "value": 1, "frequencyInterval": "timeBased"}}
    assert rules(tmp_path / "c", conditionalAccessPolicies=[policy(session=hours)]) == []
    assert rules(tmp_path / "d", conditionalAccessPolicies=[policy(session=every, users=("u1",))]) == []  # not all users


def test_cae001_warning_for_everyone_info_when_scoped(tmp_path):
    off = {"continuousAccessEvaluation": {"mode": "disabled"}}
    assert [(r, s) for r, s, _ in found(tmp_path / "a", conditionalAccessPolicies=[policy(session=off)])] == [("CAE001", Severity.WARNING)]
    scoped = found(tmp_path / "b", conditionalAccessPolicies=[policy(session=off, apps=("exchange",))])
    assert [(r, s) for r, s, _ in scoped] == [("CAE001", Severity.INFO)]
    strict = {"continuousAccessEvaluation": {"mode": "strictEnforcement"}}
    assert rules(tmp_path / "c", conditionalAccessPolicies=[policy(session=strict)]) == []


def test_b2b001_mfa_trust_in_defaults_and_partners(tmp_path):
    default = [{"id": "default", "inboundTrust": {"isMfaAccepted": False}}]
    partners = [{"tenantId": "t-1", "inboundTrust": {"isMfaAccepted": False}}, {"tenantId": "t-2", "inboundTrust": None}]
    rows = found(tmp_path / "a", crossTenantAccessDefault=default, crossTenantAccessPartners=partners)
    assert [(r, s) for r, s, _ in rows] == [("B2B001", Severity.INFO)] * 2 and "partner tenant t-1" in rows[1][2]
    trusted = [{"id": "default", "inboundTrust": {"isMfaAccepted": True}}]
    assert rules(tmp_path / "b", crossTenantAccessDefault=trusted, crossTenantAccessPartners=partners[1:]) == []


def test_hyb001_federated_domain_needs_password_hash_sync(tmp_path):
    domains = [{"id": "contoso.com", "authenticationType": "Federated"}, {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed"}]
    off = [{"id": "s", "features": {"passwordSyncEnabled": False}}]
    rows = found(tmp_path / "a", domains=domains, onPremisesSynchronization=off)
    assert [(r, m.split(" is ")[0]) for r, _, m in rows] == [("HYB001", "domain contoso.com")]
    on = [{"id": "s", "features": {"passwordSyncEnabled": True}}]
    assert rules(tmp_path / "b", domains=domains, onPremisesSynchronization=on) == []


def test_hyb001_is_skipped_with_the_reason_when_sync_settings_are_unreadable(tmp_path, capsys):
    from tests.tenant.test_audit import run

    folder = write_export(tmp_path, domains=[{"id": "contoso.com", "authenticationType": "Federated"}])
    manifest = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(
        manifest.replace(
            '"onPremisesSynchronization": {"read": false, "status": 404, "reason": "404 Request_ResourceNotFound: not in this tenant"}',
            '"onPremisesSynchronization": {"read": false, "status": 403, "reason": "403 Authorization_RequestDenied: '
            'Graph has no application permission for it"}',
        )
    )
    code, _, err = run(capsys, str(folder), "--at", "2026-06-01")
    assert code == 0 and "HYB001 skipped: onPremisesSynchronization: not exported: 403" in err


def test_hyb001_app_only_falls_back_on_the_last_password_sync(tmp_path, capsys):
    from tests.tenant.test_audit import run

    domains = [{"id": "contoso.com", "authenticationType": "Federated"}]

    def org(synced=True, last="2026-05-31T23:58:00Z", **extra):
        record = {"id": "o", "tenantType": "AAD", "onPremisesSyncEnabled": synced, "onPremisesLastSyncDateTime": "2026-05-31T23:30:00Z"}
        return [{**record, "onPremisesLastPasswordSyncDateTime": last, **extra}]

    assert rules(tmp_path / "a", domains=domains, organization=org()) == []  # a request an hour ago: it runs
    rows = found(tmp_path / "b", domains=domains, organization=org(last=None))
    assert [(r, s) for r, s, _ in rows] == [("HYB001", Severity.WARNING)] and "was ever received" in rows[0][2]
    rows = found(tmp_path / "c", domains=domains, organization=org(synced=None, last=None))
    assert [(r, s) for r, s, _ in rows] == [("HYB001", Severity.WARNING)] and "directory sync is off" in rows[0][2]
    rows = found(tmp_path / "d", domains=domains, organization=org(last="2026-05-20T00:00:00Z"))
    assert [(r, s) for r, s, _ in rows] == [("HYB001", Severity.INFO)] and "may be off" in rows[0][2]
    assert (
        rules(
            tmp_path / "e",
            domains=domains,
            organization=org(last=None),
            onPremisesSynchronization=[{"id": "s", "features": {"passwordSyncEnabled": True}}],
        )
        == []
    )
    # v1.0 has no onPremisesLastPasswordSyncDateTime: nothing to fall back on, the rule says so
    no_field = [{k: v for k, v in org()[0].items() if k != "onPremisesLastPasswordSyncDateTime"}]
    folder = write_export(tmp_path / "f", domains=domains, organization=no_field)
    code, _, err = run(capsys, str(folder), "--at", "2026-06-01")
    assert code == 0 and "HYB001 skipped: onPremisesSynchronization: not exported: 404" in err and "to fall back on" in err


def agent(i, active):
    return {"id": f"a{i}", "machineName": f"PTA0{i}", "status": "active" if active else "inactive"}


def test_hyb002_three_active_agents(tmp_path):
    rows = found(tmp_path / "a", passThroughAuthenticationAgents=[agent(1, True), agent(2, True), agent(3, False)])
    assert rows == [
        ("HYB002", Severity.WARNING, "2 of 3 pass-through authentication agents active (PTA01, PTA02), fewer than 3; inactive: PTA03")
    ]
    assert found(tmp_path / "b", passThroughAuthenticationAgents=[agent(1, False)])[0][1] == Severity.ERROR
    assert rules(tmp_path / "c", passThroughAuthenticationAgents=[agent(i, True) for i in (1, 2, 3)]) == []
    assert rules(tmp_path / "d", passThroughAuthenticationAgents=[]) == []  # no PTA


def test_hyb003_sync_age_is_configurable(tmp_path, capsys):
    from tests.tenant.test_audit import run

    org = [{"id": "o", "tenantType": "AAD", "onPremisesSyncEnabled": True, "onPremisesLastSyncDateTime": "2026-05-31T06:00:00Z"}]
    folder = write_export(tmp_path, organization=org)
    assert audit_dir(folder) == []  # 18 hours before 2026-06-01: within the default 24h
    assert [p.rule for p in audit_dir(folder, dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC))] == ["HYB003"]
    code, text, _ = run(capsys, str(folder), "--at", "2026-06-01", "--sync-age", "12h")
    assert code == 1 and "HYB003 warning directory sync last ran 2026-05-31 06:00 UTC, 18 hours before 2026-06-01" in text
    assert run(capsys, str(folder), "--sync-age", "soon")[0] == 2


def test_hyb003_never_and_not_synced(tmp_path):
    never = [{"id": "o", "onPremisesSyncEnabled": True, "onPremisesLastSyncDateTime": None}]
    assert "never reported a run" in found(tmp_path / "a", organization=never)[0][2]
    cloud = [{"id": "o", "onPremisesSyncEnabled": None, "onPremisesLastSyncDateTime": None}]
    assert rules(tmp_path / "b", organization=cloud) == []


def test_app001_two_active_connectors_per_group(tmp_path):
    groups = [
        {"id": "g1", "name": "Default", "members": [agent(1, True), agent(2, False)]},
        {"id": "g2", "name": "Intranet", "members": [agent(3, True), agent(4, True)]},
        {"id": "g3", "name": "Spare", "members": []},
        {"id": "g4", "name": "Down", "members": [agent(5, False)]},
    ]
    rows = found(tmp_path, connectorGroups=groups)
    assert [(r, s, m.split(":")[0]) for r, s, m in rows] == [
        ("APP001", Severity.WARNING, "connector group Default"),
        ("APP001", Severity.INFO, "connector group Spare"),
        ("APP001", Severity.ERROR, "connector group Down"),
    ]


def test_workforce_rules_stay_quiet_in_a_b2c_tenant(tmp_path):
    org = [{"id": "o", "tenantType": "AAD B2C"}]
    assert rules(tmp_path, organization=org, **methods(method("Sms"))) == []


def test_a_damaged_record_names_the_file_and_field(tmp_path, capsys):
    from tests.tenant.test_audit import run

    bad = [policy() | {"conditions": {"users": {"includeUsers": "All"}}}]
    code, _, err = run(capsys, str(write_export(tmp_path, conditionalAccessPolicies=bad)))
    assert code == 2 and "conditionalAccessPolicies.json: policy P1: includeUsers must be a list of strings" in err
