"""Unmodified msal 1.39 against the running emulator over real HTTPS."""

from __future__ import annotations

import base64
import hashlib

import jwt
import pytest

from tests.support import REDIRECT_URI
from toolkit import flows


def verify(emulator, token: str, audience: str) -> dict:
    """Check a token the way an app must: signature against the JWKS, iss, aud, exp."""
    metadata = emulator.session().get(emulator.authority() + "/v2.0/.well-known/openid-configuration", timeout=5).json()
    jwks = jwt.PyJWKClient(metadata["jwks_uri"], ssl_context=__import__("ssl").create_default_context(cafile=emulator.config["ca_bundle"]))
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=metadata["issuer"])


def sign_in(emulator, app, scopes=None, user=None):
    user = user or emulator.user
    flow = app.initiate_auth_code_flow(scopes or [emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    location = flows.sign_in(browser, flow["auth_uri"], user["username"], user["password"])
    return flow, app.acquire_token_by_auth_code_flow(flow, location.params), browser


def test_discovery_is_b2c_shaped(emulator):
    metadata = emulator.session().get(emulator.authority() + "/v2.0/.well-known/openid-configuration", timeout=5).json()
    assert metadata["issuer"] == f"{emulator.url}/{emulator.config['tenant_id']}/v2.0/"
    assert metadata["token_endpoint"] == emulator.authority() + "/oauth2/v2.0/token"
    keys = emulator.session().get(metadata["jwks_uri"], timeout=5).json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["kid"] for k in keys)


def test_policy_and_tenant_match_case_insensitively(emulator):
    url = f"{emulator.url}/{emulator.config['tenant'].upper()}/b2c_1a_SIGNUP_signin/v2.0/.well-known/openid-configuration"
    assert emulator.session().get(url, timeout=5).status_code == 200


def test_auth_code_flow_with_pkce_and_valid_tokens(emulator):
    app = emulator.cca()
    flow, result, _ = sign_in(emulator, app)
    assert "error" not in result, result
    claims = verify(emulator, result["id_token"], emulator.config["client_id"])
    assert claims["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    assert claims["tfp"] == "B2C_1A_signup_signin" and claims["emails"] == [emulator.user["username"]]
    access = verify(emulator, result["access_token"], emulator.config["api_audience"])
    assert access["scp"] == "demo.read" and access["azp"] == emulator.config["client_id"]
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{claims['oid']}-b2c_1a_signup_signin.{emulator.config['tenant_id']}"


def test_silent_refresh_rolls_the_refresh_token(emulator):
    app = emulator.cca()
    _, first, _ = sign_in(emulator, app)
    (account,) = app.get_accounts()
    refreshed = app.acquire_token_silent([emulator.config["api_scope"]], account, force_refresh=True)
    assert refreshed and "access_token" in refreshed
    assert refreshed["refresh_token"] != first["refresh_token"]
    verify(emulator, refreshed["access_token"], emulator.config["api_audience"])


def test_ropc(emulator):
    # msal's acquire_token_by_username_password first asks https://{hostname}/common/userrealm on
    # port 443 (it drops the authority's port), so a B2C on another port is reached through
    # msal's OAuth client, which sends the same ROPC grant.
    app = emulator.cca("ropc")
    scopes = app._decorate_scope([emulator.config["api_scope"]])
    result = app.client.obtain_token_by_username_password(emulator.user["username"], emulator.user["password"], scope=scopes)
    assert "access_token" in result, result
    bad = app.client.obtain_token_by_username_password(emulator.user["username"], "wrong", scope=scopes)
    assert bad["error"] == "invalid_grant" and "AADB2C90225" in bad["error_description"]


def test_wrong_password_is_a_page_error_and_can_be_retried(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    page = flows.open_page(browser, flow["auth_uri"])
    assert isinstance(page, flows.Page)
    wrong = flows.submit(browser, page, {"signInName": emulator.user["username"], "password": "nope"})
    assert (wrong["status"], wrong["errorCode"]) == ("400", "AADB2C90054")
    unknown = flows.submit(browser, page, {"signInName": "nobody@example.com", "password": "nope"})
    assert unknown["errorCode"] == "AADB2C90053"
    ok = flows.submit(browser, page, {"signInName": emulator.user["username"], "password": emulator.user["password"]})
    assert ok == {"status": "200"}
    assert "code" in flows.confirm(browser, page).params


def test_forgot_password_returns_aadb2c90118(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    page = flows.open_page(browser, flow["auth_uri"])
    back = flows.follow(browser, flows.link(page, "forgotPassword"))
    assert isinstance(back, flows.Arrival) and back.method == "POST"
    result = app.acquire_token_by_auth_code_flow(flow, back.params)
    assert result["error"] == "access_denied" and result["error_description"].startswith("AADB2C90118")


def test_sign_up_then_cancel_and_sign_up_for_real(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    page = flows.open_page(browser, flow["auth_uri"])
    signup = flows.follow(browser, flows.link(page, "createAccount"))
    assert isinstance(signup, flows.Page)
    cancelled = flows.follow(browser, flows.link(signup, "cancel"))
    assert isinstance(cancelled, flows.Arrival) and "AADB2C90091" in cancelled.params["error_description"]

    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    page = flows.open_page(browser, flow["auth_uri"])
    signup = flows.follow(browser, flows.link(page, "createAccount"))
    fields = {
        "email": "new.user@example.com",
        "newPassword": "Passw0rd!long",
        "reenterPassword": "Passw0rd!long",
        "displayName": "New User",
    }
    assert flows.submit(browser, signup, fields) == {"status": "200"}
    result = app.acquire_token_by_auth_code_flow(flow, flows.confirm(browser, signup).params)
    assert result["id_token_claims"]["name"] == "New User"
    with pytest.raises(flows.FlowError):  # the transaction ended with the code
        flows.submit(browser, signup, fields)


def test_sso_session_edit_profile_and_prompt_none(emulator):
    app = emulator.cca()
    _, _, browser = sign_in(emulator, app, scopes=[])
    silent = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post", prompt="none")
    back = flows.open_page(browser, silent["auth_uri"])
    assert isinstance(back, flows.Arrival) and "code" in back.params

    edit = emulator.cca("edit_profile")
    flow = edit.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    page = flows.open_page(browser, flow["auth_uri"])
    assert isinstance(page, flows.Page) and "Edit profile" in page.html
    assert flows.submit(browser, page, {"displayName": "Renamed"}) == {"status": "200"}
    result = edit.acquire_token_by_auth_code_flow(flow, flows.confirm(browser, page).params)
    assert result["id_token_claims"]["name"] == "Renamed" and result["id_token_claims"]["tfp"] == "B2C_1A_ProfileEdit"


def test_prompt_none_without_session_is_interaction_required(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post", prompt="none")
    back = flows.open_page(emulator.session(), flow["auth_uri"])
    result = app.acquire_token_by_auth_code_flow(flow, back.params)
    assert result["error"] == "interaction_required" and "AADB2C90077" in result["error_description"]


def test_password_reset_policy(emulator):
    user = {"username": "user5@contoso.onmicrosoft.com", "password": "a-new-password-5"}
    reset = emulator.cca("reset_password")
    flow = reset.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    page = flows.open_page(browser, flow["auth_uri"])
    assert flows.submit(browser, page, {"email": user["username"], "newPassword": user["password"]}) == {"status": "200"}
    assert "id_token" in reset.acquire_token_by_auth_code_flow(flow, flows.confirm(browser, page).params)
    _, result, _ = sign_in(emulator, emulator.cca(), scopes=[], user=user)
    assert "id_token" in result


def test_logout_ends_sso_and_returns_with_state(emulator):
    app = emulator.cca()
    _, _, browser = sign_in(emulator, app, scopes=[])
    reply = browser.get(
        emulator.authority() + "/oauth2/v2.0/logout",
        params={"post_logout_redirect_uri": "http://127.0.0.1:5000/", "state": "a b"},
        allow_redirects=False,
    )
    assert reply.headers["Location"] == "http://127.0.0.1:5000/?state=a+b"
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post", prompt="none")
    assert "AADB2C90077" in flows.open_page(browser, flow["auth_uri"]).params["error_description"]


def test_code_is_single_use_and_pkce_checked(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    location = flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"])
    code = location.params["code"]
    token_url = emulator.authority() + "/oauth2/v2.0/token"
    form = {
        "grant_type": "authorization_code",
        "client_id": emulator.config["client_id"],
        "client_secret": emulator.config["client_secret"],
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    wrong = emulator.session().post(token_url, data={**form, "code_verifier": "x" * 43}, timeout=5)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    location = flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"])
    response = location.params
    assert "id_token" in app.acquire_token_by_auth_code_flow(flow, response)
    replay = emulator.session().post(token_url, data={**form, "code": response["code"], "code_verifier": flow["code_verifier"]}, timeout=5)
    assert replay.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("data", "headers", "error"),
    [
        ({}, {}, "invalid_request"),
        ({"grant_type": "authorization_code", "client_id": "nope"}, {}, "unauthorized_client"),
        ({"grant_type": "device_code", "client_id": "{client_id}", "client_secret": "{secret}"}, {}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "client_id": "{client_id}", "client_secret": "{secret}"}, {}, "invalid_scope"),
        ({"grant_type": "authorization_code", "client_id": "{client_id}", "client_secret": "wrong"}, {}, "invalid_client"),
        ({"grant_type": "authorization_code", "client_id": "{client_id}", "client_secret": "{secret}"}, {}, "invalid_request"),
        (
            {"grant_type": "refresh_token", "client_id": "{client_id}", "client_secret": "{secret}", "refresh_token": "garbage"},
            {},
            "invalid_grant",
        ),
        ({"grant_type": "authorization_code"}, {"Authorization": "Basic !!!"}, "invalid_client"),
    ],
)
def test_malformed_token_requests_get_oauth_errors(emulator, data, headers, error):
    data = {
        k: v.replace("{client_id}", emulator.config["client_id"]).replace("{secret}", emulator.config["client_secret"])
        for k, v in data.items()
    }
    reply = emulator.session().post(emulator.authority() + "/oauth2/v2.0/token", data=data, headers=headers, timeout=5)
    assert reply.status_code in (400, 401)
    assert reply.json()["error"] == error and reply.json()["error_description"].startswith("AADB2C")


@pytest.mark.parametrize(
    "path",
    [
        "/contoso.onmicrosoft.com/B2C_1A_nope/v2.0/.well-known/openid-configuration",
        "/other.onmicrosoft.com/B2C_1A_signup_signin/discovery/v2.0/keys",
        "/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/v2.0/authorize",
        "/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/v2.0/authorize?client_id=x&redirect_uri=http://127.0.0.1/",
        "/contoso.onmicrosoft.com/B2C_1A_signup_signin/api/CombinedSigninAndSignup/confirmed?tx=StateProperties=e30&csrf_token=x",
        "/contoso.onmicrosoft.com/B2C_1A_signup_signin/api/CombinedSigninAndSignup/unified?tx=%%%",
        # a transaction id that decodes to JSON nested past Python's recursion limit
        "/contoso.onmicrosoft.com/B2C_1A_signup_signin/api/CombinedSigninAndSignup/confirmed?csrf_token=x&tx=StateProperties="
        + base64.urlsafe_b64encode(b"[" * 2500).decode(),
    ],
)
def test_malformed_page_requests_never_500(emulator, path):
    reply = emulator.session().get(emulator.url + path, timeout=5, allow_redirects=False)
    assert 400 <= reply.status_code < 500
    assert "Traceback" not in reply.text


def test_unregistered_redirect_uri_is_refused(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri="https://evil.example/callback", response_mode="form_post")
    reply = emulator.session().get(flow["auth_uri"], allow_redirects=False)
    assert reply.status_code == 400 and "AADB2C90006" in reply.text


def test_self_asserted_checks_csrf(emulator):
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    browser = emulator.session()
    page = flows.open_page(browser, flow["auth_uri"])
    page.settings["csrf"] = "forged"
    with pytest.raises(flows.FlowError, match="403"):
        flows.submit(browser, page, {"signInName": emulator.user["username"], "password": emulator.user["password"]})


@pytest.mark.parametrize(
    "query",
    [
        "logout?post_logout_redirect_uri=http://127.0.0.1:18000/%0d%0aX-Injected:%201&state=s",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%0d%0aX:1&response_type=bogus",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%0d%0aX:1&response_type=code&prompt=none",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%0aX:1&response_type=code",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%00&response_type=bogus",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%09x&response_type=bogus",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%7f&response_type=bogus",
        "authorize?client_id={client_id}&redirect_uri=http://127.0.0.1:1/%c2%85&response_type=bogus",
    ],
)
def test_control_characters_in_redirect_targets_are_refused(emulator, query):
    """A redirect target with CR/LF was a 500 (the header refused it); a control character matches
    no registered URI, so B2C's answer: AADB2C90006 at authorize, the signed-out page at logout."""
    url = f"{emulator.authority()}/oauth2/v2.0/{query.replace('{client_id}', emulator.config['client_id'])}"
    reply = emulator.session().get(url, allow_redirects=False, timeout=5)
    assert "Location" not in reply.headers and "X-Injected" not in reply.headers
    if query.startswith("logout"):
        assert reply.status_code == 200 and "signed out" in reply.text.lower()
    else:
        assert reply.status_code == 400 and "AADB2C90006" in reply.text


def test_metadata_and_tokens_name_the_emulators_own_url_not_the_host_header(emulator):
    """B2C's metadata names its own host; the emulator copied the Host header into it (and into the
    tokens' issuer), so one client could make another fetch keys or send secrets elsewhere."""
    evil = {"Host": "evil.example"}
    session = emulator.session()
    metadata = session.get(emulator.authority() + "/v2.0/.well-known/openid-configuration", headers=evil, timeout=5).json()
    assert metadata["issuer"] == f"{emulator.url}/{emulator.config['tenant_id']}/v2.0/"
    assert all(metadata[k].startswith(emulator.authority() + "/") for k in metadata if k.endswith(("_endpoint", "_uri")))
    config = session.get(emulator.url + "/_emulator/config", headers=evil, timeout=5).json()
    assert config["authority"] == emulator.authority() and config["base_url"] == emulator.url
    form = {
        "grant_type": "password",
        "client_id": emulator.config["client_id"],
        "username": emulator.user["username"],
        "password": emulator.user["password"],
        "scope": "openid",
    }
    token = session.post(emulator.authority("ropc") + "/oauth2/v2.0/token", data=form, headers=evil, timeout=5).json()["id_token"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == metadata["issuer"]
