"""Scale-out: with REDIS_URL, two app instances share one signed-in user (real redis-server)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.sample_app.conftest import APP_ENV
from tests.support import start_emulator, stop_emulator
from toolkit.drill import processes


def _start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real redis-server on a free loopback port (installed by .ci/run with apt-get)."""
    try:
        started = processes.start_redis(folder)
    except FileNotFoundError as exc:
        pytest.skip(f"{exc} (scripts/test.sh installs it)")
    return started.process, started.url


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = _start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_two_instances_share_one_signed_in_user(tmp_path, redis_url):
    from tests.sample_app.conftest import Stack

    emulator = start_emulator(tmp_path / "emulator")
    env = {**APP_ENV, "REDIS_URL": redis_url}
    first = processes.start_app(tmp_path / "emulator", tmp_path / "a", env=env)
    second = processes.start_app(tmp_path / "emulator", tmp_path / "b", env=env)
    try:
        client = Stack(emulator, first).signed_in()
        cookie = client.cookies.get("__Host-refapp")
        other = Stack(emulator, second).client()
        other.cookies.set("__Host-refapp", cookie)
        page = other.get(second.url + "/profile", allow_redirects=False)
        assert page.status_code == 200 and "Test User 1" in page.text
        assert "Hello, Test User 1" in other.get(second.url + "/call-api").text  # the shared token cache
        assert other.get(second.url + "/readyz").json() == {"status": "ready", "store": "ok"}
    finally:
        first.stop()
        second.stop()
        stop_emulator(emulator)


def test_a_stalled_session_store_is_a_503_and_users_stay_signed_in(tmp_path):
    """Redis stops answering (paused, as in a failover): pages answer 503 with Retry-After, not
    500, and once Redis answers again the same user carries on, still signed in."""
    from tests.sample_app.conftest import Stack

    store, url = _start_redis(tmp_path)
    emulator = start_emulator(tmp_path / "emulator")
    app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "REDIS_URL": url})
    try:
        client = Stack(emulator, app).signed_in()
        store.send_signal(signal.SIGSTOP)
        try:
            page = client.get(app.url + "/profile", allow_redirects=False, timeout=30)
            assert page.status_code == 503 and "Retry-After" in page.headers and "Traceback" not in page.text
            assert client.get(app.url + "/readyz", timeout=30).status_code == 503  # out of the load balancer
        finally:
            store.send_signal(signal.SIGCONT)
        page = client.get(app.url + "/profile", allow_redirects=False)
        assert page.status_code == 200 and "Test User 1" in page.text
        log = app.log_text()
        assert "session store unavailable" in log and "Traceback" not in log  # handled: a warning, no traceback
    finally:
        app.stop()
        stop_emulator(emulator)
        store.terminate()
        store.wait(timeout=10)


@contextlib.contextmanager
def small_filesystem(folder: Path) -> Iterator[Path]:
    """A 1 MB tmpfs at `folder` (mounting needs root, as in CI's container)."""
    folder.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=False).returncode:
        pytest.skip("mounting a small filesystem needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def make_unwritable(folder: Path, how: str) -> None:
    """Remount the folder read-only, or fill it up."""
    if how == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        return
    with open(folder / "filler", "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_a_session_folder_that_cannot_be_written(tmp_path, how):
    """Sign-in is refused before B2C, readiness says so, signed-in users keep reading pages,
    sign-out never claims a success it did not have (a full disk still deletes; a read-only one
    does not), and no temporary file is left behind."""
    from tests.sample_app.conftest import Stack

    with small_filesystem(tmp_path / "sessions") as folder:
        emulator = start_emulator(tmp_path / "emulator")
        app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "SESSION_DIR": str(folder)})
        try:
            stack = Stack(emulator, app)
            client = stack.signed_in()
            token = _csrf(client.get(app.url + "/").text)
            make_unwritable(folder, how)

            ready = client.get(app.url + "/readyz")
            assert ready.status_code == 503 and "Retry-After" in ready.headers  # like every 503 (found by the chaos search)
            login = stack.client().get(app.url + "/auth/login", allow_redirects=False)
            assert login.status_code == 503 and "Retry-After" in login.headers and "Location" not in login.headers
            assert client.get(app.url + "/profile", allow_redirects=False).status_code == 200  # reading writes nothing

            cookie = client.cookies.get("__Host-refapp")
            out = client.post(app.url + "/auth/logout", data={"csrf_token": token}, allow_redirects=False)
            assert out.headers["Set-Cookie"].startswith(("__Host-refapp=;", '__Host-refapp="";'))  # in any case
            assert client.get(app.url + "/profile", allow_redirects=False).status_code == 302
            replayed = stack.client()
            replayed.cookies.set("__Host-refapp", cookie)
            still_valid = replayed.get(app.url + "/profile", allow_redirects=False).status_code == 200
            if how == "read-only":  # the session could not be deleted: the answer says so
                assert out.status_code == 503 and "Retry-After" in out.headers and still_valid
                assert "could not end your session" in out.text and "Traceback" not in out.text
            else:  # a delete frees space: signed out for real
                assert out.status_code == 302 and not still_valid
            assert not [p.name for p in folder.iterdir() if p.name.endswith(".__wz_cache")]
        finally:
            app.stop()
            stop_emulator(emulator)


def test_a_redis_that_cannot_take_writes(tmp_path, redis_url):
    """Redis at its memory limit (noeviction): sign-in is refused before B2C, readiness says so,
    signed-in users keep reading pages, and sign-out (a delete, which Redis still takes) works."""
    from tests.sample_app.conftest import Stack

    emulator = start_emulator(tmp_path / "emulator")
    app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "REDIS_URL": redis_url})
    store = redis.Redis.from_url(redis_url)
    try:
        stack = Stack(emulator, app)
        client = stack.signed_in()
        token = _csrf(client.get(app.url + "/").text)
        store.config_set("maxmemory", 1)
        try:
            assert client.get(app.url + "/readyz").status_code == 503
            login = stack.client().get(app.url + "/auth/login", allow_redirects=False)
            assert login.status_code == 503 and "Retry-After" in login.headers and "Location" not in login.headers
            assert client.get(app.url + "/profile", allow_redirects=False).status_code == 200
            out = client.post(app.url + "/auth/logout", data={"csrf_token": token}, allow_redirects=False)
            assert out.status_code == 302
        finally:
            store.config_set("maxmemory", 0)
        assert client.get(app.url + "/profile", allow_redirects=False).status_code == 302
    finally:
        app.stop()
        stop_emulator(emulator)


def test_a_store_that_lost_its_data_says_so(tmp_path, redis_url):
    """Redis restarted empty: the users it signed out are told their session ended (not "if you
    are already signed in, you can keep using the site"), and readiness says the store lost its
    data, once, while staying ready (the store works)."""
    from tests.sample_app.conftest import Stack

    emulator = start_emulator(tmp_path / "emulator")
    app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "REDIS_URL": redis_url})
    try:
        client = Stack(emulator, app).signed_in()
        assert client.get(app.url + "/readyz").json()["store"] == "ok"
        redis.Redis.from_url(redis_url).flushall()  # what a restart without persistence leaves
        emulator.fault(kind="outage", group="all", mode="reset")
        page = client.get(app.url + "/profile")  # sent to sign in, which is down
        assert page.status_code == 503 and 'id="session-lost"' in page.text and "keep using the site" not in page.text
        anonymous = Stack(emulator, app).client().get(app.url + "/auth/login")
        assert anonymous.status_code == 503 and "session-lost" not in anonymous.text
        ready = client.get(app.url + "/readyz")
        assert ready.status_code == 200 and ready.json()["store"].startswith("lost its data")
        assert client.get(app.url + "/readyz").json()["store"] == "ok"  # said once
        assert "session_store_lost" in app.log_text()
    finally:
        app.stop()
        stop_emulator(emulator)


def test_a_freshly_signed_in_user_reads_pages_while_the_store_cannot_be_written(tmp_path):
    """No page writes the session, the first after sign-in included (its sign-out form's token
    is derived, not stored), and that token still signs the user out."""
    from tests.sample_app.conftest import Stack

    with small_filesystem(tmp_path / "sessions") as folder:
        emulator = start_emulator(tmp_path / "emulator")
        app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "SESSION_DIR": str(folder)})
        try:
            client = Stack(emulator, app).signed_in()
            make_unwritable(folder, "full")
            for path in ("/", "/profile", "/call-api", "/"):
                page = client.get(app.url + path, allow_redirects=False)
                assert page.status_code == 200, (path, page.status_code)
            (folder / "filler").unlink()
            out = client.post(app.url + "/auth/logout", data={"csrf_token": _csrf(page.text)}, allow_redirects=False)
            assert out.status_code == 302
            assert client.get(app.url + "/profile", allow_redirects=False).status_code == 302
        finally:
            app.stop()
            stop_emulator(emulator)


def test_a_replica_started_with_an_empty_disk_during_an_outage_serves_and_validates(tmp_path, redis_url):
    """Scale-out while B2C is down: a new instance, with an empty disk, reads the last-known-good
    metadata and keys its sibling kept in Redis (checked before they are trusted), so the
    signed-in user keeps working on it and genuine tokens validate there."""
    from tests.sample_app.conftest import Stack, access_token

    emulator = start_emulator(tmp_path / "emulator")
    env = {**APP_ENV, "REDIS_URL": redis_url}
    first = processes.start_app(tmp_path / "emulator", tmp_path / "a", env=env)
    second = None
    try:
        client = Stack(emulator, first).signed_in()
        token = access_token(emulator)
        assert client.get(first.url + "/api/hello", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        emulator.fault(kind="outage", group="all", mode="reset")
        second = processes.start_app(tmp_path / "emulator", tmp_path / "b", env=env)  # a new, empty instance folder
        other = Stack(emulator, second).client()
        other.cookies.set("__Host-refapp", client.cookies.get("__Host-refapp"))
        assert other.get(second.url + "/profile", allow_redirects=False).status_code == 200
        assert other.get(second.url + "/api/hello", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert other.get(second.url + "/readyz").json() == {"status": "ready", "store": "ok"}
    finally:
        first.stop()
        if second is not None:
            second.stop()
        stop_emulator(emulator)
