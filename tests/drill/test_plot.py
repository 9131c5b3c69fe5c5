"""The timeline draws succeeded and handled operations apart (a 503 sign-in-unavailable page is
not a sign-in), and what the IdP received per operation."""

from __future__ import annotations

from loadtests.contract import Operation
from toolkit.drill import plot


def test_succeeded_and_handled_are_counted_apart():
    ops = [Operation(0.2, "new_sign_in", "ok", 5), Operation(1.5, "new_sign_in", "handled", 5), Operation(1.7, "new_sign_in", "handled", 5)]
    assert plot.per_second(ops, "new_sign_in", "ok", 3) == [1, 0, 0]
    assert plot.per_second(ops, "new_sign_in", "handled", 3) == [0, 2, 0]
    assert plot.per_second(ops, "signed_in", "ok", 3) == [0, 0, 0]


def test_the_timeline_has_a_panel_per_outcome_and_one_for_the_idp(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    card = {
        "scenario": "s",
        "users": 1,
        "passed": True,
        "phases": [
            {"name": "a", "fault": "none", "start_s": 0, "end_s": 2, "idp": {"per_operation": 2.0}, "idp_ratio": None},
            {"name": "b", "fault": "idp-outage", "start_s": 2, "end_s": 4, "idp": {"per_operation": 5.0}, "idp_ratio": 2.5},
        ],
    }
    ops = [Operation(0.5, "signed_in", "ok", 5), Operation(2.5, "new_sign_in", "handled", 5)]
    fig, axes = plt.subplots(4, 1)
    plot.draw(axes, card, ops)
    assert [a.get_ylabel() for a in axes] == ["succeeded/s", "handled/s", "failed/s", "IdP req / op"]
    assert "5.00 (x2.5)" in [t.get_text() for t in axes[3].texts]
    plt.close(fig)
    plot.timeline(card, ops, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
