"""`tenant export` against the emulator's Graph over HTTPS, through azure-identity's
ClientSecretCredential pointed at the emulator: files, manifest, paging, 403s, throttling."""

from __future__ import annotations

import json

from tests.tenant.graphs import NO_POLICY_READ, export, seeded
from toolkit.emulator.graph import SHIPPED


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def test_export_writes_every_resource_and_a_manifest(graph_b2c, monkeypatch, tmp_path):
    out = tmp_path / "export"
    code, err = export(monkeypatch, graph_b2c, "b2c-problems", out)
    assert code == 0, err
    m = manifest(out)
    assert m["tenant"] == seeded("b2c-problems")["tenant_id"] and m["credential"] == "secret" and m["exported_at"].endswith("Z")
    read = {name: r for name, r in m["resources"].items() if r["read"]}
    assert set(read) == {"keySets", "policies", "applications", "servicePrincipals", "identityProviders"}
    assert read["applications"] == {
        "endpoint": "v1.0/applications",
        "permission": "Application.Read.All",
        "file": "applications.json",
        "read": True,
        "records": 6,
        "pages": 3,
        "secrets_removed": 2,
    }
    assert read["keySets"]["endpoint"] == "beta/trustFramework/keySets"
    not_in_b2c = m["resources"]["customAuthenticationExtensions"]
    assert not not_in_b2c["read"] and not_in_b2c["status"] == 404 and "External ID" in not_in_b2c["reason"]
    seeded_apps = json.loads((SHIPPED / "b2c-problems" / "applications.json").read_text())["value"]
    exported = json.loads((out / "applications.json").read_text())["value"]
    assert [a["appId"] for a in exported] == [a["appId"] for a in seeded_apps]
    assert sorted(p.name for p in (out / "policies").glob("*.xml")) == sorted(
        p.name for p in (SHIPPED / "b2c-problems" / "policies").iterdir()
    )
    assert "keySets: 3 records (2 pages)" in err and "wrote" in err


def test_no_secret_value_is_written(graph_b2c, monkeypatch, tmp_path):
    code, _ = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path)
    assert code == 0
    written = "".join(p.read_text() for p in tmp_path.glob("*.json"))
    for secret in ("must-never-be-written", "c2VjcmV0LXZhbHVl", "TUlJQy4uLmNlcnRpZmljYXRl", "******"):
        assert secret not in written
    keys = json.loads((tmp_path / "keySets.json").read_text())["value"]
    assert all("k" not in key and "d" not in key for ks in keys for key in ks["keys"])
    assert any("n" in key for ks in keys for key in ks["keys"])  # public parts stay


def test_a_missing_permission_is_recorded_not_fatal(graph_b2c, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path, client=NO_POLICY_READ)
    assert code == 0
    policies = manifest(tmp_path)["resources"]["policies"]
    assert policies["read"] is False and policies["status"] == 403 and "Policy.Read.All" in policies["reason"]
    assert not (tmp_path / "policies.json").exists()
    assert manifest(tmp_path)["resources"]["keySets"]["read"] is True
    assert "policies: not read: 403" in err


def test_throttling_is_waited_out(graph_b2c, monkeypatch, tmp_path):
    graph_b2c.fault(kind="throttle", group="graph", retry_after=1, duration_s=1.5)
    code, err = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path)
    assert code == 0, err
    m = manifest(tmp_path)
    assert m["retries"] >= 1 and all(m["resources"][n]["read"] for n in ("keySets", "applications", "policies"))
    assert "429 from Graph: waiting 1 s (Retry-After)" in err


def test_unavailable_is_retried_too(graph_b2c, monkeypatch, tmp_path):
    graph_b2c.fault(kind="outage", group="graph", retry_after=1, duration_s=1.2)
    code, err = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path)
    assert code == 0 and "503 from Graph" in err
    assert manifest(tmp_path)["resources"]["keySets"]["read"] is True


def test_the_time_budget_bounds_the_waiting(graph_b2c, monkeypatch, tmp_path):
    graph_b2c.fault(kind="throttle", group="graph", retry_after=30)
    code, _ = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path, "--max-wait", "2")
    assert code == 0
    keysets = manifest(tmp_path)["resources"]["keySets"]
    assert keysets["read"] is False and keysets["status"] == 429 and "--max-wait" in keysets["reason"]


def test_slow_answers_still_export(graph_b2c, monkeypatch, tmp_path):
    graph_b2c.fault(kind="latency", group="graph", latency_ms=150)
    code, _ = export(monkeypatch, graph_b2c, "b2c-problems", tmp_path)
    assert code == 0 and manifest(tmp_path)["resources"]["applications"]["records"] == 6


def test_external_id_flows_get_their_linked_apps(graph_external_id, monkeypatch, tmp_path):
    code, err = export(monkeypatch, graph_external_id, "external-id", tmp_path)
    assert code == 0, err
    m = manifest(tmp_path)
    assert m["resources"]["keySets"]["read"] is False and m["resources"]["customAuthenticationExtensions"]["records"] == 3
    flows = json.loads((tmp_path / "authenticationEventsFlows.json").read_text())["value"]
    assert flows[0]["conditions"]["applications"]["includeApplications"][0]["appId"] == "22222222-0000-4000-8000-000000000001"


def test_wrong_secret_and_unreachable_graph_exit_1(graph_b2c, monkeypatch, tmp_path, capsys):
    from toolkit.cli import main

    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    argv = [
        "tenant",
        "export",
        "--out",
        str(tmp_path / "x"),
        "--tenant",
        seeded("b2c-problems")["tenant_id"],
        "--client-id",
        "e0e0e0e0-0000-4000-8000-000000000001",
    ]
    argv += ["--graph-url", f"{graph_b2c.url}/graph", "--authority-host", graph_b2c.url, "--ca-bundle", graph_b2c.config["ca_bundle"]]
    assert main(argv) == 1
    assert "cannot sign in with secret" in capsys.readouterr().err
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "emulator-graph-secret")
    argv[argv.index("--graph-url") + 1] = "https://127.0.0.1:9/graph"
    assert main(argv) == 1
    assert "no answer from https://127.0.0.1:9/graph" in capsys.readouterr().err
