"""timeline.png: operations per second per persona, failures, and the fault windows shaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.drill.scenario import PERSONAS

COLOURS = {"anonymous": "#7f7f7f", "signed_in": "#1f77b4", "new_sign_in": "#2ca02c", "daemon": "#ff7f0e", "api_caller": "#9467bd"}


def timeline(card: dict[str, Any], ops: list[tuple[float, str, str, float, str, bool]], path: Path) -> None:
    """Draw the run: one line per persona (handled ops/s), red markers for failures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max((p["end_s"] for p in card["phases"]), default=1.0)
    seconds = int(end) + 1
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    for persona in PERSONAS:
        mine = [o for o in ops if o[1] == persona]
        if not mine:
            continue
        good = [0] * seconds
        bad = [0] * seconds
        for o in mine:
            second = int(o[0])
            if 0 <= second < seconds:
                (bad if o[2] == "failed" else good)[second] += 1
        top.plot(range(seconds), good, label=persona, color=COLOURS[persona], linewidth=1.6)
        bottom.plot(range(seconds), bad, color=COLOURS[persona], linewidth=1.4)
    for axis in (top, bottom):
        for phase in card["phases"]:
            if phase["fault"] != "none":
                axis.axvspan(phase["start_s"], phase["end_s"], color="#d62728", alpha=0.12)
    for phase in card["phases"]:
        if phase["fault"] != "none":
            top.text(
                (phase["start_s"] + phase["end_s"]) / 2,
                0.97,
                phase["fault"],
                transform=top.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=9,
                color="#a01c1c",
            )
    top.set_ylabel("handled operations / s")
    bottom.set_ylabel("failed / s")
    bottom.set_xlabel("seconds since start")
    verdict = "PASSED" if card["passed"] else "FAILED"
    top.set_title(f"b2c-toolkit drill: {card['scenario']} ({card['users']} users) - {verdict}")
    top.legend(loc="upper left", fontsize=8, ncol=4)
    top.set_ylim(bottom=0)
    bottom.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
