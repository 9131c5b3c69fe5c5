"""The reference app's settings: the environment, then the emulator's configuration (its
`config.json`, what `--print-config` prints), then the built-in defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sample_app.config import FROM_EMULATOR, SETTINGS, load_settings


def emulator_config(state: Path, flavor: str) -> dict[str, object]:
    """What an emulator of `flavor` on `state` writes to `state/config.json` when it serves."""
    command = [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(state), "--flavor", flavor, "--print-config"]
    config: dict[str, object] = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    (state / "config.json").write_text(json.dumps(config))
    return config


@pytest.mark.parametrize("flavor", ["b2c", "external-id"])
def test_the_idp_settings_come_from_the_emulators_configuration(tmp_path, flavor):
    """As the emulator gives them, the API's app ID URI included (the app knows no rule of its own)."""
    config = emulator_config(tmp_path, flavor)
    settings = load_settings({"B2C_STATE_DIR": str(tmp_path)})
    assert {name: settings[name] for name in FROM_EMULATOR if FROM_EMULATOR[name] in config} == {
        name: config[field] for name, field in FROM_EMULATOR.items() if field in config
    }
    assert settings["API_APP_ID_URI"] == config["api_app_id_uri"]
    assert settings["OIDC_AUTHORITY"] == config.get("oidc_authority", "")


def test_the_environment_comes_first_and_no_emulator_means_the_defaults(tmp_path):
    emulator_config(tmp_path, "b2c")
    settings = load_settings({"B2C_STATE_DIR": str(tmp_path), "B2C_CLIENT_ID": "mine", "B2C_BASE_URL": "https://contoso.b2clogin.com"})
    assert (settings["B2C_CLIENT_ID"], settings["B2C_BASE_URL"]) == ("mine", "https://contoso.b2clogin.com")
    bare = load_settings({"B2C_STATE_DIR": str(tmp_path / "none")})
    assert all(bare[name] == SETTINGS[name][0] for name in SETTINGS if name != "B2C_STATE_DIR")


def test_a_setting_that_is_not_its_type_is_named():
    with pytest.raises(ValueError, match="BREAKER_FAIL_MAX='five' is not a valid int"):
        load_settings({"B2C_STATE_DIR": "/nonexistent", "BREAKER_FAIL_MAX": "five"})
