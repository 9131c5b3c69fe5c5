"""The client credentials grant in both flavors, through msal's `acquire_token_for_client`."""

from __future__ import annotations

import msal
import pytest

from tests.emulator.test_msal import verify


@pytest.fixture(params=["emulator", "external_id"])
def tenant(request):
    return request.getfixturevalue(request.param)


def audience_claims(tenant, token: str) -> dict:
    if "oidc_authority" in tenant.config:
        from tests.emulator.test_external_id import verify_external_id

        return verify_external_id(tenant, token, tenant.config["api_audience"])
    return verify(tenant, token, tenant.config["api_audience"])


def test_daemon_gets_an_app_only_token_with_its_role(tenant):
    app = tenant.daemon()
    result = app.acquire_token_for_client([tenant.default_scope])
    assert "access_token" in result, result
    claims = audience_claims(tenant, result["access_token"])
    assert claims["roles"] == [tenant.config["api_role"]] and claims["idtyp"] == "app"
    assert claims["azp"] == tenant.config["daemon_client_id"] and claims["sub"] == claims["oid"]
    for user_claim in ("scp", "name", "emails", "email", "preferred_username", "tfp", "nonce"):
        assert user_claim not in claims
    again = app.acquire_token_for_client([tenant.default_scope])
    assert again["access_token"] == result["access_token"] and again["token_source"] == "cache"  # msal's cache


def test_web_app_gets_an_app_only_token_without_roles(tenant):
    result = tenant.cca().acquire_token_for_client([tenant.default_scope])
    assert "access_token" in result, result
    assert "roles" not in audience_claims(tenant, result["access_token"])


@pytest.mark.parametrize("scope", ["{uri}/demo.read", "{uri}", "api://someone-else/.default"])
def test_only_the_default_scope_of_the_api(tenant, scope):
    result = tenant.daemon().acquire_token_for_client([scope.format(uri=tenant.config["api_app_id_uri"])])
    assert result["error"] == "invalid_scope" and "/.default" in result["error_description"]


def test_wrong_secret_and_user_grants_are_refused_for_the_daemon(tenant):
    wrong = msal.ConfidentialClientApplication(
        tenant.config["daemon_client_id"], client_credential="wrong", http_client=tenant.session(), **tenant.where()
    )
    assert wrong.acquire_token_for_client([tenant.default_scope])["error"] == "invalid_client"
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "x",
        "client_id": tenant.config["daemon_client_id"],
        "client_secret": tenant.config["daemon_client_secret"],
    }
    token_url = tenant.daemon().authority.token_endpoint
    assert tenant.session().post(token_url, data=form, timeout=5).json()["error"] == "unauthorized_client"


def test_refresh_in_makes_msal_refresh_early(tenant):
    result = (
        tenant.session()
        .post(
            tenant.daemon().authority.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": tenant.config["daemon_client_id"],
                "client_secret": tenant.config["daemon_client_secret"],
                "scope": tenant.default_scope,
            },
            timeout=5,
        )
        .json()
    )
    assert result["refresh_in"] == result["expires_in"] // 2 and result["token_type"] == "Bearer"
