"""timeline.png: per persona, operations per second that succeeded, were handled (a designed
degraded answer, such as the 503 sign-in-unavailable page), or failed; and what the IdP received
per user operation in each phase. Fault windows are shaded."""

from __future__ import annotations

from pathlib import Path
from textwrap import shorten
from typing import Any

from loadtests.contract import FAILED, HANDLED, OK, PERSONAS, Operation
from toolkit.drill.scorecard import Scorecard

COLOURS = {"anonymous": "#7f7f7f", "signed_in": "#1f77b4", "new_sign_in": "#2ca02c", "daemon": "#ff7f0e", "api_caller": "#9467bd"}


def per_second(ops: list[Operation], persona: str, outcome: str, seconds: int) -> list[int]:
    """Operations of `persona` with `outcome`, per second of the run."""
    counts = [0] * seconds
    for o in ops:
        if o.persona == persona and o.outcome == outcome and 0 <= int(o.t) < seconds:
            counts[int(o.t)] += 1
    return counts


def draw(axes: Any, card: Scorecard, ops: list[Operation], label: str = "") -> None:
    """Draw one run onto four stacked axes: succeeded, handled, failed, IdP requests per operation."""
    ok_axis, handled_axis, bad_axis, idp_axis = axes
    end = max((p.end_s for p in card.phases), default=1.0)
    seconds = int(end) + 1
    for persona in PERSONAS:
        if not any(o.persona == persona for o in ops):
            continue
        for axis, outcome in ((ok_axis, OK), (handled_axis, HANDLED), (bad_axis, FAILED)):
            axis.plot(range(seconds), per_second(ops, persona, outcome, seconds), label=persona, color=COLOURS[persona], linewidth=1.4)
    for phase in card.phases:
        per_operation = phase.idp.per_operation if phase.idp else None
        if per_operation is not None:
            idp_axis.hlines(per_operation, phase.start_s, phase.end_s, color="#444444", linewidth=2.2)
            ratio = phase.idp_ratio
            text = f"{per_operation:.2f}" + (f" (x{ratio:.1f})" if ratio is not None else "")
            idp_axis.text((phase.start_s + phase.end_s) / 2, per_operation, text, ha="center", va="bottom", fontsize=8)
    for axis in axes:
        for phase in card.phases:
            if phase.fault != "none":
                axis.axvspan(phase.start_s, phase.end_s, color="#d62728", alpha=0.12)
        axis.set_ylim(bottom=0)
    for phase in card.phases:
        if phase.fault != "none":
            idp_axis.text(  # the top panel holds the legend; the fault is named where there is room
                (phase.start_s + phase.end_s) / 2, 0.95, phase.fault, transform=idp_axis.get_xaxis_transform(),
                ha="center", va="top", fontsize=9, color="#a01c1c",
            )  # fmt: skip
    ok_axis.set_ylabel("succeeded/s", fontsize=8)  # the run's name goes in the title, where a long one fits
    handled_axis.set_ylabel("handled/s", fontsize=8)
    bad_axis.set_ylabel("failed/s", fontsize=8)
    idp_axis.set_ylabel("IdP req / op", fontsize=8)
    if ok_axis.get_legend_handles_labels()[0]:
        ok_axis.legend(loc="upper left", fontsize=7, ncol=4)
    verdict = "PASSED" if card.passed else "FAILED"
    app = f" on {card.app}" if card.app and not label else ""
    prefix = f"{shorten(label, 40, placeholder='...')}: " if label else ""
    ok_axis.set_title(f"{prefix}{card.scenario}{shorten(app, 44, placeholder='...')} ({card.users} users) - {verdict}", fontsize=10)


def timeline(card: Scorecard, ops: list[Operation], path: Path) -> None:
    """Draw one run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 1.2, 1]})
    draw(axes, card, ops)
    axes[-1].set_xlabel("seconds since start")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
