"""Side by side: two runs of one scenario (two apps, or one app before and after a change) as
Markdown and HTML tables (per phase and persona; each objective for both) and one figure with
both timelines."""

from __future__ import annotations

import html
from pathlib import Path

from loadtests.contract import Operation, read_operations
from toolkit.drill.scorecard import ObjectiveResult, PersonaStats, PhaseCard, Scorecard


class CompareError(ValueError):
    """Folders that cannot be compared (exit 2)."""


def _run(folder: Path) -> tuple[Scorecard, list[Operation]]:
    card_file = folder / "scorecard.json"
    if not card_file.exists():
        raise CompareError(f"{folder}: no scorecard.json (not the results folder of a finished drill)")
    try:
        card = Scorecard.from_json(card_file.read_text())
    except ValueError as exc:
        raise CompareError(f"{card_file}: not a scorecard: {exc}") from None
    return card, read_operations(folder / "ops.jsonl")


def label(card: Scorecard, folder: Path) -> str:
    """What a run is called in the comparison: its app, else its folder."""
    return card.app or folder.name


def _cell(stats: PersonaStats | None, seconds: float, users: int) -> str:
    """One persona in one phase of one run: its operations, and their rate per second and per
    user over that run's own phase (runs of different lengths or loads stay comparable)."""
    if not stats or not stats.requests:
        return "-"
    ok = stats.requests - stats.failures - stats.handled
    p95 = "-" if stats.p95_ms is None else f"{stats.p95_ms:.0f} ms"
    rate = stats.requests / seconds if seconds > 0 else 0.0
    return (
        f"{stats.requests} ops ({rate:.1f}/s, {rate / max(users, 1):.2f}/s per user): "
        f"{ok} ok, {stats.handled} handled, {stats.failures} failed; p95 {p95}"
    )


def differences(a: Scorecard, b: Scorecard) -> list[str]:
    """What makes two runs not comparable figure for figure: users, duration, persona mix, phases."""
    found = []
    if a.users != b.users:
        found.append(f"users {a.users} vs {b.users}")
    if a.duration_s != b.duration_s:
        found.append(f"duration {a.duration_s:g} s vs {b.duration_s:g} s")
    mix_a, mix_b = a.weights, b.weights
    if mix_a is not None and mix_b is not None and {k: v for k, v in mix_a.items() if v} != {k: v for k, v in mix_b.items() if v}:
        found.append(f"persona mix {_mix(mix_a)} vs {_mix(mix_b)}")
    phases_a = [(p.name, p.start_s, p.end_s) for p in a.phases]
    phases_b = [(p.name, p.start_s, p.end_s) for p in b.phases]
    if phases_a != phases_b:
        found.append(f"phases {_phases(phases_a)} vs {_phases(phases_b)}")
    return found


def _mix(weights: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in weights.items() if v) or "-"


def _phases(phases: list[tuple[str, float, float]]) -> str:
    return ", ".join(f"{name} {start:g}-{end:g} s" for name, start, end in phases)


def _seconds(phase: PhaseCard | None) -> float:
    return phase.end_s - phase.start_s if phase else 0.0


def _phase_title(name: str, a: PhaseCard | None, b: PhaseCard | None, names: tuple[str, str]) -> str:
    """A phase's heading with each run's own times (and fault, when they differ)."""
    when = [(f"{p.start_s:.0f}-{p.end_s:.0f} s", p.fault) if p else ("not run", "-") for p in (a, b)]
    if when[0] == when[1]:
        return f"Phase {name} ({when[0][0]}, fault: {when[0][1]})"
    return f"Phase {name} ({names[0]}: {when[0][0]}, fault: {when[0][1]}; {names[1]}: {when[1][0]}, fault: {when[1][1]})"


def _idp_cell(phase: PhaseCard | None) -> str:
    if phase is None or phase.idp is None:
        return "-"
    ratio = f" (x{phase.idp_ratio} of baseline)" if phase.idp_ratio is not None else ""
    return f"{phase.idp.requests} requests, {phase.idp.per_operation} per operation{ratio}"


def _objective(o: ObjectiveResult | None) -> str:
    if o is None:
        return "-"
    if o.skipped:
        return "skipped"
    return f"{'PASS' if o.passed else 'FAIL'} ({o.observed})"


def tables(a: Scorecard, b: Scorecard, names: tuple[str, str]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for each table of the comparison."""
    found = []
    users_a, users_b = a.users, b.users
    for name in dict.fromkeys([*(p.name for p in a.phases), *(p.name for p in b.phases)]):
        mine, other = a.phase(name), b.phase(name)
        personas = list(dict.fromkeys([*(mine.personas if mine else {}), *(other.personas if other else {})]))
        rows = [
            [
                p,
                _cell(mine.personas.get(p) if mine else None, _seconds(mine), users_a),
                _cell(other.personas.get(p) if other else None, _seconds(other), users_b),
            ]
            for p in personas
        ]
        rows.append(["IdP received", _idp_cell(mine), _idp_cell(other)])
        found.append((_phase_title(name, mine, other, names), ["persona", *names], rows))
    objectives_b = {o.name: o for o in b.objectives}
    rows = [[o.name + f" (want {o.threshold})", _objective(o), _objective(objectives_b.get(o.name))] for o in a.objectives]
    rows.extend([[o.name, "-", _objective(o)] for o in b.objectives if o.name not in {r.name for r in a.objectives}])
    rows.append(["recovery (s)", str(a.recovery_s), str(b.recovery_s)])
    rows.append(["signed-in users sent back to sign in", str(a.signed_in_users_logged_out), str(b.signed_in_users_logged_out)])
    rows.append(["verdict", "PASSED" if a.passed else "FAILED", "PASSED" if b.passed else "FAILED"])
    found.append(("Objectives", ["objective", *names], rows))
    return found


def markdown(title: str, found: list[tuple[str, list[str], list[list[str]]]], image: str) -> str:
    """The comparison as Markdown."""
    lines = [f"# {title}", "", f"![both timelines]({image})", ""]
    for heading, header, rows in found:
        lines += [f"## {heading}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def html_page(title: str, found: list[tuple[str, list[str], list[list[str]]]], image: str) -> str:
    """The comparison as one HTML page."""
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<img src="{html.escape(image)}" alt="both timelines">',
    ]
    for heading, header, rows in found:
        parts.append(f"<h2>{html.escape(heading)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        parts.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def figure(runs: list[tuple[Scorecard, list[Operation], str]], path: Path) -> None:
    """Both timelines in one figure, side by side, on shared scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.drill import plot

    fig, axes = plt.subplots(
        4, len(runs), figsize=(7 * len(runs), 7.5), sharex=True, sharey="row", gridspec_kw={"height_ratios": [3, 1.2, 1.2, 1]}
    )
    for column, (card, ops, name) in enumerate(runs):
        plot.draw([row[column] for row in axes], card, ops, name)
        axes[-1][column].set_xlabel("seconds since start")
    for row in axes:  # one scale per row, fitting both runs
        top = max(max(axis.dataLim.y1 for axis in row), 0.5) * 1.15
        for axis in row:
            axis.set_ylim(0, top)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(first: Path, second: Path, out: Path, allow_different: bool = False) -> list[Path]:
    """Write comparison.md, comparison.html and comparison.png to `out`; return them. Runs that
    differ in users, duration, persona mix or phases are refused unless `allow_different`."""
    (a, ops_a), (b, ops_b) = _run(first), _run(second)
    if a.scenario != b.scenario:
        raise CompareError(f"{first} ran scenario {a.scenario!r} and {second} ran {b.scenario!r}: compare runs of one scenario")
    differ = differences(a, b)
    if differ and not allow_different:
        raise CompareError(
            f"{first} and {second} are not comparable figure for figure: {'; '.join(differ)}. "
            "Run both alike, or pass --allow-different to compare rates per second and per user with each run's own phases"
        )
    names = (label(a, first), label(b, second))
    if names[0] == names[1]:
        names = (f"{names[0]} ({first.name})", f"{names[1]} ({second.name})")
    out.mkdir(parents=True, exist_ok=True)
    title = f"{a.scenario}: {names[0]} vs {names[1]}"
    found = tables(a, b, names)
    if differ:
        found.insert(0, ("Runs that differ", ["what differs"], [[d] for d in differ]))
    figure([(a, ops_a, names[0]), (b, ops_b, names[1])], out / "comparison.png")
    (out / "comparison.md").write_text(markdown(title, found, "comparison.png"))
    (out / "comparison.html").write_text(html_page(title, found, "comparison.png"))
    return [out / "comparison.md", out / "comparison.html", out / "comparison.png"]
