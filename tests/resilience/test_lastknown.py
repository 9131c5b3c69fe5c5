"""Last-known-good copies on disk."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.resilience.documents import BAD_ANSWERS, ISSUER, jwks, metadata
from toolkit.resilience import lastknown
from toolkit.resilience.lastknown import LastKnownGood

URL = "https://idp/v2.0/.well-known/openid-configuration"
KEYS = "https://idp/discovery/v2.0/keys"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def test_store_and_read_back_in_a_new_instance(tmp_path):
    LastKnownGood(tmp_path).store(URL, metadata())
    fetched_at, body = LastKnownGood(tmp_path).get(URL)
    assert body == metadata() and fetched_at > 0
    assert LastKnownGood(tmp_path).age(URL) >= 0


def test_unknown_and_damaged_entries_are_absent(tmp_path):
    cache = LastKnownGood(tmp_path)
    assert cache.get("https://idp/none") is None
    cache.store(URL, metadata())
    for f in tmp_path.iterdir():
        f.write_text("{not json")
    assert LastKnownGood(tmp_path).get(URL) is None


def test_memory_only(tmp_path):
    cache = LastKnownGood(None)
    cache.store("u", "b")
    assert cache.get("u")[1] == "b"
    assert list(tmp_path.iterdir()) == []


def test_a_newer_copy_another_process_wrote_is_seen(tmp_path):
    mine, other = LastKnownGood(tmp_path), LastKnownGood(tmp_path)
    mine.store(KEYS, jwks("old"))
    assert mine.get(KEYS)[1] == jwks("old")
    other.store(KEYS, jwks("new"))  # another worker, sharing the folder
    assert mine.get(KEYS)[1] == jwks("new")


def test_an_older_copy_on_disk_does_not_replace_a_newer_one_in_memory(tmp_path):
    mine = LastKnownGood(tmp_path)
    mine.store(KEYS, jwks("new"))
    path = next(tmp_path.iterdir())
    path.write_text(json.dumps({"url": KEYS, "fetched_at": 1.0, "body": jwks("ancient")}))
    assert mine.get(KEYS)[1] == jwks("new")


@given(
    st.one_of(
        st.dictionaries(st.sampled_from(["url", "fetched_at", "body", "x"]), JSON_VALUES, max_size=4),
        JSON_VALUES,
        st.text(max_size=20).map(lambda t: {"url": URL, "fetched_at": t, "body": metadata()}),
    )
)
@example({"url": URL, "fetched_at": "abc", "body": metadata()})  # made /status/idp a 500
@example({"url": URL, "fetched_at": float("nan"), "body": metadata()})
@example({"url": URL, "fetched_at": 1.0, "body": ["not", "text"]})
def test_any_damaged_entry_is_as_good_as_none(data):
    with tempfile.TemporaryDirectory() as folder:
        cache = LastKnownGood(folder)
        cache.store(URL, metadata())
        fresh = LastKnownGood(folder)
        next(Path(folder).iterdir()).write_text(json.dumps(data))
        found = fresh.get(URL)
        assert found is None or (isinstance(found[0], float) and isinstance(found[1], str))
        assert fresh.age(URL) is None or found is not None


def test_an_unwritable_folder_keeps_the_copy_in_memory(tmp_path):
    cache = LastKnownGood(tmp_path / "cache")
    (tmp_path / "cache").rmdir()
    (tmp_path / "cache").write_text("a file where the folder was")
    cache.store(URL, metadata())
    assert cache.get(URL)[1] == metadata()


@pytest.mark.parametrize(("name", "bad_metadata", "bad_keys"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_a_bad_answer_never_replaces_the_good_copy(tmp_path, name, bad_metadata, bad_keys):
    cache = LastKnownGood(tmp_path)
    cache.store(URL, metadata())
    cache.store(KEYS, jwks())
    cache.store(URL, bad_metadata)
    cache.store(KEYS, bad_keys)
    for reader in (cache, LastKnownGood(tmp_path)):  # in memory and on disk, for a restarted app
        assert reader.get(URL)[1] == metadata()
        assert reader.get(KEYS)[1] == jwks()


@pytest.mark.parametrize(("name", "bad_metadata", "bad_keys"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_a_bad_copy_on_disk_is_as_good_as_none(tmp_path, name, bad_metadata, bad_keys):
    LastKnownGood(tmp_path).store(KEYS, jwks())
    path = next(tmp_path.iterdir())
    path.write_text(json.dumps({"url": KEYS, "fetched_at": 2e9, "body": bad_keys}))  # written by hand, or by an old version
    assert LastKnownGood(tmp_path).get(KEYS) is None


def test_a_copy_for_another_issuer_is_refused_when_the_issuer_is_configured(tmp_path):
    LastKnownGood(tmp_path).store(URL, metadata(issuer="https://elsewhere.example/v2.0/"))
    assert LastKnownGood(tmp_path, issuer=ISSUER).get(URL) is None
    assert LastKnownGood(tmp_path, issuer=ISSUER).problem(URL, metadata()) is None


def test_a_copy_lost_to_a_full_disk_is_written_once_space_returns(tmp_path, monkeypatch):
    """Workers hold the keys in memory and never fetch them again: without a second write, a
    restart during an outage would find no copy (16/16 new-key tokens refused)."""
    monkeypatch.setattr(lastknown, "RETRY_WRITE_S", 0.1)
    folder = tmp_path / "cache"
    cache = LastKnownGood(folder)
    folder.rmdir()
    folder.write_text("the disk is full")  # any write below it fails, as root too
    cache.store(KEYS, jwks("k1"))
    assert cache.unwritten == 1 and cache.get(KEYS)[1] == jwks("k1")
    folder.unlink()  # space is back
    deadline = time.monotonic() + 5
    while cache.unwritten and time.monotonic() < deadline:  # written again in the background, no read needed
        time.sleep(0.05)
    assert cache.unwritten == 0
    assert LastKnownGood(folder).get(KEYS)[1] == jwks("k1")  # the restarted app finds it


class DictStore:
    """A shared store at the edge of the unit: redis.Redis's get and set, in a dict."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def get(self, name: str) -> bytes | None:
        if self.down:
            raise ConnectionError("down")
        return self.data.get(name)

    def set(self, name: str, value: bytes) -> bool:
        if self.down:
            raise ConnectionError("down")
        self.data[name] = value
        return True


def test_a_replica_with_an_empty_disk_reads_its_siblings_copy_from_the_shared_store(tmp_path):
    shared = DictStore()
    LastKnownGood(tmp_path / "a", shared=shared).store(KEYS, jwks("k1"))
    assert LastKnownGood(tmp_path / "b", shared=shared).get(KEYS)[1] == jwks("k1")
    assert LastKnownGood(tmp_path / "c").get(KEYS) is None  # without it, nothing


def test_the_newest_copy_of_memory_disk_and_shared_store_wins(tmp_path):
    shared = DictStore()
    mine = LastKnownGood(tmp_path / "a", shared=shared)
    mine.store(KEYS, jwks("old"))
    LastKnownGood(tmp_path / "b", shared=shared).store(KEYS, jwks("new"))  # a sibling, later
    assert mine.get(KEYS)[1] == jwks("new")


@pytest.mark.parametrize(("name", "bad_metadata", "bad_keys"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_a_bad_copy_in_the_shared_store_is_as_good_as_none(tmp_path, name, bad_metadata, bad_keys):
    shared = DictStore()
    LastKnownGood(tmp_path / "a", shared=shared).store(KEYS, jwks())
    (key,) = shared.data
    shared.data[key] = json.dumps({"url": KEYS, "fetched_at": 2e9, "body": bad_keys}).encode()
    assert LastKnownGood(tmp_path / "b", shared=shared).get(KEYS) is None


def test_a_failing_shared_store_is_skipped_not_waited_on(tmp_path):
    shared = DictStore()
    cache = LastKnownGood(tmp_path, shared=shared)
    cache.store(KEYS, jwks())
    shared.down = True
    assert cache.get(KEYS)[1] == jwks()  # memory and disk answer
    calls = []
    shared.get = lambda name: calls.append(name)  # type: ignore[method-assign]
    cache.get(KEYS)
    assert calls == []  # the breaker is open: the store is not asked again for a while
