"""The timeline draws succeeded and handled operations apart (a 503 sign-in-unavailable page is
not a sign-in), and what the IdP received per operation."""

from __future__ import annotations

from loadtests.contract import Operation
from toolkit.drill import plot
from toolkit.drill.scorecard import IdpCounts, PhaseCard, Scorecard


def test_succeeded_and_handled_are_counted_apart():
    ops = [Operation(0.2, "new_sign_in", "ok", 5), Operation(1.5, "new_sign_in", "handled", 5), Operation(1.7, "new_sign_in", "handled", 5)]
    assert plot.per_second(ops, "new_sign_in", "ok", 3) == [1, 0, 0]
    assert plot.per_second(ops, "new_sign_in", "handled", 3) == [0, 2, 0]
    assert plot.per_second(ops, "signed_in", "ok", 3) == [0, 0, 0]


def test_the_timeline_has_a_panel_per_outcome_and_one_for_the_idp(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    card = Scorecard(
        scenario="s",
        passed=True,
        users=1,
        phases=(
            PhaseCard("a", "none", 0, 2, {}, IdpCounts(10, {}, 2.0)),
            PhaseCard("b", "idp-outage", 2, 4, {}, IdpCounts(25, {}, 5.0), idp_ratio=2.5),
        ),
        objectives=(),
        recovery_s=None,
        signed_in_users_logged_out=0,
    )
    ops = [Operation(0.5, "signed_in", "ok", 5), Operation(2.5, "new_sign_in", "handled", 5)]
    fig, axes = plt.subplots(4, 1)
    plot.draw(axes, card, ops)
    assert [a.get_ylabel() for a in axes] == ["succeeded/s", "handled/s", "failed/s", "IdP req / op"]
    assert "5.00 (x2.5)" in [t.get_text() for t in axes[3].texts]
    plt.close(fig)
    plot.timeline(card, ops, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")
