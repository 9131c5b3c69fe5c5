"""Build and run the Dockerfile's image with Debian's podman, where it can run.

Measured where the suite runs (no Docker engine, no registry of base images): as root, podman runs
containers with Debian's runc, the cgroupfs cgroup manager and no default ulimits, which the
containers.conf below sets for this session's podman commands only. Without a registry, the base image
is a Debian bookworm (Python 3.11) made with debootstrap: about 2.5 minutes the first time, kept in
root's podman storage under a tag naming its recipe and reused for a week. That is safe to keep: it is
made only from Debian's signed archive by the recipe the tag names, so a kept copy is what a new build
would make, bar a week of updates; no test uses a base image it did not make or pull.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
#: the Dockerfile's default; used when it can be pulled
REGISTRY_BASE = "docker.io/library/python:3.11-slim"
MIRROR = os.environ.get("B2C_DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBOOTSTRAP = ["--variant=minbase", "--include=python3,python3-venv,ca-certificates", "bookworm"]
#: what the base image's root loses before it is imported: the files of the package caches and logs
#: (their folders stay, for apt-get in images built on it), documentation and translations
EMPTIED = ["var/cache", "var/lib/apt/lists", "var/log"]
REMOVED = ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"]
BASE_MAX_AGE = dt.timedelta(days=7)


def unavailable() -> str | None:
    """Why podman cannot run containers here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed (scripts/setup.sh dev installs Debian's podman, runc and debootstrap)"
    if os.geteuid() != 0:
        return "podman runs containers here only as root (rootless podman needs subuid ranges and fuse-overlayfs)"
    if shutil.which("runc") is None:
        return "runc is not installed (crun, podman's default, cannot set up cgroups here)"
    return None


class Podman:
    """podman commands with this session's containers.conf."""

    def __init__(self, folder: Path) -> None:
        conf = folder / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def run(self, *args: str, check: bool = True, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """`podman ARGS`, its output as text."""
        return subprocess.run(["podman", *args], env=self.env, check=check, timeout=timeout, text=True, capture_output=True, **kwargs)

    def works(self) -> str | None:
        """Why a container cannot run, or None."""
        found = self.run("info", "--format", "json", check=False, timeout=60)
        return None if found.returncode == 0 else f"podman info failed: {found.stderr.strip()[-300:]}"

    def inspect(self, image: str) -> dict[str, Any]:
        """`podman image inspect` of one image."""
        found: dict[str, Any] = json.loads(self.run("image", "inspect", image).stdout)[0]
        return found

    def base_image(self) -> str:
        """B2C_CONTAINER_BASE, the Dockerfile's default when it can be pulled, else a debootstrap one."""
        chosen = os.environ.get("B2C_CONTAINER_BASE")
        if chosen:
            return chosen
        if self.run("image", "exists", REGISTRY_BASE, check=False).returncode == 0:
            return REGISTRY_BASE
        if self.run("pull", "-q", REGISTRY_BASE, check=False, timeout=300).returncode == 0:
            return REGISTRY_BASE
        return self.debootstrap_base()

    def debootstrap_base(self) -> str:
        """A Debian bookworm image with python3 and venv, made with debootstrap (or the one kept)."""
        recipe = json.dumps([MIRROR, *DEBOOTSTRAP, EMPTIED, REMOVED])
        tag = f"localhost/b2c-toolkit-base:bookworm-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"
        kept = self.run("image", "inspect", "--format", "{{.Created.Unix}}", tag, check=False)
        if kept.returncode == 0:
            created = dt.datetime.fromtimestamp(int(kept.stdout.strip()), dt.UTC)
            if dt.datetime.now(dt.UTC) - created < BASE_MAX_AGE:
                return tag
        if shutil.which("debootstrap") is None:
            raise LookupError(f"no base image: {REGISTRY_BASE} cannot be pulled and debootstrap is not installed")
        with tempfile.TemporaryDirectory(prefix="b2c-base-") as folder:
            root = Path(folder) / "root"
            subprocess.run(["debootstrap", *DEBOOTSTRAP, str(root), MIRROR], check=True, capture_output=True, timeout=1200)
            for path in EMPTIED:
                for found in (root / path).rglob("*"):
                    if found.is_file() or found.is_symlink():
                        found.unlink()
            for path in REMOVED:
                shutil.rmtree(root / path, ignore_errors=True)
            for cache in root.rglob("__pycache__"):
                shutil.rmtree(cache, ignore_errors=True)
            with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
                self.run("import", "--change", 'CMD ["python3"]', "-", tag, stdin=tar.stdout, timeout=300)
        return tag

    def build(self, tag: str, base: str) -> None:
        """Build the Dockerfile as `tag` on `base`. pip inside the build trusts this machine's CA file
        (a TLS-inspecting proxy's CA may be in it), mounted for the build stage only."""
        args = ["build", "-q", "--format", "docker", "--build-arg", f"BASE_IMAGE={base}", "-t", tag]
        ca = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
        if Path(ca).is_file():
            args += ["-v", f"{Path(ca).resolve()}:/etc/build-ca.pem:ro", "--build-arg", "PIP_CERT=/etc/build-ca.pem"]
        built = self.run(*args, str(ROOT), check=False, timeout=900)
        if built.returncode != 0:
            raise AssertionError(f"podman build failed:\n{built.stderr[-3000:]}")
