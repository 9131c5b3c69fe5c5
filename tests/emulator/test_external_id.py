"""`--flavor external-id`: External ID's URL layout, issuer and claims, seen by unmodified msal
(`oidc_authority`, msal >= 1.28) over real HTTPS, and every fault of the B2C flavor."""

from __future__ import annotations

import hashlib
import time

import msal
import pytest
import requests

from tests.support import REDIRECT_URI
from toolkit import flows
from toolkit.emulator.faults import Fault, FaultBook
from toolkit.emulator.flavors import ExternalId, Flavor


def discovery(external_id, tenant: str) -> dict:
    reply = external_id.session().get(f"{external_id.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=5)
    assert reply.status_code == 200, reply.text[:300]
    document: dict = reply.json()
    return document


def test_discovery_under_the_tenant_name_and_the_tenant_id(external_id):
    tid = external_id.config["tenant_id"]
    by_name, by_id = discovery(external_id, external_id.config["tenant"]), discovery(external_id, tid)
    assert by_name == by_id
    assert by_id["issuer"] == f"{external_id.url}/{tid}/v2.0"  # no trailing slash, unlike B2C
    assert by_id["token_endpoint"] == f"{external_id.url}/{tid}/oauth2/v2.0/token"
    assert by_id["jwks_uri"] == f"{external_id.url}/{tid}/discovery/v2.0/keys"
    assert "tfp" not in by_id["claims_supported"] and "tid" in by_id["claims_supported"]
    assert external_id.config["oidc_authority"] == f"{external_id.url}/{tid}/v2.0" and "authority" not in external_id.config


def test_b2c_policy_paths_are_not_served(external_id):
    url = f"{external_id.url}/{external_id.config['tenant']}/B2C_1A_signup_signin/v2.0/.well-known/openid-configuration"
    assert external_id.session().get(url, timeout=5).status_code == 404


def sign_in(external_id, app, user=None):
    user = user or external_id.user
    flow = app.initiate_auth_code_flow([external_id.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = external_id.session()
    arrival = flows.sign_in(browser, flow["auth_uri"], user["username"], user["password"])
    return flow, app.acquire_token_by_auth_code_flow(flow, arrival.params)


def verify_external_id(external_id, token: str, audience: str) -> dict:
    metadata = discovery(external_id, external_id.config["tenant_id"])
    import jwt

    jwks = jwt.PyJWKClient(
        metadata["jwks_uri"], ssl_context=__import__("ssl").create_default_context(cafile=external_id.config["ca_bundle"])
    )
    return jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"], audience=audience, issuer=metadata["issuer"])


@pytest.mark.parametrize("alias", ["tenant_id", "tenant"])
def test_unmodified_msal_signs_in_through_oidc_authority(external_id, alias):
    authority = f"{external_id.url}/{external_id.config[alias]}/v2.0"
    app = msal.ConfidentialClientApplication(
        external_id.config["client_id"],
        client_credential=external_id.config["client_secret"],
        oidc_authority=authority,
        http_client=external_id.session(),
    )
    flow, result = sign_in(external_id, app)
    assert "error" not in result, result
    claims = verify_external_id(external_id, result["id_token"], external_id.config["client_id"])
    tid = external_id.config["tenant_id"]
    assert claims["ver"] == "2.0" and claims["tid"] == tid and "tfp" not in claims and "emails" not in claims
    assert claims["preferred_username"] == external_id.user["username"] == claims["email"]
    assert claims["sub"] != claims["oid"]  # pairwise per app, as in Entra
    assert claims["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    access = verify_external_id(external_id, result["access_token"], external_id.config["api_audience"])
    assert access["scp"] == "demo.read" and access["oid"] == claims["oid"]
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{claims['oid']}.{tid}"
    refreshed = app.acquire_token_silent([external_id.config["api_scope"]], account, force_refresh=True)
    assert refreshed and "access_token" in refreshed


def test_forgot_password_stays_in_the_sign_in_flow(external_id):
    user = {"username": "user4@contoso.onmicrosoft.com", "password": "another-password-4"}
    app = external_id.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = external_id.session()
    page = flows.open_page(browser, flow["auth_uri"])
    assert isinstance(page, flows.Page) and "Microsoft Entra External ID emulator" in page.html
    reset = flows.follow(browser, flows.link(page, "forgotPassword"))
    assert isinstance(reset, flows.Page), "External ID resets the password inside the flow, with no AADB2C90118"
    assert flows.submit(browser, reset, {"email": user["username"], "newPassword": user["password"]}) == {"status": "200"}
    result = app.acquire_token_by_auth_code_flow(flow, flows.confirm(browser, reset).params)
    assert result["id_token_claims"]["preferred_username"] == user["username"]


def test_ropc_is_not_a_grant_of_external_id(external_id):
    form = {
        "grant_type": "password",
        "client_id": external_id.config["client_id"],
        "client_secret": external_id.config["client_secret"],
        "username": external_id.user["username"],
        "password": external_id.user["password"],
    }
    reply = external_id.session().post(f"{external_id.url}/{external_id.config['tenant_id']}/oauth2/v2.0/token", data=form, timeout=5)
    assert reply.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("fault", "group", "status", "code"),
    [
        ({"kind": "outage"}, "metadata", 503, "AADSTS90033"),
        ({"kind": "error", "status": 500, "body": "json"}, "jwks", 500, "AADSTS50000"),
        ({"kind": "throttle", "retry_after": 7}, "token", 429, "AADSTS90055"),
        ({"kind": "tenant-limit", "limit": 1, "ip_limit": 1}, "metadata", 429, "AADSTS90055"),
    ],
)
def test_every_fault_kind_applies_with_external_id_messages(external_id, fault, group, status, code):
    tid = external_id.config["tenant_id"]
    urls = {
        "metadata": f"{external_id.url}/{tid}/v2.0/.well-known/openid-configuration",
        "jwks": f"{external_id.url}/{tid}/discovery/v2.0/keys",
        "token": f"{external_id.url}/{tid}/oauth2/v2.0/token",
    }
    external_id.fault(**fault, group=group)
    session = external_id.session()
    replies = [session.request("POST" if group == "token" else "GET", urls[group], timeout=5) for _ in range(3)]
    assert replies[-1].status_code == status and code in replies[-1].text
    if status == 429:
        assert replies[-1].headers["Retry-After"]


def test_outage_reset_and_latency_apply(external_id):
    url = f"{external_id.url}/{external_id.config['tenant_id']}/discovery/v2.0/keys"
    external_id.fault(kind="outage", group="jwks", mode="reset")
    with pytest.raises(requests.ConnectionError):
        external_id.session().get(url, timeout=5)
    external_id.clear()
    external_id.fault(kind="latency", group="jwks", latency_ms=300)
    start = time.monotonic()
    assert external_id.session().get(url, timeout=5).status_code == 200
    assert time.monotonic() - start >= 0.3


def _within_one_second(book: FaultBook, calls: list[str]) -> list[int | None]:
    """Statuses of `calls` (client IPs), retried until they all fell in one second of the window."""
    while True:
        second = int(time.monotonic())
        statuses = [book.decide("token", ip).status for ip in calls]
        if int(time.monotonic()) == second:
            return statuses
        book._window, book._ip_window = (0, 0), (0, book._ip_window[1].__class__())


def test_tenant_limit_counts_per_ip_for_external_id_only():
    external = FaultBook(flavor=ExternalId())
    external.add(Fault.from_dict({"kind": "tenant-limit"}))
    statuses = _within_one_second(external, ["10.0.0.1"] * 25 + ["10.0.0.2"] * 5)
    assert statuses[:20] == [None] * 20 and statuses[20:25] == [429] * 5  # 20 per second per IP
    assert statuses[25:] == [None] * 5  # another IP has its own allowance
    b2c = FaultBook(flavor=Flavor())
    b2c.add(Fault.from_dict({"kind": "tenant-limit"}))
    assert _within_one_second(b2c, ["10.0.0.1"] * 25) == [None] * 25  # B2C: the tenant's 200/s only
