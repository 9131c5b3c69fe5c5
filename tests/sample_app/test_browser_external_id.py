"""The browser tests of `test_browser` again, against an External ID tenant (`--flavor external-id`):
the same flows, outage states and accessibility checks, through the emulator's External ID page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sample_app import test_browser
from tests.sample_app.conftest import Stack, running_stack
from tests.sample_app.test_browser import (  # noqa: F401 (collected again, against this module's stack)
    browser,
    pytestmark,
    test_keyboard_only_sign_in_and_accessibility,
    test_outage_limited_mode_then_recovery,
    test_sign_up_sign_in_claims_api_and_sign_out,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """An External ID emulator with 300-second access tokens, and the app."""
    root = tmp_path_factory.mktemp("browser-external-id")
    with running_stack(root, token_lifetime_s=300, emulator_args=["--flavor", "external-id"]) as running:
        yield running


@pytest.fixture(autouse=True)
def _own_screenshots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Screenshots of this flavor go beside the B2C ones, not over them."""
    monkeypatch.setattr(test_browser, "SHOTS", test_browser.SHOTS / "external-id")


def test_forgot_password_signs_in_after_the_reset(stack, browser):  # noqa: F811 (the imported fixture)
    browser.open("/")
    browser.click("sign-in")
    browser.click("forgotPassword")
    user = stack.user(3)
    browser.type("email", user["username"])
    browser.type("newPassword", "reset-in-the-flow-4")
    browser.click("continue")
    browser.element("sign-out")  # signed in: the reset was part of the sign-in flow
    browser.open("/profile")
    assert user["username"] in browser.text() and "Edit profile" not in browser.text()
