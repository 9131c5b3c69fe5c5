"""Last-known-good copies on disk."""

from __future__ import annotations

from toolkit.resilience.lastknown import LastKnownGood


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
