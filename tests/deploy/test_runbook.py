"""The runbook names only metrics, labels and /status/idp fields the app exports, and its alert
rules parse."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import generate_latest

from sample_app.idp import Metrics

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")


def exported() -> set[str]:
    """Every sample name the app's registry exports once each metric has a value."""
    metrics = Metrics()
    metrics.calls.labels("token", "ok").inc()
    metrics.latency.labels("token").observe(0.1)
    metrics.degraded.labels("overload").inc()
    text = generate_latest(metrics.registry).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_metric_names_are_the_apps() -> None:
    names = exported()
    named = set(re.findall(r"\b((?:idp|degraded)_[a-z_]+)\b", RUNBOOK))
    histogram = {"idp_request_seconds"}  # named as the histogram, exported as _bucket, _sum, _count
    assert named - histogram <= names, named - histogram - names
    assert {"idp_breaker_open", "idp_requests_total", "degraded_responses_total"} <= named


def test_degraded_kinds_and_outcomes_are_the_codes() -> None:
    code = "\n".join(path.read_text() for path in [*(ROOT / "sample_app").glob("*.py"), *(ROOT / "toolkit" / "resilience").glob("*.py")])
    kinds = set(re.findall(r'degraded\.labels\("(\w+)"\)', code))
    assert set(re.findall(r'kind="(\w+)"', RUNBOOK)) <= kinds
    assert {f"`{kind}`" for kind in kinds} <= set(re.findall(r"`\w+`", RUNBOOK)), "every kind is explained"
    for outcome in ("ok", "timeout", "connection_error", "bad_answer", "breaker_open", "budget_spent", "stale_cache"):
        assert f'"{outcome}"' in code and f"`{outcome}`" in RUNBOOK, outcome


def test_status_fields_are_the_apps() -> None:
    source = (ROOT / "sample_app" / "idp.py").read_text()
    for field in ("metadata_age_s", "copies_not_written", "signing_keys", "retry_after_s"):
        assert f'"{field}"' in source, field
        assert f"`{field}`" in RUNBOOK or f"`breaker.{field}`" in RUNBOOK, field


def test_alert_rules_parse() -> None:
    block = re.search(r"```yaml\n(groups:.*?)```", RUNBOOK, re.DOTALL)
    assert block is not None
    rules = yaml.safe_load(block.group(1))["groups"][0]["rules"]
    assert len(rules) >= 6 and all({"alert", "expr"} <= set(rule) for rule in rules)
