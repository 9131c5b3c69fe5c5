"""The emulator's configuration, the one thing apps know about it: `--print-config`,
`STATE_DIR/config.json` and `/_emulator/config` give the same fields, the ones docs/emulator.md lists."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import start_emulator, stop_emulator
from toolkit.emulator.flavors import FLAVORS
from toolkit.emulator.state import CONFIG_FILE, load_state

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
#: the field each flavor tells msal where to go with (the table lists both)
AUTHORITY = {"b2c": "authority", "external-id": "oidc_authority"}


def documented_fields() -> set[str]:
    """The fields in the table of docs/emulator.md's "The configuration apps use"."""
    section = DOCS.read_text().split("## The configuration apps use", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


@pytest.mark.parametrize("name", sorted(FLAVORS))
def test_the_configuration_has_the_documented_fields(tmp_path, name):
    config = FLAVORS[name].client_config(load_state(tmp_path, users=1), "https://127.0.0.1:8443")
    other = ({"authority", "oidc_authority"} - {AUTHORITY[name]}).pop()
    assert set(config) == documented_fields() - {other}
    assert config["flavor"] == name and config["api_scope"] == f"{config['api_app_id_uri']}/demo.read"
    assert Path(config["ca_bundle"]).is_absolute() and Path(config["ca_bundle"]).exists()


def test_print_config_prints_it(tmp_path):
    command = [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(tmp_path), "--print-config", "--users", "1"]
    printed = json.loads(subprocess.run([*command, "--flavor", "external-id"], capture_output=True, text=True, check=True).stdout)
    assert printed == FLAVORS["external-id"].client_config(load_state(tmp_path, users=1), "https://127.0.0.1:8443")
    assert not (tmp_path / CONFIG_FILE).exists()  # printing is not serving


def test_a_serving_emulator_writes_it_to_its_state_folder_and_keeps_it(tmp_path):
    """The app reads it there, even while the emulator is stopped; it holds secrets: owner only."""
    state = tmp_path / "emulator"
    emulator = start_emulator(state, "--flavor", "external-id")
    try:
        written = json.loads((state / CONFIG_FILE).read_text())
        assert written == emulator.config and written["base_url"] == emulator.url
        assert stat.S_IMODE((state / CONFIG_FILE).stat().st_mode) == 0o600
    finally:
        stop_emulator(emulator)
    assert json.loads((state / CONFIG_FILE).read_text()) == written
