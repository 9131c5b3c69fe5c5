"""Reading an export: Graph's date forms, and damaged or partial exports named clearly."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.tenant.exports import audit_dir, key, write_export
from toolkit.cli import main
from toolkit.tenant.load import ExportError, load, parse_date, parse_horizon

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-01T00:00:00Z", dt.datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-01T00:00:00.1234567Z", dt.datetime(2026, 6, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-06-01T02:00:00+02:00", dt.datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-05-31T19:00:00-0500", dt.datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-01T00:00:00", dt.datetime(2026, 6, 1, tzinfo=UTC)),  # no zone: UTC, as Graph means
        ("2026-06-01", dt.datetime(2026, 6, 1, tzinfo=UTC)),
        (1780272000, dt.datetime(2026, 6, 1, tzinfo=UTC)),  # NumericDate (a key's exp)
        ("1780272000", dt.datetime(2026, 6, 1, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_graph_date_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["soon", "2026-13-01", True, 10**20, [1], "2026-06-01T25:00:00Z"])
def test_not_dates(value):
    with pytest.raises(ValueError, match="not a date"):
        parse_date(value)


def test_horizon():
    assert parse_horizon("30d") == dt.timedelta(days=30) and parse_horizon("2w") == dt.timedelta(weeks=2)
    assert parse_horizon("72h") == dt.timedelta(hours=72) and parse_horizon("10") == dt.timedelta(days=10)
    with pytest.raises(ValueError, match="30d, 12w, 72h"):
        parse_horizon("a month")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"value": [', "keySets.json:1:12: invalid JSON"),
        ('{"values": []}', 'not a Graph collection (an object with a "value" list)'),
        ('{"value": [42]}', "record 1 is not an object"),
        (
            '{"value": [{"id": "B2C_1A_X", "keys": [{"kid": "a", "exp": "next week"}]}]}',
            "key set B2C_1A_X, key 1: exp 'next week' is not a date",
        ),
        ('{"value": [{"id": "B2C_1A_X", "keys": {"kid": "a"}}]}', "key set B2C_1A_X: keys must be a list"),
        ('{"value": [{"keys": []}]}', "record 1: id must be a string"),
    ],
)
def test_a_damaged_file_is_named_with_what_is_wrong(tmp_path, capsys, content, message):
    folder = write_export(tmp_path, keySets=[])
    (folder / "keySets.json").write_text(content)
    with pytest.raises(ExportError, match=r"keySets\.json"):
        load(folder)
    assert main(["tenant", "audit", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_manifest_and_missing_folder(tmp_path, capsys):
    assert main(["tenant", "audit", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text('{"resources": []}')
    assert main(["tenant", "audit", str(tmp_path)]) == 2
    assert "not a tenant export manifest" in capsys.readouterr().err


def test_a_resource_not_read_skips_its_rules_with_the_reason(tmp_path, capsys):
    folder = write_export(tmp_path, keySets=[{"id": "B2C_1A_X", "keys": [key("a")]}], applications=[])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["resources"]["applications"] = {
        "read": False,
        "status": 403,
        "reason": "403 Authorization_RequestDenied: the app lacks Application.Read.All",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["tenant", "audit", str(folder), "--at", "2026-06-01"]) == 0
    assert (
        "note: CRED001 skipped: applications: not exported: 403 Authorization_RequestDenied: the app lacks Application.Read.All"
        in capsys.readouterr().err
    )


def test_a_file_the_manifest_says_was_read_but_is_gone(tmp_path, capsys):
    folder = write_export(tmp_path, applications=[])
    (folder / "applications.json").unlink()
    assert audit_dir(folder) == []
    main(["tenant", "audit", str(folder)])
    assert "applications.json is missing although the manifest says it was read" in capsys.readouterr().err


def test_hand_edited_export_without_manifest(tmp_path):
    (tmp_path / "keySets.json").write_text(
        json.dumps({"value": [{"id": "B2C_1A_X", "keys": [key("a", "2025-01-01", "2026-01-01")]}]}, indent=2)
    )
    (problem,) = audit_dir(tmp_path)
    assert problem.rule == "KEY001" and problem.line == 4  # the line its id is written on


def test_bad_at_and_horizon_are_usage_errors(tmp_path, capsys):
    folder = write_export(tmp_path)
    assert main(["tenant", "audit", str(folder), "--at", "tomorrow"]) == 2
    assert "--at 'tomorrow'" in capsys.readouterr().err
    assert main(["tenant", "audit", str(folder), "--horizon", "soon"]) == 2
