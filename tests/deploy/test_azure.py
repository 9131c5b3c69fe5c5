"""The Azure Developer CLI template against the app's settings, read as text (no Bicep compiler or
Azure account here): every production setting is a parameter named after it or a Key Vault secret,
no secret is written in the template or its parameters, probes, replicas and the ingress settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from sample_app.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
BICEP = (ROOT / "infra" / "main.bicep").read_text()
PARAMETERS = json.loads((ROOT / "infra" / "main.parameters.json").read_text())["parameters"]

#: the settings a production deployment sets (the others below keep their defaults there)
PRODUCTION = {
    "B2C_BASE_URL",
    "OIDC_AUTHORITY",
    "B2C_TENANT",
    "B2C_SIGNUP_SIGNIN_POLICY",
    "B2C_EDIT_PROFILE_POLICY",
    "B2C_RESET_PASSWORD_POLICY",
    "B2C_CLIENT_ID",
    "B2C_CLIENT_SECRET",
    "B2C_API_SCOPE",
    "B2C_API_AUDIENCE",
    "IDP_ISSUER",
    "REDIS_URL",
    "APP_PUBLIC_URL",
    "TRUSTED_PROXIES",
    "OPS_TOKEN",
    "OPS_ALLOWED_NETWORKS",
    "SECRET_KEY",
}
SECRETS = {"SECRET_KEY", "B2C_CLIENT_SECRET", "OPS_TOKEN", "REDIS_URL"}
NOT_PRODUCTION = {
    # the emulator's and development's
    "B2C_STATE_DIR": "emulator",
    "B2C_CA_BUNDLE": "emulator (B2C has a public certificate)",
    "APP_RESILIENCE": "drills only",
    # the daemon is another process, not this app
    "API_APP_ID_URI": "daemon",
    "DAEMON_CLIENT_ID": "daemon",
    "DAEMON_CLIENT_SECRET": "daemon",
    "DAEMON_INTERVAL_S": "daemon",
    "DAEMON_MAX_BACKOFF_S": "daemon",
    # their defaults: the volume, this app, the tuned values
    "SESSION_DIR": "REDIS_URL holds the sessions",
    "IDP_CACHE_DIR": "default: the volume",
    "API_BASE_URL": "default: this app",
    "API_ROLE": "default",
    "IDP_CONNECT_TIMEOUT_S": "default",
    "IDP_READ_TIMEOUT_S": "default",
    "IDP_GET_ATTEMPTS": "default",
    "IDP_MAX_RETRY_AFTER_S": "default",
    "IDP_RETRY_AFTER_CAP_S": "default",
    "IDP_KEYS_MIN_REFRESH_S": "default",
    "IDP_REQUEST_BUDGET_S": "default",
    "BREAKER_FAIL_MAX": "default",
    "BREAKER_RESET_S": "default",
    "IDP_PROBE_INTERVAL_S": "default",
    "SESSION_LIFETIME_S": "default",
    "MAX_CONCURRENT_REQUESTS": "default: THREADS - 2",
    "OVERLOAD_RETRY_AFTER_S": "default",
}
GUNICORN = {"WEB_CONCURRENCY", "THREADS"}


def camel(setting: str) -> str:
    """B2C_SIGNUP_SIGNIN_POLICY -> b2cSignupSigninPolicy: the parameter named after a setting."""
    first, *rest = setting.lower().split("_")
    return first + "".join(word.capitalize() for word in rest)


def env() -> dict[str, tuple[str, str]]:
    """The container's environment: name -> ("value", expression) or ("secretRef", secret name)."""
    found = re.findall(r"\{ name: '(\w+)', (value|secretRef): (.+?) \}$", BICEP, re.MULTILINE)
    assert found
    return {name: (kind, expression) for name, kind, expression in found}


def params() -> set[str]:
    return set(re.findall(r"^param (\w+) ", BICEP, re.MULTILINE))


def test_every_setting_is_decided() -> None:
    assert set(SETTINGS) == PRODUCTION | set(NOT_PRODUCTION) and not PRODUCTION & set(NOT_PRODUCTION)


def test_every_production_setting_is_a_parameter_named_after_it_or_a_secret() -> None:
    found = env()
    assert set(found) == PRODUCTION | GUNICORN
    for name, (kind, expression) in found.items():
        if name in SECRETS:
            assert kind == "secretRef", name
            continue
        assert kind == "value", name
        assert camel(name) in params() and re.search(rf"\b{camel(name)}\b", expression), (name, expression)
        if name not in GUNICORN:
            # azd reads it from the environment variable of the setting's name
            assert re.fullmatch(rf"\$\{{{name}(=[^}}]*)?\}}", PARAMETERS[camel(name)]["value"]), name


def test_secrets_are_key_vault_references_and_never_written_here() -> None:
    found = env()
    secrets = dict(
        re.findall(
            r"\{ name: '([\w-]+)', keyVaultUrl: '\$\{vault\.properties\.vaultUri\}secrets/([\w-]+)', identity: identity\.id \}", BICEP
        )
    )
    assert {found[name][1].strip("'") for name in SECRETS} == set(secrets)
    assert all(name == vault_name for name, vault_name in secrets.items())
    assert "value:" not in BICEP[BICEP.index("secrets: [") : BICEP.index("template: {")]  # references only
    for setting in SECRETS:
        assert camel(setting) not in params() and setting not in json.dumps(PARAMETERS), setting
    # the one secret the template writes to the vault comes from the cache's keys, never a literal
    written = re.findall(r"vaults/secrets@[\d-]+' = \{.*?value: (.+?)\n", BICEP, re.DOTALL)
    assert written == [
        "'rediss://:${uriComponent(redis.listKeys().primaryKey)}@${redis.properties.hostName}:${redis.properties.sslPort}/0'"
    ]
    # nothing that looks like a key, a password or a connection string with a credential
    assert not re.search(r"(?i)(password|secret|key)\s*[:=]\s*'[^'$]{8,}'", BICEP)


def test_probes_replicas_and_ingress() -> None:
    probes = dict(re.findall(r"type: '(\w+)'\s+httpGet: \{ path: '(/\w+)', port: 8000 \}", BICEP))
    assert probes == {"Startup": "/healthz", "Liveness": "/healthz", "Readiness": "/readyz"}
    assert "targetPort: 8000" in BICEP and "allowInsecure: false" in BICEP  # the image's BIND port, https only
    assert "minReplicas: int(minReplicas)" in BICEP
    assert int(re.search(r"^param minReplicas string = '(\d+)'", BICEP, re.MULTILINE).group(1)) >= 2  # type: ignore[union-attr]
    assert PARAMETERS["minReplicas"]["value"] == "${MIN_REPLICAS=2}"
    public = env()["APP_PUBLIC_URL"][1]
    assert "https://${appName}.${environment.properties.defaultDomain}" in public  # the ingress FQDN unless a domain is given
    assert re.search(r"^param trustedProxies string = '1'", BICEP, re.MULTILINE)  # the ingress is one proxy
    assert "mountPath: '/app/instance'" in BICEP  # the image's volume
    assert re.search(r"^param webConcurrency string = '1'", BICEP, re.MULTILINE)  # one registry per worker: docs/runbook.md


def test_azure_yaml_builds_the_dockerfile_into_container_apps() -> None:
    azure = yaml.safe_load((ROOT / "azure.yaml").read_text())
    web = azure["services"]["web"]
    assert web["host"] == "containerapp" and web["docker"]["path"] == "./Dockerfile"
    assert azure["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert "'azd-service-name': 'web'" in BICEP
    assert set(re.findall(r"^param (\w+)", BICEP, re.MULTILINE)) >= set(PARAMETERS)
