"""`--print-prerequisites`: what the tenant needs before upload, read from merged chains."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lint.policies import clean_set, provider, write
from toolkit.cli import main
from toolkit.lint.linter import load_set
from toolkit.lint.prerequisites import prerequisites

RESILIENT = Path(__file__).resolve().parents[2] / "policies" / "resilient"
FACEBOOK = (
    '<TechnicalProfile Id="Facebook-OAUTH"><DisplayName>Facebook</DisplayName><Protocol Name="OAuth2" />'
    '<Metadata><Item Key="client_id">facebook_clientid</Item></Metadata>'
    '<CryptographicKeys><Key Id="client_secret" StorageReferenceId="B2C_1A_FacebookSecret" /></CryptographicKeys>'
    "</TechnicalProfile>"
)


def test_the_projects_set_needs_its_keys_apps_and_rest_endpoint(capsys):
    assert main(["lint", "--print-prerequisites", str(RESILIENT)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [k["name"] for k in found["policy_keys"]] == [
        "B2C_1A_LoyaltyApiClientCertificate",
        "B2C_1A_TokenEncryptionKeyContainer",
        "B2C_1A_TokenSigningKeyContainer",
    ]
    assert {a["role"] for a in found["applications"]} == {"IdentityExperienceFramework", "ProxyIdentityExperienceFramework"}
    assert found["rest_endpoints"] == [{"technical_profile": "REST-GetLoyaltyTier", "url": "https://loyalty.contoso.com/api/tier"}]
    assert found["identity_providers"] == []


def test_values_come_from_the_merged_chain(tmp_path):
    # the IdP is declared in Extensions and its client_id overridden in the relying party's parent
    files = clean_set(extensions=provider(FACEBOOK))
    files["Child.xml"] = files["SignUpOrSignin.xml"].replace("B2C_1A_signup_signin", "B2C_1A_child")
    override = provider(
        '<TechnicalProfile Id="Facebook-OAUTH"><Metadata><Item Key="client_id">prod-app</Item></Metadata></TechnicalProfile>'
    )
    files["Child.xml"] = files["Child.xml"].replace("<RelyingParty>", override + "<RelyingParty>")
    found = prerequisites(load_set([write(tmp_path, files)]))
    assert {"name": "B2C_1A_FacebookSecret", "used_by": ["Facebook-OAUTH"]} in found["policy_keys"]
    assert {(i["client_id"], i["protocol"]) for i in found["identity_providers"]} == {
        ("facebook_clientid", "OAuth2"),
        ("prod-app", "OAuth2"),
    }


def test_every_set_counts_when_many_sets_are_read_at_once(tmp_path):
    # Sets of their own merge into profiles of their own, made and freed one relying party after
    # another: a profile counted as "seen" by its address would hide a later one given that address.
    for n in range(12):
        idp = FACEBOOK.replace("B2C_1A_FacebookSecret", f"B2C_1A_Secret{n}")
        write(tmp_path / f"app{n}", clean_set(extensions=provider(idp)))
    found = prerequisites(load_set([tmp_path]))
    names = {k["name"] for k in found["policy_keys"]}
    assert {f"B2C_1A_Secret{n}" for n in range(12)} <= names
