"""The scorecard's records, its JSON and its JSON Schema (generated from the records)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from toolkit.drill import compare
from toolkit.drill.scorecard import IdpCounts, ObjectiveResult, PersonaStats, PhaseCard, Scorecard, json_schema, read

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "toolkit" / "drill" / "scorecard.schema.json"
DATA = Path(__file__).parent / "data"
#: a scorecard a real drill wrote (idp-outage on the reference app), and one the previous version
#: wrote (no typed records yet: no daemon fields on other personas)
RECORDED = DATA / "scorecard.json"
PREVIOUS = DATA / "scorecard-previous-version.json"


def test_the_checked_in_schema_is_the_one_the_records_give():
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), (
        "regenerate it: python -m toolkit.drill.scorecard > toolkit/drill/scorecard.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", [RECORDED, PREVIOUS], ids=["recorded", "previous-version"])
def test_a_real_scorecard_validates_and_reads(path):
    data = json.loads(path.read_text())
    jsonschema.validate(data, json_schema())
    card = Scorecard.from_json(path.read_text())
    assert card.scenario == "idp-outage" and [p.name for p in card.phases] == ["baseline", "outage", "recovery"]
    assert card.phase("outage") is not None and card.phase("outage").personas["signed_in"].requests > 0
    again = Scorecard.from_json(card.to_json())
    assert again == card
    jsonschema.validate(json.loads(card.to_json()), json_schema())


def test_what_a_scorecard_written_now_holds():
    card = Scorecard.from_json(RECORDED.read_text())
    daemon = card.phases[1].personas["daemon"]
    assert daemon.token_window_s == 5.0 and daemon.token_requests_per_window is not None
    assert card.emulator_clock_offset_s is not None and card.weights and card.app == "reference app"
    assert all(o.metric for o in card.objectives)


def test_drill_compare_reads_a_scorecard_of_the_previous_version(tmp_path):
    for name, source in (("before", PREVIOUS), ("now", RECORDED)):
        (tmp_path / name).mkdir()
        shutil.copy(source, tmp_path / name / "scorecard.json")
    written = compare.write(tmp_path / "before", tmp_path / "now", tmp_path / "cmp", allow_different=True)
    assert "## Phase outage" in written[0].read_text()


def test_a_file_that_is_not_a_scorecard_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Scorecard"):
        Scorecard.from_json('{"scenario": "s"}')
    with pytest.raises(ValueError, match="not a"):
        Scorecard.from_json(
            '{"scenario": 3, "passed": true, "phases": [], "objectives": [], "recovery_s": null, "signed_in_users_logged_out": 0}'
        )
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "scorecard.json").write_text("[]")
    with pytest.raises(compare.CompareError, match="not a scorecard"):
        compare.write(tmp_path / "a", tmp_path / "a", tmp_path / "cmp")


def test_records_survive_json_and_unknown_keys_are_left_out():
    stats = PersonaStats(requests=2, failures=1, success_ratio=0.5, p50_ms=1.0, p95_ms=2.0, rps=0.5, max_ms=2)
    phase = PhaseCard("a", "idp-outage", 0.0, 4.0, {"signed_in": stats}, IdpCounts(3, {"token": {"429": 3}}, 1.5), idp_ratio=2.0)
    card = Scorecard(
        "s", False, (phase,), (ObjectiveResult("o", ">= 1", 0.5, False, "success_ratio"),), 1.5, 0, app="x", weights={"signed_in": 1}
    )
    assert Scorecard.from_json(card.to_json()) == card
    assert read(PersonaStats, {**json.loads(json.dumps(stats.__dict__)), "from_a_later_version": 1}) == stats
    assert read(float | None, 3) == 3.0 and read(tuple[int, ...], [1, 2]) == (1, 2)
    with pytest.raises(ValueError):
        read(int, True)  # a boolean is not a count
