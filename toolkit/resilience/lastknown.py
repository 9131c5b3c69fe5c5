"""Last-known-good copies of the IdP's discovery document and JWKS, on disk.

They let an app start, and validate tokens, while B2C is down: a GET that fails is answered from
the last good copy, however old (stale-if-error). Nothing here is secret: no tokens, no PII.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path


class LastKnownGood:
    """URL → last good body, in memory and under `directory` (one JSON file per URL)."""

    def __init__(self, directory: str | os.PathLike[str] | None) -> None:
        self.directory = Path(directory) if directory else None
        self._memory: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def _file(self, url: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def store(self, url: str, body: str) -> None:
        """Remember a good answer (written atomically, so a crash never leaves half a file)."""
        now = time.time()
        with self._lock:
            previous = self._memory.get(url)
            self._memory[url] = (now, body)
        path = self._file(url)
        if path is None or (previous is not None and previous[1] == body and now - previous[0] < 60):
            return
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"url": url, "fetched_at": now, "body": body}))
        os.replace(tmp, path)

    def get(self, url: str) -> tuple[float, str] | None:
        """`(fetched_at, body)` of the last good answer, from memory or disk."""
        with self._lock:
            found = self._memory.get(url)
        if found is not None:
            return found
        path = self._file(url)
        if path is None or not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None  # a damaged file is as good as none
        if data.get("url") != url:
            return None
        entry = (float(data["fetched_at"]), str(data["body"]))
        with self._lock:
            self._memory[url] = entry
        return entry

    def age(self, url: str) -> float | None:
        """Seconds since the last good answer for `url`, or None."""
        found = self.get(url)
        return None if found is None else time.time() - found[0]
