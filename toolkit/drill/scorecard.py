"""The scorecard: what a drill measured and how each objective came out, as typed records.

Scoring builds it, the summary, the timeline plot and `drill compare` read its attributes, and
`scorecard.json` is its JSON. Locust never reads it, so it lives with the drill. Its JSON Schema
(`scorecard.schema.json`) is generated from these records (`json_schema`): a field is required
when it has no default, so a scorecard written by an earlier version, without the fields added
since, still reads.

    python -m toolkit.drill.scorecard > toolkit/drill/scorecard.schema.json
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def doc(text: str, **schema: Any) -> dict[str, Any]:
    """A field's metadata: its description in the JSON Schema, and more keywords (`minimum`...)."""
    return {"schema": {"description": text, **schema}}


@dataclass(frozen=True)
class PersonaStats:
    """One persona's operations in one phase."""

    requests: int = field(metadata=doc("operations that started in the phase", minimum=0))
    failures: int = field(metadata=doc("operations that failed", minimum=0))
    success_ratio: float | None = field(metadata=doc("(ok + handled) / operations; null without operations", minimum=0, maximum=1))
    p50_ms: float | None = field(metadata=doc("median operation time"))
    p95_ms: float | None = field(metadata=doc("95th percentile operation time"))
    rps: float = field(metadata=doc("operations per second of the phase", minimum=0))
    handled: int = field(default=0, metadata=doc("designed degraded answers, such as the 503 sign-in-unavailable page", minimum=0))
    ok_ratio: float | None = field(default=None, metadata=doc("ok / operations", minimum=0, maximum=1))
    max_ms: float | None = field(default=None, metadata=doc("the longest operation"))
    genuine_tokens_refused: int = field(default=0, metadata=doc("401 answers the app gave to tokens the IdP issued", minimum=0))
    token_requests: int | None = field(default=None, metadata=doc("daemon: token requests its daemons sent", minimum=0))
    token_window_s: float | None = field(default=None, metadata=doc("daemon: the fault's Retry-After window (5 s when it sends none)"))
    token_requests_per_window: int | None = field(
        default=None, metadata=doc("daemon: the most token requests one daemon sent within one window", minimum=0)
    )


@dataclass(frozen=True)
class IdpCounts:
    """What the IdP (the emulator) received in one phase."""

    requests: int = field(metadata=doc("requests the IdP received", minimum=0))
    by_group: dict[str, dict[str, int]] = field(metadata=doc("requests by endpoint group (metadata, jwks, pages, token) and answer"))
    per_operation: float | None = field(metadata=doc("IdP requests per user operation"))


@dataclass(frozen=True)
class PhaseCard:
    """One phase of the run: its fault, each persona's figures, and what the IdP received."""

    name: str = field(metadata=doc("the scenario's phase"))
    fault: str = field(metadata=doc("idp-outage, kind:group (joined by + for faults at once), or none"))
    start_s: float = field(metadata=doc("seconds since the run started"))
    end_s: float = field(metadata=doc("seconds since the run started"))
    personas: dict[str, PersonaStats] = field(metadata=doc("by persona"))
    idp: IdpCounts | None = field(default=None, metadata=doc("what the IdP received in this phase; null for a real tenant"))
    idp_ratio: float | None = field(default=None, metadata=doc("IdP requests per user operation in this fault phase over the baseline's"))


@dataclass(frozen=True)
class ObjectiveResult:
    """How one objective of the scenario came out."""

    name: str = field(metadata=doc("the objective's name"))
    threshold: str = field(metadata=doc("its bound, as read: >= 0.999, <= 5, <= 7 (budget 5 s + margin 2 s)"))
    observed: float | None = field(metadata=doc("the value measured; null when nothing was observed (the objective fails)"))
    passed: bool = field(metadata=doc("within the bound (or skipped)"))
    metric: str = field(default="", metadata=doc("what the objective measures (its scenario's metric)"))
    skipped: str | None = field(default=None, metadata=doc("why the objective does not apply to this app"))


@dataclass(frozen=True)
class Replicas:
    """Instances of the app a scale-out phase added, as the drill watched them: probed directly
    every half second with a user signed in and a token issued before any fault."""

    added: int = field(metadata=doc("instances the scenario's phases asked for", minimum=0))
    started: int = field(metadata=doc("of them, those that started and were probed", minimum=0))
    ready_s: float | None = field(
        metadata=doc("from the start of the phase that added the first one to its first ready answer; null: never ready", minimum=0)
    )
    requests: int = field(metadata=doc("requests the front gave the added instances", minimum=0))
    probes: int = field(metadata=doc("rounds of probes", minimum=0))
    users_logged_out: int = field(metadata=doc("rounds in which the signed-in user was sent to sign in", minimum=0))
    tokens_refused: int = field(metadata=doc("rounds in which the genuine token was refused (401)", minimum=0))
    readiness_wrong: int = field(
        metadata=doc(
            "rounds in which readiness said ready while it failed the user or the token, or not ready while it served both", minimum=0
        )
    )


@dataclass(frozen=True)
class Scorecard:
    """The scorecard of one drill run (`scorecard.json`)."""

    scenario: str = field(metadata=doc("the scenario's name"))
    passed: bool = field(metadata=doc("every objective passed"))
    phases: tuple[PhaseCard, ...] = field(metadata=doc("in the order they ran", minItems=1))
    objectives: tuple[ObjectiveResult, ...] = field(metadata=doc("in the scenario's order"))
    recovery_s: float | None = field(
        metadata=doc("from the end of the last fault until new sign-ins succeed >= 99 % over one second", minimum=0)
    )
    signed_in_users_logged_out: int = field(metadata=doc("signed-in users sent back to sign in", minimum=0))
    app: str = field(default="", metadata=doc("the app profile's name"))
    users: int = field(default=1, metadata=doc("peak simulated users", minimum=1))
    duration_s: float = field(default=0.0, metadata=doc("the run's length"))
    weights: dict[str, int] | None = field(default=None, metadata=doc("the persona mix that ran (0: left out)"))
    app_requests_max_ms: dict[str, float] = field(
        default_factory=dict, metadata=doc("the longest response time of each request to the app, by its Locust name")
    )
    emulator_clock_offset_s: float | None = field(
        default=None, metadata=doc("how far the emulator's fault clock runs behind the phases' clock; null without faults")
    )
    replicas: Replicas | None = field(default=None, metadata=doc("scale-out: the instances added during the run; null: none"))

    def to_json(self) -> str:
        """`scorecard.json`."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Scorecard:
        """Read `scorecard.json` (also one an earlier version wrote); ValueError when it is not one."""
        card: Scorecard = read(cls, json.loads(text))
        return card

    def phase(self, name: str | None) -> PhaseCard | None:
        """The phase of that name, if any."""
        return next((p for p in self.phases if p.name == name), None)


# -- records <-> JSON values and JSON Schema, by walking the fields' types ------------------------


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(kind: Any) -> Any | None:
    """X for `X | None`, else None."""
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType) and len(args) == 2 and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


def read(kind: Any, value: Any) -> Any:
    """A JSON value as `kind` (a record, `X | None`, `tuple[X, ...]`, `dict[str, X]`, str, int,
    float, bool); ValueError when it does not fit. Keys a record does not know are left out."""
    inner = _optional(kind)
    if inner is not None:
        return None if value is None else read(inner, value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"{kind.__name__}: not an object")
        hints = _hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        try:
            return kind(**{name: read(hints[name], v) for name, v in value.items() if name in known})
        except TypeError as exc:  # a required field is missing
            raise ValueError(f"{kind.__name__}: {exc}") from None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError("not a list")
        return tuple(read(args[0], v) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError("not an object")
        return {str(k): read(args[1], v) for k, v in value.items()}
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (str, int, bool) and type(value) is kind:
        return value
    raise ValueError(f"{value!r} is not a {getattr(kind, '__name__', kind)}")


_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def schema_of(kind: Any) -> dict[str, Any]:
    """The JSON Schema of a type `read` takes."""
    inner = _optional(kind)
    if inner is not None:
        found = schema_of(inner)
        return {**found, "type": [found["type"], "null"]}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        fields = dataclasses.fields(kind)
        required = [f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        properties = {f.name: {**schema_of(hints[f.name]), **f.metadata.get("schema", {})} for f in fields}
        return {"type": "object", "description": (kind.__doc__ or "").strip(), "required": required, "properties": properties}
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        return {"type": "array", "items": schema_of(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": schema_of(args[1])}
    return {"type": _TYPES[kind]}


def json_schema() -> dict[str, Any]:
    """The scorecard's JSON Schema (what `scorecard.schema.json` holds)."""
    found = schema_of(Scorecard)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "b2c-toolkit drill scorecard", **found}


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
