"""Last-known-good copies of the IdP's discovery document and JWKS, on disk.

They let an app start, and validate tokens, while B2C is down: a GET that fails is answered from
the last good copy, however old (stale-if-error). Nothing here is secret: no tokens, no PII.

Several processes (gunicorn workers) share one folder: a copy one of them wrote is seen by the
others (a `stat` per read tells whether the file changed since it was last read), and the newest
copy wins, by the time it was fetched. A damaged file is as good as none, and so is a copy that is
not a good answer (`answers.problem`: one written by hand, by an older version, or for another
issuer): a copy is checked when it is stored and again when it is read back.

With a `shared` store (Redis, which the app's sessions already use), every copy is also kept there,
and a read takes the newest good copy of memory, disk and the shared store: a replica that starts
with an empty disk while the IdP is down validates tokens with the copies its siblings fetched. A
shared store that fails is skipped for a few seconds (a breaker), never waited on per request.

A copy that could not be written (a full disk, a folder gone) stays in memory and is written again
as soon as the folder takes it: a background thread tries once a second while any copy is in
memory only. The processes that hold it in memory would otherwise never fetch it again, so the
other workers could not read it and a restart during an outage would find no copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import pybreaker

from toolkit.resilience.answers import kind_of, problem

LOG = logging.getLogger(__name__)
#: the shortest time between two attempts to write again a copy that could not be written
RETRY_WRITE_S = 1.0


class Entry(NamedTuple):
    """A good answer, when it was fetched, and the mtime of the file it was read from or written to."""

    fetched_at: float
    body: str
    mtime_ns: int | None = None


def parse_entry(data: Any, url: str) -> Entry | None:
    """The entry a cache file holds for `url`, or None when it is damaged or for another URL."""
    if not isinstance(data, dict) or data.get("url") != url:
        return None
    fetched_at, body = data.get("fetched_at"), data.get("body")
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, int | float) or not math.isfinite(fetched_at):
        return None
    if not isinstance(body, str):
        return None
    return Entry(float(fetched_at), body)


class SharedStore(Protocol):
    """What the shared tier needs of a store: `redis.Redis` has it."""

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: bytes) -> Any: ...


#: keys of the shared tier: this prefix and the same digest as the file names
SHARED_PREFIX = "refapp:lkg:"


class LastKnownGood:
    """URL → last good body, in memory, under `directory` (one JSON file per URL) and in `shared`.
    `issuer`: the issuer a stored discovery document must name (None: any)."""

    def __init__(self, directory: str | os.PathLike[str] | None, issuer: str | None = None, shared: SharedStore | None = None) -> None:
        self.directory = Path(directory) if directory else None
        self.issuer = issuer
        self.shared = shared
        self._shared_breaker = pybreaker.CircuitBreaker(
            fail_max=1, reset_timeout=5, name="last-known-good-shared", throw_new_error_on_trip=False
        )
        self._memory: dict[str, Entry] = {}
        self._unwritten: set[str] = set()  #: copies in memory whose file could not be written
        self._retrier: threading.Thread | None = None  #: writes them again while there are any
        self._lock = threading.Lock()
        if self.directory is not None:
            with contextlib.suppress(OSError):  # a folder that cannot be made is retried at each write
                self.directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _digest(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()[:32]

    def _file(self, url: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (self._digest(url) + ".json")

    def problem(self, url: str, body: str) -> str | None:
        """Why `body` is no good answer for `url`, or None."""
        return problem(kind_of(urlsplit(url).path), body, self.issuer)

    def store(self, url: str, body: str) -> None:
        """Remember a good answer (written atomically, so a crash never leaves half a file; a
        folder that cannot be written keeps the copy in memory until it can). A bad one is refused."""
        why = self.problem(url, body)
        if why is not None:
            LOG.warning("not keeping a bad answer as last-known-good: %s", why)
            return
        now = time.time()
        with self._lock:
            previous = self._memory.get(url)
            self._memory[url] = Entry(now, body, previous.mtime_ns if previous else None)
            fresh_copy_on_disk = previous is not None and url not in self._unwritten and previous.body == body
        if fresh_copy_on_disk and previous is not None and now - previous.fetched_at < 60:
            return
        self._write(url, Entry(now, body))
        self._shared("set", url, json.dumps({"url": url, "fetched_at": now, "body": body}).encode())

    def _write(self, url: str, entry: Entry) -> None:
        path = self._file(url)
        if path is None:
            return
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"url": url, "fetched_at": entry.fetched_at, "body": entry.body}))
            os.replace(tmp, path)
            mtime = path.stat().st_mtime_ns
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            with self._lock:
                if url not in self._unwritten:
                    LOG.warning("last-known-good copy kept in memory only until it can be written: %s", exc.strerror or exc)
                self._unwritten.add(url)
                if self._retrier is None or not self._retrier.is_alive():
                    self._retrier = threading.Thread(target=self._retry_until_written, name="last-known-good-writer", daemon=True)
                    self._retrier.start()
            return
        with self._lock:
            self._unwritten.discard(url)
            if self._memory.get(url, Entry(0, "")).fetched_at == entry.fetched_at:
                self._memory[url] = Entry(entry.fetched_at, entry.body, mtime)

    def _retry_until_written(self) -> None:
        """Write again, once a second, the copies a failed write left in memory only."""
        while self._unwritten:
            time.sleep(RETRY_WRITE_S)
            with self._lock:
                pending = [(url, self._memory[url]) for url in self._unwritten if url in self._memory]
            self._write_again(pending)

    def _write_again(self, pending: list[tuple[str, Entry]]) -> None:
        for url, entry in pending:
            if (on_disk := self._read(url)) is not None and on_disk.fetched_at >= entry.fetched_at:
                with self._lock:  # another process wrote a copy as new since: the newest wins
                    self._unwritten.discard(url)
                continue
            self._write(url, entry)

    def _shared(self, operation: str, url: str, value: bytes | None = None) -> Any:
        """`get` or `set` the shared copy of `url`; None when there is no shared store or it fails."""
        if self.shared is None:
            return None
        key = SHARED_PREFIX + self._digest(url)
        try:
            if operation == "set":
                return self._shared_breaker.call(self.shared.set, key, value)
            return self._shared_breaker.call(self.shared.get, key)
        except pybreaker.CircuitBreakerError:
            return None
        except Exception as exc:  # any failure of the shared store: the copies in memory and on disk stay
            LOG.warning("last-known-good shared store unavailable for 5 s: %s", exc.__class__.__name__)
            return None

    def _read_shared(self, url: str) -> Entry | None:
        """The good copy the shared store holds for `url`, or None."""
        raw = self._shared("get", url)
        try:
            entry = parse_entry(json.loads(raw), url) if raw else None
        except (ValueError, UnicodeDecodeError):
            return None
        return None if entry is None or self.problem(url, entry.body) is not None else entry

    def _read(self, url: str) -> Entry | None:
        """The good copy the file for `url` holds, or None (none, unreadable, damaged or bad)."""
        path = self._file(url)
        try:
            on_disk = parse_entry(json.loads(path.read_text()), url) if path is not None else None
        except (OSError, ValueError):
            return None
        return None if on_disk is None or self.problem(url, on_disk.body) is not None else on_disk

    @property
    def unwritten(self) -> int:
        """How many copies are in memory only."""
        return len(self._unwritten)

    def get(self, url: str) -> tuple[float, str] | None:
        """`(fetched_at, body)` of the newest good answer: from memory, unless the file on disk
        changed since (another process stored a copy) and holds a newer one."""
        with self._lock:
            found = self._memory.get(url)
        path = self._file(url)
        try:
            mtime: int | None = path.stat().st_mtime_ns if path is not None else None
        except OSError:
            mtime = None
        unchanged = mtime is None or (found is not None and found.mtime_ns == mtime)
        on_disk = None if unchanged else self._read(url)
        candidates = [entry for entry in (found, on_disk, self._read_shared(url)) if entry is not None]
        newest = max(candidates, key=lambda entry: entry.fetched_at, default=None)  # a tie keeps the one in memory
        if newest is None:
            return None
        if newest is not found or not unchanged:
            with self._lock:
                self._memory[url] = Entry(newest.fetched_at, newest.body, mtime)  # this file version is read
        return newest.fetched_at, newest.body

    def age(self, url: str) -> float | None:
        """Seconds since the last good answer for `url`, or None."""
        found = self.get(url)
        return None if found is None else time.time() - found[0]
