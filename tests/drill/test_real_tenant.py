"""`b2c-toolkit drill --idp FILE.json`: a real test tenant (here the emulator posing as one: the
drill is only given its configuration file, as it would be a tenant's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import start_emulator, stop_emulator
from toolkit.drill import limits
from toolkit.drill import scenario as scenarios

ROOT = Path(__file__).resolve().parents[2]


def drill(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit", "drill", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenant")
    emulator = start_emulator(folder / "state")
    path = folder / "tenant.json"
    path.write_text(json.dumps(emulator.config))
    yield emulator, path
    stop_emulator(emulator)


def test_a_scenario_with_faults_is_refused_with_the_reason(tenant, tmp_path):
    proc = drill("--idp", str(tenant[1]), "--scenario", "idp-outage", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "injects faults (phases outage)" in proc.stderr and "a real tenant cannot be made to fail" in proc.stderr


def test_plans_over_b2c_limits_are_refused_unless_allowed(tenant, tmp_path):
    proc = drill("--idp", str(tenant[1]), "--scenario", "baseline", "--users", "400", "--out", str(tmp_path))
    assert proc.returncode == 2 and "over B2C's 200 per tenant" in proc.stderr and "--allow-over-limit" in proc.stderr
    busy = scenarios.load("baseline", users=400)
    assert limits.estimate(busy).problems() and not limits.estimate(scenarios.load("baseline", users=4)).problems()


def test_the_estimate_follows_the_sign_in_share():
    s = scenarios.load(
        "baseline", users=30, duration_s=600, weights={"anonymous": 0, "signed_in": 0, "daemon": 0, "api_caller": 0, "new_sign_in": 1}
    )
    estimate = limits.estimate(s)  # 30 users signing in every second, 5 requests each
    assert estimate.peak_per_s == 150 and estimate.per_5_min == 45000
    assert estimate.problems() == ["about 45000 requests in 5 minutes from one IP, over B2C's 6000"]


def test_a_bad_configuration_file_exits_2(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"authority": "https://x/y/z"}))
    proc = drill("--idp", str(tmp_path / "t.json"), "--scenario", "baseline")
    assert proc.returncode == 2 and "key 'base_url' is missing" in proc.stderr


def test_the_same_flows_run_against_a_tenant_without_the_emulator(tenant, tmp_path):
    emulator, config = tenant
    before = emulator.session().get(f"{emulator.url}/_emulator/faults", timeout=5).json()["requests"]
    proc = drill("--idp", str(config), "--scenario", "baseline", "--duration", "8", "--users", "4", "--out", str(tmp_path), timeout=180)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "real tenant" in proc.stdout and "estimated load on the tenant" in proc.stdout
    card = json.loads((tmp_path / "scorecard.json").read_text())
    steady = card["phases"][0]
    assert steady["personas"]["new_sign_in"]["requests"] > 0 and steady["personas"]["new_sign_in"]["failures"] == 0
    assert steady["idp"] is None  # a real tenant shows no counters
    assert not (tmp_path / "emulator-state").exists()  # the drill started no emulator of its own
    after = emulator.session().get(f"{emulator.url}/_emulator/faults", timeout=5).json()["requests"]
    assert after.get("token 200", 0) > before.get("token 200", 0)  # the app redeemed codes at the "tenant"
