"""The image drilled as a team would drill its deployment: `b2c-toolkit drill` starts the container
through an app profile (podman run on the host's network, the drill's values passed as the
container's environment) and plays idp-outage against it, and scale-out, which starts a second
container (a new, empty volume) in the middle of the outage behind the drill's round-robin front."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import Image
from tests.deploy.podman import ROOT, Podman
from toolkit.emulator.server import free_port

#: the reference profile's variables the container needs (its paths are the image's own)
CONTAINER_ENV = {
    "B2C_BASE_URL": "{base_url}",
    "B2C_TENANT": "{tenant}",
    "B2C_SIGNUP_SIGNIN_POLICY": "{policy}",
    "B2C_CLIENT_ID": "{client_id}",
    "B2C_CLIENT_SECRET": "{client_secret}",
    "B2C_API_SCOPE": "{api_scope}",
    "B2C_API_AUDIENCE": "{api_audience}",
    "API_APP_ID_URI": "{api_app_id_uri}",
    "B2C_CA_BUNDLE": "/tls/ca.pem",
    "BIND": "127.0.0.1:{port}",
    "APP_PUBLIC_URL": "{app_url}",
    "TLS_CERT": "/tls/cert.pem",
    "TLS_KEY": "/tls/key.pem",
    "SECRET_KEY": "drill-container-secret-not-for-production",
    "WEB_CONCURRENCY": "2",
    "THREADS": "16",
    "REDIS_URL": "{redis_url}",  # scale-out: the Redis the drill starts, which both containers share
}


def container_profile(folder: Path, podman: Podman, image: str, prefix: str) -> Path:
    """The reference app's profile, with the app started as the image. The key is mounted with `U`
    (owned by the container's user for the run), the certificate and CA read-only."""
    passed = " ".join(f"--env {key}" for key in CONTAINER_ENV)
    mounts = "-v {ca_bundle}:/tls/ca.pem:ro -v {tls_cert}:/tls/cert.pem:ro -v {tls_key}:/tls/key.pem:ro,U"
    command = f"podman run --rm --name {prefix}-{{port}} --network host --stop-timeout 5 {passed} {mounts} {image}"
    env = {**CONTAINER_ENV, "CONTAINERS_CONF": podman.env["CONTAINERS_CONF"]}
    reference = (ROOT / "toolkit/drill/profiles/reference-app.toml").read_text()
    routes = reference[reference.index("[app.routes]") :]
    lines = ["[app]", 'name = "reference app (container)"', f"command = {json.dumps(command)}", "tls = true", 'ready = "/healthz"']
    lines += [
        'readiness = "/readyz"',
        "start_timeout_s = 90",
        "",
        "[app.env]",
        *(f"{key} = {json.dumps(value)}" for key, value in env.items()),
        "",
    ]
    profile = folder / "container.toml"
    profile.write_text("\n".join(lines) + "\n" + routes)
    return profile


@pytest.mark.parametrize("scenario", ["idp-outage", "scale-out"])
def test_the_containers_keep_signed_in_users_working_through_an_outage(
    podman: Podman, app_image: Image, readable: Path, scenario: str
) -> None:
    prefix = f"b2c-refapp-drill-{free_port()}"
    profile = container_profile(readable, podman, app_image.tag, prefix)
    out = readable / "drill"
    args = [sys.executable, "-m", "toolkit", "drill", "--scenario", scenario, "--app", str(profile)]
    args += ["--users", "8", "--duration", "40", "--out", str(out)]
    try:
        ran = subprocess.run(args, capture_output=True, text=True, timeout=400, cwd=ROOT)
    finally:
        left = podman.run("ps", "-aq", "--filter", f"name={prefix}", check=False).stdout.split()
        if left:
            podman.run("rm", "-f", *left, check=False)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:] + (out / "app.log").read_text(errors="replace")[-3000:]
    card = json.loads((out / "scorecard.json").read_text())
    assert card["passed"], card
    outage = next(phase for phase in card["phases"] if phase["name"] == "outage")
    assert outage["personas"]["signed_in"]["failures"] == 0
    if scenario == "scale-out":
        assert card["replicas"]["started"] == 1 and card["replicas"]["requests"] > 0, card["replicas"]
