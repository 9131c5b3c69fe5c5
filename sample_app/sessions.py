"""Server-side sessions (and the per-user token caches in them): Redis when REDIS_URL is set, else
files in the instance folder. A store that cannot be written is never ignored: writing raises
`SessionStoreUnavailable` (or a Redis error), which the app answers with 503 and Retry-After, so a
user is never told something was saved, or ended, that was not.

Sessions last SESSION_LIFETIME_S from sign-in; reading a page writes nothing, so signed-in users
keep reading pages while the store cannot be written.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from cachelib import FileSystemCache
from flask import Flask, current_app, session
from werkzeug.wrappers import Response

#: seconds a user is asked to wait while the session store does not answer (a Redis failover) or
#: cannot be written
STORE_RETRY_AFTER_S = 5


class SessionStoreUnavailable(OSError):
    """The session store cannot be written (read-only, full, gone)."""


class StrictFileSystemCache(FileSystemCache):
    """cachelib's file cache, except that a failed write or delete raises instead of logging and
    returning False, and leaves no temporary file behind. It never prunes (threshold 0: live
    sessions are never evicted), so it keeps no file count either."""

    def set(self, key: str, value: Any, timeout: Any = None, mgmt_element: bool = False) -> bool:
        data = io.BytesIO()
        data.write(struct.pack("I", self._normalize_timeout(timeout)))
        self.serializer.dump(value, data)
        filename = self._get_filename(key)
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(suffix=self._fs_transaction_suffix, dir=self._path)
            with os.fdopen(fd, "wb") as f:
                f.write(data.getvalue())
            os.replace(tmp, filename)
            tmp = None
            os.chmod(filename, self._mode or 0o600)
        except OSError as exc:
            raise SessionStoreUnavailable(f"the session store cannot be written: {exc.strerror or exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
        return True

    def delete(self, key: str, mgmt_element: bool = False) -> bool:
        try:
            os.remove(self._get_filename(key))
        except FileNotFoundError:
            return True
        except OSError as exc:
            raise SessionStoreUnavailable(f"the session store cannot be written: {exc.strerror or exc}") from exc
        return True

    def _update_count(self, delta: int | None = None, value: int | None = None) -> None:
        return None


def _probe_key() -> str:
    return f"readyz-probe-{os.getpid()}-{threading.get_ident()}"


#: an entry with no expiry, written once: a store that no longer holds it lost its data
MARKER = "store-marker"


def init_app(app: Flask) -> None:
    """Configure Flask-Session, `app.extensions["session_probe"]`: writes and deletes a probe
    entry (raises when the store cannot be written), and `app.extensions["session_store_kept"]`:
    False once when the store is found to have lost its data (a Redis restarted empty)."""
    from flask_session import Session

    probe: Callable[[], None]
    mark: Callable[[], bool]  #: writes the marker if it is missing; True when it was
    lifetime = app.config["SESSION_LIFETIME_S"]
    if app.config["REDIS_URL"]:
        import redis

        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=client, SESSION_KEY_PREFIX="refapp:")

        def probe() -> None:
            key = "refapp:" + _probe_key()
            client.set(key, b"1", ex=30)
            client.delete(key)

        def mark() -> bool:
            return bool(client.set("refapp:" + MARKER, b"1", nx=True))

    else:
        folder = app.config["SESSION_DIR"] or os.path.join(app.instance_path, "sessions")
        cache = StrictFileSystemCache(folder, threshold=0, default_timeout=lifetime)
        app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=cache)

        def probe() -> None:
            cache.set(_probe_key(), 1, timeout=30)
            cache.delete(_probe_key())

        def mark() -> bool:
            return bool(cache.add(MARKER, 1, timeout=0))

    with contextlib.suppress(Exception):  # a store down at start-up is marked by the first readiness check
        mark()

    def kept() -> bool:
        return not mark()

    app.config["SESSION_REFRESH_EACH_REQUEST"] = False  # a page view writes nothing
    app.extensions["session_probe"] = probe
    app.extensions["session_store_kept"] = kept
    Session(app)
    interface = app.session_interface
    save = interface.save_session

    def save_opened(app_: Flask, opened: Any, response: Any) -> None:
        # a session the store failed to open is None: Flask-Session would raise again while the
        # 503 page is being sent, and Flask log that as an unhandled error with its traceback
        if opened is not None:
            save(app_, opened, response)

    interface.save_session = save_opened  # type: ignore[method-assign,assignment]


def store_errors(app: Flask) -> tuple[type[Exception], ...]:
    """What the session store raises when it cannot be read or written."""
    if app.config["REDIS_URL"]:
        import redis

        return (SessionStoreUnavailable, redis.RedisError)
    return (SessionStoreUnavailable,)


def session_lost() -> bool:
    """True when the browser sends a session cookie the store does not know: the session was lost
    with the store's data (a Redis restarted empty), or ended on the server before the cookie did."""
    from flask import request

    return bool(request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])) and "user" not in session


def end_session() -> bool:
    """Delete the current session from the store now. False when the store could not delete it
    (it then ends at its expiry); the caller clears the cookie in any case (`clear_cookie`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.clear()
    try:
        app.session_interface.save_session(app, session, Response())  # an empty, modified session is deleted
        ended = True
    except store_errors(app):
        ended = False
    session.modified = False  # done: nothing more to save after the view
    return ended


def clear_cookie(response: Response) -> None:
    """Tell the browser to drop the session cookie."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interface = app.session_interface
    response.delete_cookie(
        app.config["SESSION_COOKIE_NAME"],
        path=interface.get_cookie_path(app),
        domain=interface.get_cookie_domain(app),
        secure=True,
        httponly=True,
        samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
