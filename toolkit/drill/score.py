"""Turn the operations a drill recorded into a scorecard: per phase and persona, objectives,
recovery time, and signed-in users sent back to sign in."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from loadtests.contract import DAEMON, DAEMON_TOKEN, FAILED, OK, PERSONAS, Operation, Request, read_operations, read_requests
from toolkit.drill.replicas import read_probes
from toolkit.drill.scenario import EVERY_PHASE, Objective, Scenario
from toolkit.drill.scorecard import IdpCounts, ObjectiveResult, PersonaStats, PhaseCard, Replicas, Scorecard

RECOVERY_WINDOW_S = 1.0
RECOVERY_RATIO = 0.99


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def read_ops(path: Path) -> list[Operation]:
    """The operations of a run (`ops.jsonl`, times in seconds since the run started)."""
    return read_operations(path)


def app_requests_max_ms(sent: list[Request]) -> dict[str, float]:
    """The longest response time of each request to the app, from the requests the load test
    recorded (`requests.jsonl`; one cut off by the end of the run counts with the time it had
    waited); B2C's requests (named `PERSONA N b2c ...`) are left out."""
    longest: dict[str, float] = {}
    for r in sent:
        if r.to_app:
            longest[r.name] = max(longest.get(r.name, 0.0), round(r.ms, 1))
    return longest


def persona_stats(ops: list[Operation], seconds: float) -> PersonaStats:
    """requests, failures, handled, success_ratio, ok_ratio, p50_ms, p95_ms, max_ms, rps and
    genuine_tokens_refused of some operations."""
    times = [o.ms for o in ops]
    failures = sum(1 for o in ops if o.outcome == FAILED)
    ok = sum(1 for o in ops if o.outcome == OK)
    total = len(ops)
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    return PersonaStats(
        requests=total,
        failures=failures,
        handled=total - failures - ok,
        success_ratio=None if not total else round((total - failures) / total, 5),
        ok_ratio=None if not total else round(ok / total, 5),
        p50_ms=None if p50 is None else round(p50, 1),
        p95_ms=None if p95 is None else round(p95, 1),
        max_ms=max(times, default=None),
        rps=round(total / seconds, 2) if seconds > 0 else 0.0,
        genuine_tokens_refused=sum(o.genuine_tokens_refused for o in ops),
    )


def token_requests_per_window(ops: list[Operation], window_s: float) -> int:
    """The most token requests one daemon (one user id) sent within any `window_s` seconds."""
    by_daemon: dict[str, list[float]] = {}
    for o in ops:
        by_daemon.setdefault(o.user, []).append(o.t)
    most = 0
    for times in by_daemon.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= window_s:
                start += 1
            most = max(most, end - start + 1)
    return most


def genuine_tokens_refused(card: Scorecard, phase: str | None, persona: str | None) -> float | None:
    """401 answers the app gave to tokens the IdP issued, in `phase` (None: the whole run), to
    `persona` (None: every persona). None when there is no such phase, or `persona` made no
    operation there: nothing refused is then nothing tried."""
    phases = [p for p in card.phases if phase is None or p.name == phase]
    rows = [s for p in phases for name, s in p.personas.items() if persona in (None, name)]
    if not phases or (persona is not None and not sum(s.requests for s in rows)):
        return None
    return float(sum(s.genuine_tokens_refused for s in rows))


def recovery_s(ops: list[Operation], fault_end: float | None) -> float | None:
    """Seconds from the end of the last fault until new sign-ins succeed >= 99 % over one second."""
    if fault_end is None:
        return None
    sign_ins = sorted((o.t, o.outcome == OK) for o in ops if o.persona == "new_sign_in" and o.t >= fault_end)
    for i, (start, _) in enumerate(sign_ins):
        window = [ok for t, ok in sign_ins[i:] if t < start + RECOVERY_WINDOW_S]
        if window and sum(window) / len(window) >= RECOVERY_RATIO:
            return round(start - fault_end, 2)
    return None


def replicas(scenario: Scenario, out: Path) -> Replicas | None:
    """The added instances' figures, from `replicas.jsonl` and `front.json` (None: none added)."""
    added = sum(p.add_instances for p in scenario.phases)
    if not added:
        return None
    probes = read_probes(out / "replicas.jsonl")
    front = json.loads((out / "front.json").read_text()) if (out / "front.json").exists() else {}
    first = next(p.start_s for p in scenario.phases if p.add_instances)
    ready = min((p.t for p in probes if p.ready == 200), default=None)
    return Replicas(
        added=added,
        started=len({p.instance for p in probes}),
        ready_s=None if ready is None else round(max(0.0, ready - first), 2),
        requests=sum(front.get("requests", [])[1:]),
        probes=len(probes),
        users_logged_out=sum(1 for p in probes if p.page == "logged_out"),
        tokens_refused=sum(1 for p in probes if p.token == 401),
        readiness_wrong=sum(1 for p in probes if not p.honest),
    )


def observe(objective: Objective, card: Scorecard) -> float | None:
    """The scorecard value an objective checks; for every phase (`phase = "*"`), the worst one."""
    if objective.metric == "recovery_s":
        return card.recovery_s
    if objective.metric.startswith("replica_"):
        figure = getattr(card.replicas, objective.metric.removeprefix("replica_"), None) if card.replicas else None
        return None if figure is None else float(figure)
    if objective.metric == "signed_in_users_logged_out":
        return float(card.signed_in_users_logged_out)
    if objective.metric == "max_request_s":
        prefix = f"{objective.persona} " if objective.persona else ""
        found = [ms for name, ms in card.app_requests_max_ms.items() if name.startswith(prefix)]
        return round(max(found) / 1000, 3) if found else None
    if objective.phase == EVERY_PHASE:
        names = [p.name for p in card.phases if p.name != objective.baseline]
        values = [observe(replace(objective, phase=name), card) for name in names]
        if not values or any(v is None for v in values):
            return None  # a phase without such operations fails the objective
        found = [v for v in values if v is not None]
        return min(found) if objective.min is not None else max(found)
    if objective.metric == "genuine_tokens_refused":
        return genuine_tokens_refused(card, objective.phase, objective.persona)
    if objective.metric == "idp_requests_ratio":
        return idp_ratio(card.phases, objective.phase, objective.baseline, objective.groups)
    if objective.persona is None:
        return None
    if objective.metric == "p95_ratio":
        now, before = (
            _stat(card, objective.phase, objective.persona, "p95_ms"),
            _stat(card, objective.baseline, objective.persona, "p95_ms"),
        )
        return None if now is None or not before else round(now / before, 3)
    if objective.metric == "max_s":
        longest = _stat(card, objective.phase, objective.persona, "max_ms")
        return None if longest is None else round(longest / 1000, 3)
    return _stat(card, objective.phase, objective.persona, objective.metric)


def _stat(card: Scorecard, phase: str | None, persona: str, metric: str) -> float | None:
    """One figure of `persona` in `phase`; over the whole run (`phase` None), only the failures
    (summed) and the longest operation have a meaning."""
    if phase is None:
        rows = [s for p in card.phases if (s := p.personas.get(persona)) is not None]
        if metric == "failures":
            return float(sum(r.failures for r in rows))
        if metric == "max_ms":
            return max((r.max_ms for r in rows if r.max_ms is not None), default=None)
        return None
    found = card.phase(phase)
    stats = found.personas.get(persona) if found else None
    value = getattr(stats, metric, None) if stats else None
    return None if value is None else float(value)


def idp_ratio(phases: Sequence[PhaseCard], phase: str | None, baseline: str | None, groups: list[str] | None = None) -> float | None:
    """Amplification: IdP requests per user operation in `phase` over the same in `baseline`
    (default: the first phase without a fault); of the endpoint `groups` only, if given."""
    by_name = {p.name: p for p in phases}
    if baseline is None:
        baseline = next((p.name for p in phases if p.fault == "none"), None)
    now = idp_per_operation(by_name.get(phase or ""), groups)
    before = idp_per_operation(by_name.get(baseline or ""), groups)
    return None if now is None or not before else round(now / before, 3)


def idp_per_operation(phase: PhaseCard | None, groups: list[str] | None = None) -> float | None:
    """IdP requests per user operation in one phase of a scorecard: every request, or those of the
    endpoint `groups` (`metadata`, `jwks`, `token`, `pages`). None without IdP counts or operations."""
    if phase is None or phase.idp is None:
        return None
    if groups is None:
        return phase.idp.per_operation
    operations = sum(s.requests for s in phase.personas.values())
    requests = sum(count for group in groups for count in phase.idp.by_group.get(group, {}).values())
    return requests / operations if operations else None


def idp_stats(requests: dict[str, int] | None, operations: int) -> IdpCounts | None:
    """What the IdP received in one phase: requests by endpoint group and answer, per user operation."""
    if requests is None:
        return None
    by_group: dict[str, dict[str, int]] = {}
    for key, count in requests.items():
        group, _, answer = key.partition(" ")
        by_group.setdefault(group, {})[answer] = count
    total = sum(requests.values())
    return IdpCounts(requests=total, by_group=by_group, per_operation=round(total / operations, 3) if operations else None)


def build(scenario: Scenario, out: Path, skipped: dict[str, str] | None = None, app: str = "") -> Scorecard:
    """The scorecard of a finished run whose files are in `out` (`ops.jsonl`, `idp.json`) of the
    app named `app`. `skipped`: personas left out of this run (the app cannot serve them) and why."""
    skipped = skipped or {}
    ops = read_ops(out / "ops.jsonl")
    idp_file = out / "idp.json"
    counted = json.loads(idp_file.read_text()) if idp_file.exists() else {}
    idp = {p["name"]: p["requests"] for p in counted.get("phases", [])}
    phases: list[PhaseCard] = []
    for phase in scenario.phases:
        inside = [o for o in ops if phase.start_s <= o.t < phase.end_s]
        seconds = phase.end_s - phase.start_s
        personas = {
            name: persona_stats([o for o in inside if o.persona == name], seconds)
            for name in PERSONAS
            if scenario.weights.get(name) and name not in skipped
        }
        if DAEMON in personas:  # the Retry-After the fault sends (msal waits 5 s when there is none)
            window = max((f.retry_after_s for f in phase.faults if f.retry_after_s is not None), default=5.0)
            tokens = [o for o in inside if o.persona == DAEMON_TOKEN]
            personas[DAEMON] = replace(
                personas[DAEMON],
                token_requests=len(tokens),
                token_window_s=window,
                token_requests_per_window=token_requests_per_window(tokens, window),
            )
        operations = sum(1 for o in inside if o.persona in PERSONAS)
        phases.append(
            PhaseCard(phase.name, phase.fault_name, phase.start_s, phase.end_s, personas, idp_stats(idp.get(phase.name), operations))
        )
    phases = [replace(p, idp_ratio=idp_ratio(phases, p.name, None)) if p.fault != "none" else p for p in phases]
    card = Scorecard(
        scenario=scenario.name,
        app=app,
        passed=False,
        users=scenario.users,
        duration_s=scenario.duration_s,
        weights={name: (0 if name in skipped else weight) for name, weight in scenario.weights.items()},
        phases=tuple(phases),
        objectives=(),
        recovery_s=recovery_s(ops, scenario.last_fault_end_s),
        signed_in_users_logged_out=len({o.user for o in ops if o.persona == "signed_in" and o.logged_out}),
        app_requests_max_ms=app_requests_max_ms(read_requests(out / "requests.jsonl")),
        emulator_clock_offset_s=counted.get("clock_offset_s"),
        replicas=replicas(scenario, out),
    )
    results = []
    for objective in scenario.objectives:
        if objective.persona in skipped:
            reason = skipped[objective.persona]
            results.append(ObjectiveResult(objective.name, objective.threshold, None, True, objective.metric, skipped=reason))
            continue
        observed = observe(objective, card)
        results.append(ObjectiveResult(objective.name, objective.threshold, observed, objective.check(observed), objective.metric))
    return replace(card, objectives=tuple(results), passed=bool(ops) and all(r.passed for r in results))


def summary(card: Scorecard) -> str:
    """A readable table of a scorecard."""
    verdict = "PASSED" if card.passed else "FAILED"
    lines = [f"scenario {card.scenario}{' on ' + card.app if card.app else ''}: {verdict}  ({card.users} users, {card.duration_s:.0f} s)"]
    for phase in card.phases:
        lines.append(f"  {phase.name:<10} {phase.start_s:>5.1f}-{phase.end_s:<5.1f}s  fault: {phase.fault}")
        for name, s in phase.personas.items():
            ratio = "-" if s.success_ratio is None else f"{s.success_ratio:.4f}"
            p95 = "-" if s.p95_ms is None else f"{s.p95_ms:.0f}"
            longest = "-" if s.max_ms is None else f"{s.max_ms:.0f}"
            refused = f"  {s.genuine_tokens_refused} genuine tokens refused (401)" if s.genuine_tokens_refused else ""
            lines.append(
                f"      {name:<12} {s.requests:>6} ops  {s.handled:>4} handled  {s.failures:>4} failed  success {ratio:>6}"
                f"  p95 {p95:>6} ms  max {longest:>6} ms  {s.rps:>6.1f}/s{refused}"
            )
        idp = phase.idp
        if idp:
            groups = ", ".join(
                f"{g} " + "/".join(f"{a}:{n}" for a, n in sorted(answers.items())) for g, answers in sorted(idp.by_group.items())
            )
            ratio = f"  x{phase.idp_ratio} of baseline" if phase.idp_ratio is not None else ""
            lines.append(f"      IdP received {idp.requests} requests ({idp.per_operation} per operation{ratio}): {groups or '-'}")
    recovery = "n/a" if card.recovery_s is None else f"{card.recovery_s} s"
    lines.append(f"  recovery: {recovery}   signed-in users sent back to sign in: {card.signed_in_users_logged_out}")
    if card.replicas:
        r = card.replicas
        ready = "never" if r.ready_s is None else f"{r.ready_s} s into its phase"
        lines.append(
            f"  added instances: {r.started}/{r.added} started, ready {ready}, {r.requests} requests from the front;"
            f" {r.probes} probes: {r.users_logged_out} signed out, {r.tokens_refused} tokens refused, {r.readiness_wrong} readiness wrong"
        )
    lines.extend(
        f"  [SKIP] {o.name}: {o.skipped}"
        if o.skipped
        else f"  [{'PASS' if o.passed else 'FAIL'}] {o.name}: {observed(o)} (want {o.threshold})"
        for o in card.objectives
    )
    return "\n".join(lines)


#: metrics that count things: shown as whole numbers
COUNTS = (
    "failures", "signed_in_users_logged_out", "genuine_tokens_refused", "token_requests_per_window", "replica_requests",
    "replica_users_logged_out", "replica_tokens_refused", "replica_readiness_wrong",
)  # fmt: skip


def observed(objective: ObjectiveResult) -> str:
    """What an objective observed, named by its metric: `failures 0`, not a bare `0.0` that reads
    as the opposite of the objective's name (`every anonymous request handled: 0.0`)."""
    value, metric = objective.observed, objective.metric
    if value is None:
        shown = "nothing observed"
    elif metric in COUNTS and float(value).is_integer():
        shown = str(int(value))
    else:
        shown = f"{value:g}"
    if not metric:
        return shown
    seconds = metric.endswith("_s")
    return f"{metric.removesuffix('_s').replace('_', ' ')} {shown}{' s' if seconds and value is not None else ''}"
