"""The reference app against `--flavor external-id`: the same resilience with an External ID
authority (OIDC_AUTHORITY, msal's `oidc_authority`). The flavor-neutral tests of the other modules
run here again, against this module's stack; then what differs from B2C."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sample_app.conftest import Stack, running_stack
from tests.sample_app.test_api import (  # noqa: F401 (collected again, against this module's stack)
    genuine,
    test_any_bearer_token_is_refused_with_a_readable_401,
    test_api_keeps_validating_while_b2c_is_down,
    test_forged_signatures_are_rejected,
    test_genuine_token_is_accepted,
    test_wrong_claims_are_rejected,
)
from tests.sample_app.test_auth import (  # noqa: F401
    test_cancel_returns_home_not_an_error,
    test_junk_at_the_auth_endpoints_is_answered_and_keeps_users_signed_in,
    test_no_open_redirect_after_sign_in,
    test_protected_pages_send_anonymous_users_to_sign_in,
    test_sign_in_shows_claims_and_rotates_session,
    test_sign_out_needs_csrf_and_ends_session,
    test_sign_out_works_locally_while_b2c_is_down,
    test_sign_up_new_user,
    test_state_is_checked_and_codes_cannot_be_replayed,
)
from tests.sample_app.test_ops import (  # noqa: F401
    test_breaker_state_is_reported,
    test_health_and_readiness_do_not_touch_the_idp,
)
from tests.sample_app.test_pages import (  # noqa: F401
    test_anonymous_sign_in_during_outage_is_503_with_retry_after,
    test_outage_between_page_and_callback_is_503_not_500,
    test_sign_in_recovers_without_restart,
    test_signed_in_user_keeps_browsing_during_outage,
    test_slow_idp_is_cut_off_by_timeouts,
    test_throttled_token_endpoint_is_503_not_500,
)
from toolkit import flows


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """An External ID emulator and the app, configured from its state folder (OIDC_AUTHORITY)."""
    with running_stack(tmp_path_factory.mktemp("external-id-stack"), emulator_args=["--flavor", "external-id"]) as running:
        yield running


def test_the_app_signs_in_through_the_oidc_authority(stack):
    client = stack.client()
    location = client.get(stack.url + "/auth/login", allow_redirects=False).headers["Location"]
    assert location.startswith(f"{stack.emulator.url}/{stack.emulator.config['tenant_id']}/oauth2/v2.0/authorize?")
    user = stack.user()
    assert flows.app_sign_in(client, stack.url, user["username"], user["password"]).status_code == 302
    page = client.get(stack.url + "/profile").text
    assert stack.emulator.config["tenant_id"] in page and "Edit profile" not in page and "Policy" not in page


def test_forgot_password_is_part_of_the_sign_in_flow(stack):
    client = stack.client()
    assert (
        client.get(stack.url + "/auth/reset-password", allow_redirects=False)
        .headers["Location"]
        .startswith(f"{stack.emulator.url}/{stack.emulator.config['tenant_id']}/oauth2/v2.0/authorize?")
    )
    page = flows.open_page(client, client.get(stack.url + "/auth/login", allow_redirects=False).headers["Location"])
    reset = flows.follow(client, flows.link(page, "forgotPassword"))
    assert isinstance(reset, flows.Page)
    user = stack.user(2)
    assert flows.submit(client, reset, {"email": user["username"], "newPassword": "a-fresh-password-3"}) == {"status": "200"}
    assert flows.back_to_app(client, flows.confirm(client, reset)).headers["Location"] == "/"
    assert user["username"] in client.get(stack.url + "/profile").text  # signed in after the reset


def test_edit_profile_is_a_friendly_404(stack):
    reply = stack.signed_in().get(stack.url + "/auth/edit-profile", allow_redirects=False)
    assert reply.status_code == 404 and "not offered" in reply.text
