"""Choosing the azure-identity credential from flags and the environment, as Azure's tools do."""

from __future__ import annotations

import pytest

from toolkit.tenant.credentials import CredentialError, choose, make

IDS = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({**IDS, "AZURE_CLIENT_SECRET": "s"}, "secret"),
        ({**IDS, "AZURE_CLIENT_CERTIFICATE_PATH": "/c.pem"}, "certificate"),
        ({**IDS, "AZURE_FEDERATED_TOKEN_FILE": "/token"}, "workload-identity"),
        ({"IDENTITY_ENDPOINT": "http://169.254.169.254"}, "managed-identity"),
        ({}, "azure-cli"),
        ({**IDS, "AZURE_CLIENT_SECRET": "s", "AZURE_FEDERATED_TOKEN_FILE": "/token"}, "secret"),  # EnvironmentCredential's order
    ],
)
def test_auto_follows_the_environment(env, kind):
    assert choose("auto", None, None, env).kind == kind


def test_flags_win_over_the_environment():
    choice = choose("secret", "flag-tenant", "flag-client", {**IDS, "AZURE_CLIENT_SECRET": "s"})
    assert (choice.tenant_id, choice.client_id, choice.why) == ("flag-tenant", "flag-client", "--auth")


@pytest.mark.parametrize(
    ("auth", "env", "message"),
    [
        ("secret", {"AZURE_CLIENT_SECRET": "s"}, "needs --tenant or AZURE_TENANT_ID and --client-id or AZURE_CLIENT_ID"),
        ("secret", IDS, "AZURE_CLIENT_SECRET, which is not set"),
        ("certificate", IDS, "AZURE_CLIENT_CERTIFICATE_PATH"),
        ("workload-identity", IDS, "AZURE_FEDERATED_TOKEN_FILE"),
    ],
)
def test_what_is_missing_is_named(auth, env, message):
    with pytest.raises(CredentialError, match=message):
        choose(auth, None, None, env)


def test_each_kind_makes_its_azure_identity_credential(tmp_path):
    from azure import identity

    token_file = tmp_path / "token"
    token_file.write_text("eyJ.fake.token")
    env = {**IDS, "AZURE_CLIENT_SECRET": "s", "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    assert isinstance(make(choose("secret", None, None, env), env=env), identity.ClientSecretCredential)
    assert isinstance(make(choose("workload-identity", None, None, env), env=env), identity.WorkloadIdentityCredential)
    assert isinstance(make(choose("managed-identity", None, None, env), env=env), identity.ManagedIdentityCredential)
    assert isinstance(make(choose("azure-cli", None, None, env), env=env), identity.AzureCliCredential)


def test_export_names_what_is_missing_with_exit_2(monkeypatch, capsys, tmp_path):
    from toolkit.cli import main

    for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["tenant", "export", "--out", str(tmp_path), "--auth", "secret"]) == 2
    assert "--auth secret needs --tenant" in capsys.readouterr().err
