"""compose.yaml parses, and its services, ports, volumes and environment match the app's settings,
gunicorn's and the Dockerfile's."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from sample_app.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
#: what sample_app/gunicorn.conf.py reads from the environment, beside the app's settings
GUNICORN = {"BIND", "WEB_CONCURRENCY", "THREADS", "ACCESS_LOG", "TLS_CERT", "TLS_KEY"}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${NAME:-default} with `env` (other forms are left as they are)."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1)) or m.group(2), text)


def load(**env: str) -> dict[str, Any]:
    """compose.yaml as compose reads it with `env`."""
    found: dict[str, Any] = yaml.safe_load(interpolate((ROOT / "compose.yaml").read_text(), env))
    return found


@pytest.fixture(scope="module", params=[{}, {"EMULATOR_PORT": "9443", "APP1_PORT": "9001", "APP2_PORT": "9002"}], ids=["defaults", "ports"])
def compose(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(**request.param)


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items() if "BIND" in service.get("environment", {})}


def test_two_replicas_redis_and_the_emulator(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"emulator", "redis", "app1", "app2"}
    assert set(replicas(compose)) == {"app1", "app2"}
    for name in ("app1", "app2", "redis"):
        assert compose["services"][name]["network_mode"] == "service:emulator"


def test_every_variable_is_a_setting_and_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    for name, service in replicas(compose).items():
        env = service["environment"]
        assert set(env) <= set(SETTINGS) | GUNICORN, (name, set(env) - set(SETTINGS) - GUNICORN)
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, never written here
        assert urlsplit(env["B2C_BASE_URL"]).hostname == "localhost"  # what browsers see, as the emulator's --public-url
        assert urlsplit(env["REDIS_URL"]).hostname == "localhost"  # the shared namespace's Redis
    first, second = (service["environment"] for service in replicas(compose).values())
    for shared in ("SECRET_KEY", "REDIS_URL", "B2C_STATE_DIR"):
        assert first[shared] == second[shared], shared


def test_ports_and_public_urls_agree(compose: dict[str, Any]) -> None:
    emulator = compose["services"]["emulator"]
    published = {}
    for mapping in emulator["ports"]:
        address, outside, inside = mapping.split(":")
        assert address == "127.0.0.1" and outside == inside
        published[int(inside)] = mapping
    options = dict(arg[2:].split("=", 1) for arg in emulator["command"] if arg.startswith("--"))
    assert urlsplit(options["public-url"]).hostname == "localhost" and urlsplit(options["public-url"]).port == int(options["port"])
    assert int(options["port"]) in published
    app_ports = set()
    for service in replicas(compose).values():
        env = service["environment"]
        port = int(env["BIND"].rsplit(":", 1)[1])
        public = urlsplit(env["APP_PUBLIC_URL"])
        assert (public.scheme, public.hostname, public.port) == ("https", "localhost", port)  # TLS_CERT: it serves https
        assert env["TLS_CERT"].startswith(env["B2C_STATE_DIR"] + "/") and env["TLS_KEY"].startswith(env["B2C_STATE_DIR"] + "/")
        app_ports.add(port)
    assert len(app_ports) == 2 and app_ports <= set(published)


def test_volumes_are_the_images_state_and_the_emulators(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    volume = re.search(r'^VOLUME \["([^"]+)"\]', dockerfile, re.MULTILINE)
    assert volume is not None
    emulator = compose["services"]["emulator"]
    state_dir = next(arg.split("=", 1)[1] for arg in emulator["command"] if arg.startswith("--state-dir="))
    assert emulator["volumes"] == [f"emulator-state:{state_dir}"]
    assert state_dir.startswith("/app/") and "mkdir -p /app/instance /app/.b2c-emulator" in dockerfile  # owned by the app's user
    own = set()
    for service in replicas(compose).values():
        mounts = dict(entry.split(":", 1) for entry in service["volumes"])
        assert mounts["emulator-state"] == f"{state_dir}:ro"
        assert service["environment"]["B2C_STATE_DIR"] == state_dir
        (state,) = (name for name, where in mounts.items() if where == volume.group(1))
        own.add(state)
    assert len(own) == 2  # each replica its own disk
    assert set(compose["volumes"]) == {"emulator-state", *own}


def test_every_service_builds_or_names_one_image(compose: dict[str, Any]) -> None:
    for name in ("emulator", "app1", "app2"):
        service = compose["services"][name]
        assert service["image"] == "localhost/b2c-refapp"  # APP_IMAGE unset
        assert service["build"]["context"] == "." and "BASE_IMAGE" in service["build"]["args"]


def test_the_replicas_run_the_images_command(compose: dict[str, Any]) -> None:
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd is not None
    image_command = " ".join(shlex.quote(arg) for arg in json.loads(cmd.group(1)))
    for service in replicas(compose).values():
        shell, flag, script = service["command"]
        assert (shell, flag) == ("sh", "-c") and script.endswith(f"exec {image_command}"), script
