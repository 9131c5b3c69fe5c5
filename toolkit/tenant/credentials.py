"""Which azure-identity credential `tenant export` signs in with, chosen as Azure's own tools
choose: a flag names one, or the environment decides (the variables `EnvironmentCredential` and
`DefaultAzureCredential` read), and nothing is guessed in between.

| `--auth`            | credential                    | reads                                                            |
|---------------------|-------------------------------|------------------------------------------------------------------|
| `secret`            | `ClientSecretCredential`      | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`       |
| `certificate`       | `CertificateCredential`       | `AZURE_CLIENT_CERTIFICATE_PATH` (+ `_PASSWORD`)                   |
| `workload-identity` | `WorkloadIdentityCredential`  | `AZURE_FEDERATED_TOKEN_FILE` (AKS, GitHub/Azure Pipelines OIDC)   |
| `managed-identity`  | `ManagedIdentityCredential`   | `AZURE_CLIENT_ID` for a user-assigned identity                    |
| `azure-cli`         | `AzureCliCredential`          | `az login` (in CI: the azure/login action, the AzureCLI@2 task)   |
| `auto` (default)    | the first of the above the environment configures; else Azure CLI |                          |

A secret is never taken from the command line (it would sit in the shell history and the process
list): only from `AZURE_CLIENT_SECRET`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

AUTH_KINDS = ("auto", "secret", "certificate", "workload-identity", "managed-identity", "azure-cli")
#: authority hosts azure-identity knows: instance discovery is kept for them, skipped for others
KNOWN_AUTHORITIES = ("login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn")


class CredentialError(ValueError):
    """A credential that cannot be made from the flags and the environment (exit 2)."""


class Choice(NamedTuple):
    """The credential chosen, before azure-identity is imported: what `--auth` resolved to."""

    kind: str
    tenant_id: str
    client_id: str
    why: str  #: for the progress line: which flag or variable decided


def choose(auth: str, tenant_id: str | None, client_id: str | None, env: Mapping[str, str] | None = None) -> Choice:
    """Resolve `--auth` (and `--tenant`, `--client-id`) against the environment."""
    env = os.environ if env is None else env
    tenant = tenant_id or env.get("AZURE_TENANT_ID", "")
    client = client_id or env.get("AZURE_CLIENT_ID", "")
    kind, why = auth, "--auth"
    if auth == "auto":
        if env.get("AZURE_CLIENT_SECRET"):
            kind, why = "secret", "AZURE_CLIENT_SECRET is set"
        elif env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
            kind, why = "certificate", "AZURE_CLIENT_CERTIFICATE_PATH is set"
        elif env.get("AZURE_FEDERATED_TOKEN_FILE"):
            kind, why = "workload-identity", "AZURE_FEDERATED_TOKEN_FILE is set"
        elif env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"):
            kind, why = "managed-identity", "a managed identity endpoint is set"
        else:
            kind, why = "azure-cli", "no credential in the environment"
    if kind in ("secret", "certificate", "workload-identity"):
        missing = [
            name for name, value in (("--tenant or AZURE_TENANT_ID", tenant), ("--client-id or AZURE_CLIENT_ID", client)) if not value
        ]
        if missing:
            raise CredentialError(f"--auth {kind} needs {' and '.join(missing)}")
    if kind == "secret" and not env.get("AZURE_CLIENT_SECRET"):
        raise CredentialError("--auth secret reads the secret from AZURE_CLIENT_SECRET, which is not set")
    if kind == "certificate" and not env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        raise CredentialError("--auth certificate needs AZURE_CLIENT_CERTIFICATE_PATH (a PEM or PKCS12 file)")
    if kind == "workload-identity" and not env.get("AZURE_FEDERATED_TOKEN_FILE"):
        raise CredentialError("--auth workload-identity needs AZURE_FEDERATED_TOKEN_FILE (the federated token's file)")
    return Choice(kind, tenant, client, why)


def make(choice: Choice, authority_host: str | None = None, ca_bundle: str | None = None, env: Mapping[str, str] | None = None) -> Any:
    """The azure-identity credential for `choice` (imported here: only `tenant export` needs it).
    `authority_host` points it at another login host (the emulator); `ca_bundle` is the CA to
    trust for that host."""
    env = os.environ if env is None else env
    from azure import identity

    kwargs: dict[str, Any] = {}
    if authority_host:
        kwargs["authority"] = authority_host
        host = authority_host.split("://", 1)[-1].split("/", 1)[0]
        if host not in KNOWN_AUTHORITIES:
            kwargs["disable_instance_discovery"] = True
    if ca_bundle:
        kwargs["connection_verify"] = ca_bundle
    if choice.kind == "secret":
        return identity.ClientSecretCredential(choice.tenant_id, choice.client_id, env["AZURE_CLIENT_SECRET"], **kwargs)
    if choice.kind == "certificate":
        password = env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD")
        return identity.CertificateCredential(
            choice.tenant_id, choice.client_id, certificate_path=env["AZURE_CLIENT_CERTIFICATE_PATH"], password=password, **kwargs
        )
    if choice.kind == "workload-identity":
        return identity.WorkloadIdentityCredential(
            tenant_id=choice.tenant_id, client_id=choice.client_id, token_file_path=env["AZURE_FEDERATED_TOKEN_FILE"], **kwargs
        )
    if choice.kind == "managed-identity":
        return identity.ManagedIdentityCredential(client_id=choice.client_id or None)
    return identity.AzureCliCredential(tenant_id=choice.tenant_id)
