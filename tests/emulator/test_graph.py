"""The emulator's Microsoft Graph: client-credentials tokens whose roles are checked, pages with
`@odata.nextLink`, a policy's XML, a user flow's linked apps, and faults in the `graph` group."""

from __future__ import annotations

import jwt
import pytest

from tests.tenant.graphs import EXPORTER, NO_POLICY_READ, SECRET, seeded
from toolkit.emulator.graph import GraphTenantError, find_tenant, load_tenant
from toolkit.tenant.resources import GRAPH_SCOPE

B2C = seeded("b2c-problems")


def token(emulator, client=EXPORTER, secret=SECRET, scope=GRAPH_SCOPE, tenant=B2C["tenant_id"]):
    form = {"grant_type": "client_credentials", "client_id": client, "client_secret": secret, "scope": scope}
    return emulator.session().post(f"{emulator.url}/{tenant}/oauth2/v2.0/token", data=form, timeout=5)


def get(emulator, path, client=EXPORTER):
    access = token(emulator, client).json()["access_token"]
    return emulator.session().get(f"{emulator.url}/graph{path}", headers={"Authorization": f"Bearer {access}"}, timeout=5)


def test_token_carries_the_granted_permissions_as_roles(graph_b2c):
    answer = token(graph_b2c)
    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com" and claims["tid"] == B2C["tenant_id"] and claims["idtyp"] == "app"
    assert "TrustFrameworkKeySet.Read.All" in claims["roles"] and "Policy.Read.All" in claims["roles"]


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"secret": "wrong"}, 401, "invalid_client"),
        ({"client": "unknown"}, 400, "unauthorized_client"),
        ({"scope": "https://graph.microsoft.com/User.Read"}, 400, "invalid_scope"),
    ],
)
def test_token_refusals(graph_b2c, kwargs, status, error):
    answer = token(graph_b2c, **kwargs)
    assert answer.status_code == status and answer.json()["error"] == error


def test_discovery_names_the_token_endpoint_under_the_tenant(graph_b2c):
    document = graph_b2c.session().get(f"{graph_b2c.url}/{B2C['tenant_id']}/v2.0/.well-known/openid-configuration", timeout=5).json()
    assert document["token_endpoint"] == f"{graph_b2c.url}/{B2C['tenant_id']}/oauth2/v2.0/token"


def test_missing_permission_is_403_and_missing_token_401(graph_b2c):
    denied = get(graph_b2c, "/beta/trustFramework/policies", client=NO_POLICY_READ)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "Authorization_RequestDenied"
    assert get(graph_b2c, "/beta/trustFramework/keySets", client=NO_POLICY_READ).status_code == 200
    anonymous = graph_b2c.session().get(f"{graph_b2c.url}/graph/v1.0/applications", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_pages_follow_next_link_to_every_record(graph_b2c):
    access = token(graph_b2c).json()["access_token"]
    url, names, pages = f"{graph_b2c.url}/graph/v1.0/applications", [], 0
    while url:
        body = graph_b2c.session().get(url, headers={"Authorization": f"Bearer {access}"}, timeout=5).json()
        names += [a["displayName"] for a in body["value"]]
        pages += 1
        assert len(body["value"]) <= B2C["page_size"]
        url = body.get("@odata.nextLink")
    assert pages == 3 and "ProxyIdentityExperienceFramework" in names and len(names) == 6


def test_wrong_version_and_unknown_resource(graph_b2c):
    assert get(graph_b2c, "/v1.0/trustFramework/keySets").status_code == 400
    assert get(graph_b2c, "/v1.0/devices").status_code == 400
    assert get(graph_b2c, "/v1.0/identity/customAuthenticationExtensions").status_code == 404  # not in a B2C tenant


def test_policy_xml_is_served_as_xml(graph_b2c):
    answer = get(graph_b2c, "/beta/trustFramework/policies/B2C_1A_signup_signin/$value")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/xml")
    assert b'PolicyId="B2C_1A_signup_signin"' in answer.content
    assert get(graph_b2c, "/beta/trustFramework/policies/B2C_1A_nope/$value").status_code == 404


def test_flow_lists_no_apps_inline_but_its_endpoint_does(graph_external_id):
    tenant = seeded("external-id")["tenant_id"]
    access = token(graph_external_id, tenant=tenant).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    base = f"{graph_external_id.url}/graph/v1.0/identity/authenticationEventsFlows"
    listed = graph_external_id.session().get(f"{base}?$top=10", headers=headers, timeout=5).json()["value"]
    assert all(f["conditions"]["applications"]["includeApplications"] == [] for f in listed)
    linked = graph_external_id.session().get(
        f"{base}/{listed[0]['id']}/conditions/applications/includeApplications", headers=headers, timeout=5
    )
    assert [a["appId"] for a in linked.json()["value"]] == ["22222222-0000-4000-8000-000000000001"]


def test_graph_faults_are_their_own_group(graph_b2c):
    graph_b2c.fault(kind="throttle", group="graph", retry_after=7)
    throttled = get(graph_b2c, "/v1.0/applications")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert graph_b2c.session().get(f"{graph_b2c.url}/healthz", timeout=5).status_code == 200
    assert token(graph_b2c).status_code == 200  # the token endpoint is the token group


def test_unknown_tenant_folder_is_a_clear_error(tmp_path):
    with pytest.raises(GraphTenantError, match="shipped: b2c-clean, b2c-problems, external-id, workforce-clean, workforce-problems"):
        find_tenant(str(tmp_path / "missing"))
    (tmp_path / "graph.json").write_text("{")
    with pytest.raises(GraphTenantError, match="not a seeded Graph tenant"):
        load_tenant(tmp_path)


def test_workforce_admin_gets_delegated_scopes_and_single_objects(graph_workforce):
    from tests.tenant.graphs import ADMIN

    tenant = seeded("workforce-problems")["tenant_id"]
    answer = token(graph_workforce, client=ADMIN, tenant=tenant)
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["idtyp"] == "user" and "roles" not in claims and "OnPremDirectorySynchronization.Read.All" in claims["scp"].split()
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    base = f"{graph_workforce.url}/graph"
    policy = graph_workforce.session().get(f"{base}/v1.0/policies/authenticationMethodsPolicy", headers=headers, timeout=5).json()
    assert "value" not in policy and policy["@odata.context"].endswith("/$entity") and policy["authenticationMethodConfigurations"]
    groups = graph_workforce.session().get(
        f"{base}/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups", headers=headers, timeout=5
    )
    assert all("members" not in g for g in groups.json()["value"])  # a relationship: read below the group
    first = groups.json()["value"][0]["id"]
    members = graph_workforce.session().get(
        f"{base}/beta/onPremisesPublishingProfiles/applicationProxy/connectorGroups/{first}/members", headers=headers, timeout=5
    )
    assert [m["status"] for m in members.json()["value"]] == ["active", "inactive"]
    app_only = token(graph_workforce, tenant=tenant).json()["access_token"]
    denied = graph_workforce.session().get(
        f"{base}/v1.0/directory/onPremisesSynchronization", headers={"Authorization": f"Bearer {app_only}"}, timeout=5
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "Authorization_RequestDenied"


def test_a_group_is_read_by_id_and_its_members_below_it(graph_workforce):
    group = "/v1.0/groups/b7eac0e0-0000-4000-8000-0000000000e1"
    access = token(graph_workforce, tenant=seeded("workforce-problems")["tenant_id"]).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    one = graph_workforce.session().get(f"{graph_workforce.url}/graph{group}?$select=id,displayName", headers=headers, timeout=5)
    assert one.status_code == 200 and one.json()["displayName"] == "Emergency access" and "members" not in one.json()
    members = graph_workforce.session().get(f"{graph_workforce.url}/graph{group}/members", headers=headers, timeout=5)
    assert [m["userPrincipalName"] for m in members.json()["value"]] == ["bg1@contoso.onmicrosoft.com"]
    gone = graph_workforce.session().get(
        f"{graph_workforce.url}/graph/v1.0/users/0a0a0000-0000-4000-8000-0000000000f2", headers=headers, timeout=5
    )
    assert gone.status_code == 404
