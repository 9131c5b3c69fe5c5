"""Scenarios: load, persona weights, phases with faults, and objectives, from a TOML file.

Phase lengths are shares of the run, so `--duration` rescales a scenario. A phase's fault (a
table, or a list of tables for faults at once) is applied through the emulator's timeline when the
phase starts and lasts the whole phase; the `rotate-keys` fault is an instant action.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.contract import PERSONAS, FaultEntry
from toolkit.emulator.faults import FaultError, check_entry

SCENARIOS = Path(__file__).resolve().parents[2] / "loadtests" / "scenarios"
METRICS = (
    "success_ratio",
    "ok_ratio",
    "failures",
    "p95_ratio",
    "p95_ms",
    "max_s",
    "max_request_s",
    "signed_in_users_logged_out",
    "recovery_s",
    "idp_requests_ratio",
    "token_requests_per_window",  #: daemon: most token requests one daemon sent within one Retry-After window
    "genuine_tokens_refused",  #: 401 answers the app gave to tokens the IdP issued (API callers)
    # instances a phase added (add_instances), probed directly: see toolkit/drill/replicas.py
    "replica_ready_s",  #: from the phase's start to the first added instance's first ready answer
    "replica_requests",  #: requests the front gave the added instances
    "replica_users_logged_out",  #: probes in which a user signed in before the faults was sent to sign in
    "replica_tokens_refused",  #: probes in which a token issued before the faults was refused (401)
    "replica_readiness_wrong",  #: probes in which readiness disagreed with what the instance did
)
FLAVORS = ("b2c", "external-id")
#: metrics that take a time budget (budget_s, margin_s) in place of `max`
BUDGETED = ("max_s", "max_request_s")
#: the IdP's endpoint groups, as the emulator counts requests (`groups` of an objective)
IDP_GROUPS = ("metadata", "jwks", "pages", "token")
#: `phase = "*"`: the objective holds in every phase (its worst phase is what is observed)
EVERY_PHASE = "*"


class ScenarioError(ValueError):
    """A scenario file that cannot be used (usage error, exit 2)."""


@dataclass(frozen=True)
class Phase:
    """One stretch of the run, timed, with the faults played through it (none, one, or several at once)."""

    name: str
    share: float
    start_s: float
    end_s: float
    faults: tuple[FaultEntry, ...] = ()
    #: instances of the app an autoscaler adds when the phase starts (each with an empty folder)
    add_instances: int = 0

    @property
    def fault_name(self) -> str:
        """`idp-outage` for a full outage, else `kind:group` (joined by `+` for faults at once), or `none`."""
        return "+".join(f.label for f in self.faults) or "none"


@dataclass
class Objective:
    """A pass/fail check on the scorecard."""

    name: str
    metric: str
    persona: str | None = None
    phase: str | None = None
    baseline: str | None = None
    min: float | None = None
    max: float | None = None
    #: `max_s` and `max_request_s` only: the app's time budget for IdP work in one request, and
    #: what a request may take beyond it (answering, queueing); together they are the `max`
    budget_s: float | None = None
    margin_s: float | None = None
    #: `idp_requests_ratio` only: count the requests of these endpoint groups alone (e.g. the app's
    #: own: metadata, jwks, token; leaving out the sign-in pages the simulated browsers load)
    groups: list[str] | None = None

    @property
    def ceiling(self) -> float | None:
        """`max`, or else the time budget plus its margin."""
        if self.max is not None or self.budget_s is None:
            return self.max
        return self.budget_s + (self.margin_s or 0.0)

    def check(self, observed: float | None) -> bool:
        """True when `observed` is within bounds (a missing value fails)."""
        if observed is None:
            return False
        return (self.min is None or observed >= self.min) and (self.ceiling is None or observed <= self.ceiling)

    @property
    def threshold(self) -> str:
        """`>= 0.999`, `<= 5`, `0.9 .. 1.0` or `<= 4 (budget 3 s + margin 1 s)`."""
        if self.min is not None and self.ceiling is not None:
            return f"{self.min} .. {self.ceiling}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is None and self.budget_s is not None:
            return f"<= {self.ceiling:g} (budget {self.budget_s:g} s + margin {self.margin_s or 0:g} s)"
        return f"<= {self.max}"


@dataclass
class Scenario:
    """A drill scenario."""

    name: str
    description: str
    users: int
    spawn_rate: float
    duration_s: float
    weights: dict[str, int]
    phases: list[Phase]
    objectives: list[Objective] = field(default_factory=list)
    source: str = ""  #: the TOML file it came from
    app: dict[str, Any] | None = None  #: the file's `[app]` table, if any (an app profile)
    flavor: str = "b2c"  #: the kind of tenant the emulator plays: b2c or external-id

    def timeline(self) -> tuple[FaultEntry, ...]:
        """The emulator fault timeline of this scenario."""
        return tuple(entry for phase in self.phases for entry in phase.faults)

    @property
    def scales_out(self) -> bool:
        """Some phase adds instances of the app while the run goes on."""
        return any(p.add_instances for p in self.phases)

    @property
    def last_fault_end_s(self) -> float | None:
        """When the last lasting fault ends (for recovery time)."""
        ends = [p.end_s for p in self.phases if any(not f.instant for f in p.faults)]
        return max(ends) if ends else None


def find(name_or_path: str) -> Path:
    """A scenario by name (`idp-outage`) or path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    candidate = SCENARIOS / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.toml")))
    raise ScenarioError(f"no scenario {name_or_path!r} (known: {known})")


def load(
    name_or_path: str,
    users: int | None = None,
    duration_s: float | None = None,
    weights: dict[str, int] | None = None,
    flavor: str | None = None,
) -> Scenario:
    """Read, validate and time a scenario; `users`, `duration_s`, `weights` and `flavor` override it."""
    path = find(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from None
    try:
        rows = [(p["name"], float(p["share"]), p.get("fault"), p.get("add_instances", 0)) for p in data["phases"]]
        objectives = [Objective(**o) for o in data.get("objectives", [])]
        scenario = Scenario(
            name=data.get("name", path.stem),
            description=data.get("description", ""),
            users=int(users if users is not None else data.get("users", 20)),
            spawn_rate=float(data.get("spawn_rate", 10)),
            duration_s=float(duration_s if duration_s is not None else data.get("duration_s", 60)),
            weights={**dict.fromkeys(PERSONAS, 0), **data.get("weights", {}), **(weights or {})},
            phases=[],
            objectives=objectives,
            source=str(path),
            app=data.get("app"),
            flavor=str(flavor or data.get("flavor", "b2c")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(f"{path}: {exc.__class__.__name__}: {exc}") from None
    scenario.phases = _timed(rows, scenario.duration_s, path)
    problem = _problem(scenario)
    if problem:
        raise ScenarioError(f"{path}: {problem}")
    # All users are up within the first half of the first phase, whatever --users says.
    first = scenario.phases[0].end_s - scenario.phases[0].start_s
    scenario.spawn_rate = max(scenario.spawn_rate, scenario.users / max(1.0, first / 2))
    return scenario


def _timed(rows: list[tuple[Any, float, Any, Any]], duration_s: float, path: Path) -> list[Phase]:
    """Phases from (name, share, fault, add_instances) rows: each share of the run timed, each fault
    table (or list of tables, played at once) made a timeline entry that lasts the phase."""
    total = sum(row[1] for row in rows) or 1.0
    clock, phases = 0.0, []
    for name, share, fault, added in rows:
        if isinstance(added, bool) or not isinstance(added, int) or not 0 <= added <= 8:
            raise ScenarioError(f"{path}: phase {name!r}: add_instances is a whole number from 0 to 8")
        start_s = round(clock, 3)
        clock += duration_s * share / total
        end_s = round(clock, 3)
        tables = [] if fault is None else fault if isinstance(fault, list) else [fault]
        if (fault is not None and not tables) or not all(isinstance(t, dict) and isinstance(t.get("kind"), str) for t in tables):
            raise ScenarioError(f'{path}: phase {name!r}: a fault is a table such as {{ kind = "outage" }}, or a list of such tables')
        faults = tuple(FaultEntry.from_table(t, start_s, end_s) for t in tables)
        phases.append(Phase(name, share, start_s, end_s, faults, added))
    return phases


def _problem(scenario: Scenario) -> str | None:
    """What makes a loaded scenario unusable, checked before anything starts."""
    if scenario.users < 1 or not 5 <= scenario.duration_s < math.inf:
        return "users must be >= 1 and duration >= 5 s"
    if not 0 < scenario.spawn_rate < math.inf:
        return "spawn_rate must be a positive number"
    if scenario.flavor not in FLAVORS:
        return f"flavor must be one of {', '.join(FLAVORS)}"
    if scenario.flavor == "external-id" and scenario.weights.get("api_caller"):
        return "External ID offers no ROPC: give api_caller weight 0 (the daemon persona calls the API with client credentials)"
    unknown = set(scenario.weights) - set(PERSONAS)
    if unknown:
        return f"unknown persona {sorted(unknown)[0]!r} (known: {', '.join(PERSONAS)})"
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in scenario.weights.values()) or not sum(scenario.weights.values()):
        return "weights must be whole numbers >= 0, at least one of them above 0"
    if not scenario.phases:
        return "a scenario needs at least one [[phases]] entry"
    names = [p.name for p in scenario.phases]
    for phase in scenario.phases:
        if not isinstance(phase.name, str) or names.count(phase.name) > 1 or phase.name == EVERY_PHASE:
            return f"phase names must be distinct strings other than {EVERY_PHASE!r} ({phase.name!r})"
        if not 0 < phase.share < math.inf:
            return f"phase {phase.name!r}: share must be a positive number"
        for entry in phase.faults:
            try:
                check_entry(entry.to_json())  # what the emulator will be sent: the emulator says what a fault is
            except FaultError as exc:
                return f"phase {phase.name!r}: {exc}"
    for objective in scenario.objectives:
        if objective.metric not in METRICS:
            return f"objective {objective.name!r}: unknown metric {objective.metric!r}"
        if objective.persona is not None and objective.persona not in PERSONAS:
            return f"objective {objective.name!r}: unknown persona {objective.persona!r}"
        if objective.metric in ("idp_requests_ratio", "p95_ratio") and objective.phase is None:
            return f"objective {objective.name!r}: {objective.metric} needs a phase"
        for phase_name in (objective.phase, objective.baseline):
            if phase_name is not None and phase_name not in names and (phase_name, objective.phase) != (EVERY_PHASE, EVERY_PHASE):
                return f"objective {objective.name!r}: no phase {phase_name!r}"
        if objective.metric == "max_request_s" and objective.phase is not None:
            return f"objective {objective.name!r}: max_request_s is measured over the whole run (no phase)"
        if objective.groups is not None and (
            objective.metric != "idp_requests_ratio"
            or not isinstance(objective.groups, list)
            or not objective.groups
            or any(g not in IDP_GROUPS for g in objective.groups)
        ):
            return f"objective {objective.name!r}: groups go with idp_requests_ratio, a list of {', '.join(IDP_GROUPS)}"
        problem = _budget_problem(objective)
        if problem:
            return f"objective {objective.name!r}: {problem}"
        bounds = [b for b in (objective.min, objective.max, objective.budget_s) if b is not None]
        if not bounds or any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds):
            return f"objective {objective.name!r}: min and/or max must be numbers"
    return None


def _budget_problem(objective: Objective) -> str | None:
    """What is wrong with an objective's time budget and margin, if anything."""
    if objective.budget_s is None and objective.margin_s is None:
        return None
    if objective.metric not in BUDGETED or objective.budget_s is None:
        return f"budget_s (and margin_s) go with metric {' or '.join(BUDGETED)}, budget_s first"
    for name, value in (("budget_s", objective.budget_s), ("margin_s", objective.margin_s or 0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
            return f"{name} must be a number of seconds >= 0"
    return None


def parse_weights(text: str) -> dict[str, int]:
    """`signed_in=4,new_sign_in=2` → dict (usage errors raise ScenarioError)."""
    weights: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in PERSONAS or not value.isdecimal():
            raise ScenarioError(f"bad persona weight {part!r}: use NAME=N with NAME one of {', '.join(PERSONAS)}")
        weights[name] = int(value)
    return weights
