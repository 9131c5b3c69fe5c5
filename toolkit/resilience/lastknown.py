"""Last-known-good copies of the IdP's discovery document and JWKS, on disk.

They let an app start, and validate tokens, while B2C is down: a GET that fails is answered from
the last good copy, however old (stale-if-error). Nothing here is secret: no tokens, no PII.

Several processes (gunicorn workers) share one folder: a copy one of them wrote is seen by the
others (a `stat` per read tells whether the file changed since it was last read), and the newest
copy wins, by the time it was fetched. A damaged file is as good as none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple


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


class LastKnownGood:
    """URL → last good body, in memory and under `directory` (one JSON file per URL)."""

    def __init__(self, directory: str | os.PathLike[str] | None) -> None:
        self.directory = Path(directory) if directory else None
        self._memory: dict[str, Entry] = {}
        self._lock = threading.Lock()
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def _file(self, url: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def store(self, url: str, body: str) -> None:
        """Remember a good answer (written atomically, so a crash never leaves half a file; a
        folder that cannot be written keeps the copy in memory only)."""
        now = time.time()
        with self._lock:
            previous = self._memory.get(url)
            self._memory[url] = Entry(now, body, previous.mtime_ns if previous else None)
        path = self._file(url)
        if path is None or (previous is not None and previous.body == body and now - previous.fetched_at < 60):
            return
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps({"url": url, "fetched_at": now, "body": body}))
            os.replace(tmp, path)
            mtime = path.stat().st_mtime_ns
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        with self._lock:
            if self._memory.get(url, Entry(0, "")).fetched_at == now:
                self._memory[url] = Entry(now, body, mtime)

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
        if path is None or mtime is None or (found is not None and found.mtime_ns == mtime):
            return None if found is None else (found.fetched_at, found.body)
        try:
            on_disk = parse_entry(json.loads(path.read_text()), url)
        except (OSError, ValueError):
            on_disk = None
        newest = found if on_disk is None or (found is not None and found.fetched_at >= on_disk.fetched_at) else on_disk
        if newest is None:
            return None
        with self._lock:
            self._memory[url] = Entry(newest.fetched_at, newest.body, mtime)  # this file version is read
        return newest.fetched_at, newest.body

    def age(self, url: str) -> float | None:
        """Seconds since the last good answer for `url`, or None."""
        found = self.get(url)
        return None if found is None else time.time() - found[0]
