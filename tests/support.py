"""Helpers for tests that run the real parts: the emulator, the app."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import requests

from toolkit.drill import processes
from toolkit.drill.processes import Service
from toolkit.emulator.client import clear_faults, set_fault
from toolkit.resilience.http import trusting_session

REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"


def toml_value(value: object) -> str:
    """A value as inline TOML, for property tests that write random configuration (JSON's string
    escapes are TOML's; a surrogate or non-finite float makes invalid TOML, to be reported too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


@dataclass
class RunningEmulator:
    """A started `b2c-toolkit emulator` and what tests need to talk to it."""

    service: Service
    state_dir: Path
    config: dict[str, Any]

    @property
    def url(self) -> str:
        """Base URL."""
        return self.service.url

    def session(self) -> requests.Session:
        """A fresh client (its own cookie jar) trusting the emulator's CA."""
        return trusting_session(self.config["ca_bundle"])

    def authority(self, role: str = "signup_signin") -> str:
        """The authority URL of one policy (External ID: of the tenant; its endpoints are under it too)."""
        if "oidc_authority" in self.config:
            return f"{self.url}/{self.config['tenant_id']}"
        return f"{self.url}/{self.config['tenant']}/{self.config['policies'][role]}"

    def where(self, role: str = "signup_signin") -> dict[str, str]:
        """msal's authority argument: a B2C policy's `authority`, or External ID's `oidc_authority`."""
        if "oidc_authority" in self.config:
            return {"oidc_authority": self.config["oidc_authority"]}
        return {"authority": self.authority(role)}

    def cca(self, role: str = "signup_signin", **kwargs: Any) -> msal.ConfidentialClientApplication:
        """Unmodified msal, given a session that trusts the emulator's CA."""
        return msal.ConfidentialClientApplication(
            self.config["client_id"],
            client_credential=self.config["client_secret"],
            http_client=self.session(),
            **self.where(role),
            **kwargs,
        )

    def daemon(self, **kwargs: Any) -> msal.ConfidentialClientApplication:
        """Unmodified msal as the daemon app registration (client credentials)."""
        return msal.ConfidentialClientApplication(
            self.config["daemon_client_id"],
            client_credential=self.config["daemon_client_secret"],
            http_client=self.session(),
            **self.where(),
            **kwargs,
        )

    @property
    def default_scope(self) -> str:
        """The API's app-only scope: `{app ID URI}/.default`."""
        return f"{self.config['api_app_id_uri']}/.default"

    @property
    def user(self) -> dict[str, str]:
        """The first test user."""
        return dict(self.config["users"][0])

    def fault(self, **spec: Any) -> dict[str, Any]:
        """Inject a fault through the admin API over HTTPS."""
        return set_fault(self.session(), self.url, **spec)

    def clear(self) -> None:
        """Back to normal service."""
        clear_faults(self.session(), self.url)

    def counts(self) -> dict[str, int]:
        """Requests served per "group status" since start."""
        result: dict[str, int] = self.session().get(f"{self.url}/_emulator/faults", timeout=5).json()["requests"]
        return result


def start_emulator(state_dir: Path, *extra: str) -> RunningEmulator:
    """Start `b2c-toolkit emulator` on a free port and wait until it answers."""
    service = processes.start_emulator(state_dir, extra=list(extra))
    config = trusting_session(state_dir / "ca.pem").get(f"{service.url}/_emulator/config", timeout=5).json()
    return RunningEmulator(service, state_dir, config)


def stop_emulator(emulator: RunningEmulator) -> None:
    """Stop the process and wait for it."""
    emulator.service.stop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: why the browser tests skip where Debian's Chromium is missing
NO_CHROMIUM = "Debian's chromium and chromium-driver are not installed (scripts/test.sh installs them with apt-get)"


def has_chromium() -> bool:
    """Whether Chromium and its driver are installed."""
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def chromium(*args: str) -> Any:
    """A headless Chromium driven by selenium (with `args` besides the usual flags); the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", *args):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
