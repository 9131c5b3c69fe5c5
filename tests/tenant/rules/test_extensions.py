"""EXT001-EXT003: extension endpoints, authentication and client configuration."""

from __future__ import annotations

import pytest

from tests.tenant.exports import audit_dir, write_export
from toolkit.lint.problem import Severity

GOOD_URL = "https://claims.fabrikam.net/api"
GOOD_RESOURCE = "api://claims.fabrikam.net/22222222-0000-4000-8000-000000000002"


def extension(url=GOOD_URL, resource=GOOD_RESOURCE, timeout=1500, retries=1):
    return {
        "@odata.type": "#microsoft.graph.onAttributeCollectionSubmitCustomExtension",
        "id": "e1",
        "displayName": "Validate",
        "endpointConfiguration": {"targetUrl": url},
        "authenticationConfiguration": {"resourceId": resource} if resource else None,
        "clientConfiguration": {"timeoutInMilliseconds": timeout, "maximumRetries": retries} if timeout is not None else None,
    }


def flow(sign_up=True):
    return {
        "id": "f1",
        "displayName": "Sign-up",
        "onInteractiveAuthFlowStart": {"isSignUpAllowed": sign_up},
        "onAttributeCollectionSubmit": {"customExtension": {"id": "e1"}},
        "conditions": {"applications": {"includeApplications": [{"appId": "app-1"}]}},
    }


def found(tmp_path, ext, flows=None):
    folder = write_export(
        tmp_path, customAuthenticationExtensions=[ext], authenticationEventsFlows=flows if flows is not None else [flow()]
    )
    return [(p.rule, p.severity, p.message) for p in audit_dir(folder)]


def test_a_good_extension_and_defaults_are_clean(tmp_path):
    assert found(tmp_path / "a", extension()) == []
    assert found(tmp_path / "b", extension(timeout=None)) == []  # clientConfiguration null: the service defaults


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://claims.fabrikam.net/api", "is not https"),
        ("https://localhost:7071/api", "is on localhost"),
        ("https://10.0.0.4/api", "is on 10.0.0.4"),
        ("https://abc-7071.euw.devtunnels.ms/api", "development tunnel"),
        ("https://1234.ngrok-free.app/api", "development tunnel"),
    ],
)
def test_ext001_endpoints_entra_cannot_rely_on(tmp_path, url, why):
    rules = found(tmp_path, extension(url=url, resource=None if "localhost" in url else f"api://{url.split('/')[2].split(':')[0]}/x"))
    ext001 = [m for r, _, m in rules if r == "EXT001"]
    assert len(ext001) == 1 and why in ext001[0] and "used by Sign-up (apps app-1)" in ext001[0]


def test_ext002_missing_or_mismatched_resource(tmp_path):
    assert [r for r, _, _ in found(tmp_path / "a", extension(resource=None))] == ["EXT002"]
    (rule, _, message), *_ = found(tmp_path / "b", extension(resource="api://other.fabrikam.net/22222222"))
    assert rule == "EXT002" and "1003015" in message
    (rule, _, message), *_ = found(tmp_path / "c", extension(resource="https://claims.fabrikam.net"))
    assert rule == "EXT002" and "1003014" in message


def test_ext003_range_is_an_error_tight_on_sign_up_a_warning(tmp_path):
    (rule, severity, message), *_ = found(tmp_path / "a", extension(timeout=100, retries=2))
    assert (rule, severity) == ("EXT003", Severity.ERROR) and "200–2000" in message and "not 0 or 1" in message
    (rule, severity, message), *_ = found(tmp_path / "b", extension(timeout=300, retries=0))
    assert (rule, severity) == ("EXT003", Severity.WARNING) and "slow API fails sign-up" in message
    assert found(tmp_path / "c", extension(timeout=300, retries=0), flows=[flow(sign_up=False)]) == []
