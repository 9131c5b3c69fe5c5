"""Last-known-good copies on disk."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from toolkit.resilience.lastknown import LastKnownGood

URL = "https://idp/meta"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def test_store_and_read_back_in_a_new_instance(tmp_path):
    LastKnownGood(tmp_path).store("https://idp/meta", '{"issuer": "x"}')
    fetched_at, body = LastKnownGood(tmp_path).get("https://idp/meta")
    assert body == '{"issuer": "x"}' and fetched_at > 0
    assert LastKnownGood(tmp_path).age("https://idp/meta") >= 0


def test_unknown_and_damaged_entries_are_absent(tmp_path):
    cache = LastKnownGood(tmp_path)
    assert cache.get("https://idp/none") is None
    cache.store("https://idp/meta", "{}")
    for f in tmp_path.iterdir():
        f.write_text("{not json")
    assert LastKnownGood(tmp_path).get("https://idp/meta") is None


def test_memory_only(tmp_path):
    cache = LastKnownGood(None)
    cache.store("u", "b")
    assert cache.get("u")[1] == "b"
    assert list(tmp_path.iterdir()) == []


def test_a_newer_copy_another_process_wrote_is_seen(tmp_path):
    mine, other = LastKnownGood(tmp_path), LastKnownGood(tmp_path)
    mine.store("https://idp/keys", "old")
    assert mine.get("https://idp/keys")[1] == "old"
    other.store("https://idp/keys", "new")  # another worker, sharing the folder
    assert mine.get("https://idp/keys")[1] == "new"


def test_an_older_copy_on_disk_does_not_replace_a_newer_one_in_memory(tmp_path):
    mine = LastKnownGood(tmp_path)
    mine.store("https://idp/keys", "new")
    path = next(tmp_path.iterdir())
    path.write_text(json.dumps({"url": "https://idp/keys", "fetched_at": 1.0, "body": "ancient"}))
    assert mine.get("https://idp/keys")[1] == "new"


@given(
    st.one_of(
        st.dictionaries(st.sampled_from(["url", "fetched_at", "body", "x"]), JSON_VALUES, max_size=4),
        JSON_VALUES,
        st.text(max_size=20).map(lambda t: {"url": URL, "fetched_at": t, "body": "{}"}),
    )
)
@example({"url": URL, "fetched_at": "abc", "body": "{}"})  # made /status/idp a 500
@example({"url": URL, "fetched_at": float("nan"), "body": "{}"})
@example({"url": URL, "fetched_at": 1.0, "body": ["not", "text"]})
def test_any_damaged_entry_is_as_good_as_none(data):
    with tempfile.TemporaryDirectory() as folder:
        cache = LastKnownGood(folder)
        cache.store(URL, "{}")
        fresh = LastKnownGood(folder)
        next(Path(folder).iterdir()).write_text(json.dumps(data))
        found = fresh.get(URL)
        assert found is None or (isinstance(found[0], float) and isinstance(found[1], str))
        assert fresh.age(URL) is None or found is not None


def test_an_unwritable_folder_keeps_the_copy_in_memory(tmp_path):
    cache = LastKnownGood(tmp_path / "cache")
    (tmp_path / "cache").rmdir()
    (tmp_path / "cache").write_text("a file where the folder was")
    cache.store("https://idp/meta", "{}")
    assert cache.get("https://idp/meta")[1] == "{}"
