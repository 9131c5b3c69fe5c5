"""The reference app in a real browser (Debian's Chromium, driven by Selenium): the flows a person
goes through, the outage states they see, basic accessibility, and screenshots of each state.

Screenshots go to $B2C_SCREENSHOTS (default: test-artifacts/screenshots); `bash
scripts/screenshots.sh` regenerates the README's pictures in docs/images.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.sample_app.conftest import Stack, running_stack
from tests.support import NO_CHROMIUM, chromium, has_chromium

pytestmark = pytest.mark.skipif(not has_chromium(), reason=NO_CHROMIUM)
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("B2C_SCREENSHOTS") or ROOT / "test-artifacts" / "screenshots")


def _spki(cert_file: Path) -> str:
    """The pin of the stack's TLS key: Chromium trusts exactly that key and nothing else."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Browser:
    """A headless Chromium with its own profile, and the few actions the tests need."""

    def __init__(self, stack: Stack, profile: Path) -> None:
        self.driver = chromium(
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--ignore-certificate-errors-spki-list={_spki(stack.emulator.state_dir / 'server.pem')}",
            "--window-size=1000,700",
        )  # fmt: skip
        self.stack = stack

    def open(self, path: str) -> None:
        """Go to an app page."""
        self.driver.get(self.stack.url + path)

    def element(self, element_id: str):  # type: ignore[no-untyped-def]
        """Wait for an element by id (pages load asynchronously after a click)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, 10).until(expected_conditions.presence_of_element_located((By.ID, element_id)))

    def click(self, element_id: str) -> None:
        """Click an element by id."""
        self.element(element_id).click()

    def type(self, element_id: str, text: str) -> None:
        """Type into a field by id."""
        field = self.element(element_id)
        field.clear()
        field.send_keys(text)

    def text(self) -> str:
        """The visible text of the page."""
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def shot(self, name: str) -> None:
        """Save a screenshot as a test artifact."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the B2C page with the mouse."""
        self.open("/")
        self.click("sign-in")
        self.type("signInName", username)
        self.type("password", password)
        self.click("next")
        self.element("sign-out")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Emulator with 300-second access tokens (each API call refreshes), and the app."""
    with running_stack(tmp_path_factory.mktemp("browser-stack"), token_lifetime_s=300) as running:
        yield running


@pytest.fixture
def browser(stack: Stack, tmp_path: Path) -> Iterator[Browser]:
    """A fresh browser profile per test (no cookies carried over)."""
    opened = Browser(stack, tmp_path / "chromium")
    yield opened
    opened.driver.quit()


def test_sign_up_sign_in_claims_api_and_sign_out(stack, browser):
    browser.open("/")
    assert browser.driver.title == "Home · Contoso reference app"
    browser.click("sign-in")
    browser.click("createAccount")
    browser.type("email", "browser.user@example.com")
    browser.type("newPassword", "a-good-password-1")
    browser.type("reenterPassword", "a-good-password-1")
    browser.type("displayName", "Browser User")
    browser.click("continue")
    assert "Browser User" in browser.element("sign-out").text
    browser.click("sign-out")
    browser.element("sign-in")  # wait for the page after B2C's logout
    assert "You are signed out" in browser.text()

    user = stack.user()
    browser.sign_in(user["username"], user["password"])
    browser.open("/profile")
    assert user["username"] in browser.text()
    browser.shot("normal")
    browser.open("/call-api")
    assert "Hello, Test User 1" in browser.element("api-message").text


def test_edit_profile(stack, browser):
    user = stack.user(2)
    browser.sign_in(user["username"], user["password"])
    browser.open("/profile")
    browser.click("edit-profile")
    browser.type("displayName", "Renamed In Browser")
    browser.click("continue")
    assert "Renamed In Browser" in browser.element("claim-name").text


def test_forgot_password_goes_through_the_reset_policy(stack, browser):
    user = stack.user(3)
    browser.open("/")
    browser.click("sign-in")
    browser.click("forgotPassword")
    assert browser.element("heading").text == "Reset your password"
    browser.type("email", user["username"])
    browser.type("newPassword", "reset-in-browser-1")
    browser.click("continue")
    # The reset journey leaves a B2C session, so the sign-in that follows completes at once.
    assert browser.element("sign-out")
    browser.click("sign-out")
    browser.element("sign-in")  # B2C's logout done: otherwise its session would sign in at once
    browser.open("/auth/login")
    browser.type("signInName", user["username"])
    browser.type("password", "reset-in-browser-1")
    browser.click("next")
    assert browser.element("sign-out")


def test_cancel_returns_home(stack, browser):
    browser.open("/")
    browser.click("sign-in")
    browser.click("createAccount")
    browser.click("cancel")
    browser.element("sign-in")
    assert "You cancelled" in browser.text()


def test_outage_limited_mode_then_recovery(stack, browser):
    user = stack.user(1)
    browser.sign_in(user["username"], user["password"])
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    try:
        browser.open("/profile")
        assert user["username"] in browser.text()
        browser.open("/call-api")
        assert browser.element("limited-mode").is_displayed()
        browser.shot("limited-mode")

        anonymous = Browser(stack, Path(browser.driver.capabilities["chrome"]["userDataDir"]).parent / "anonymous")
        try:
            anonymous.open("/")
            anonymous.click("sign-in")
            assert anonymous.element("signin-unavailable").is_displayed()
            assert int(anonymous.element("retry-after").text) >= 1
            anonymous.shot("signin-unavailable")
            stack.emulator.clear()
            stack.wait_for_recovery()
            anonymous.open("/")
            anonymous.click("sign-in")
            assert anonymous.element("signInName")  # the B2C page again, no restart
        finally:
            anonymous.driver.quit()
    finally:
        stack.emulator.clear()


def test_keyboard_only_sign_in_and_accessibility(stack, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.open("/auth/login")
    field = browser.element("signInName")
    assert browser.driver.switch_to.active_element == field  # autofocus
    for element in browser.driver.find_elements(By.TAG_NAME, "input"):
        assert browser.driver.find_elements(By.CSS_SELECTOR, f"label[for='{element.get_attribute('id')}']"), element.get_attribute("id")
    user = stack.user(4)
    field.send_keys(user["username"], Keys.TAB, user["password"], Keys.ENTER)
    browser.element("sign-out")
    for path in ("/", "/profile", "/call-api"):
        browser.open(path)
        assert browser.driver.title and browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert browser.driver.find_elements(By.TAG_NAME, "h1")
