"""TOK001–TOK003: token lifetimes on the issuer the journey uses; TOK004: the id_token_hint a journey accepts."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, JOURNEY, clean_set, provider, rule_ids, run
from toolkit.lint import Config

DEFAULT_ITEM = '<Item Key="token_lifetime_secs">3600</Item>'


def issuer(items: str, in_extensions: bool = False) -> dict[str, str]:
    if in_extensions:
        ext = provider(f'<TechnicalProfile Id="JwtIssuer"><Metadata>{items}</Metadata></TechnicalProfile>')
        return clean_set(extensions=ext)
    return clean_set(base=BASE.replace(DEFAULT_ITEM, items))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ('<Item Key="id_token_lifetime_secs">90000</Item>', {"TOK001"}),
        ('<Item Key="refresh_token_lifetime_secs">3600</Item>', {"TOK001"}),
        ('<Item Key="token_lifetime_secs">soon</Item>', {"TOK001"}),
        ('<Item Key="rolling_refresh_token_lifetime_secs">86400</Item>', {"TOK002", "TOK003"}),
    ],
)
def test_lifetimes(tmp_path, items, expected):
    assert rule_ids(run(tmp_path, issuer(items))) == expected


def test_infinite_rolling_allows_short_window(tmp_path):
    items = '<Item Key="rolling_refresh_token_lifetime_secs">7776000</Item><Item Key="refresh_token_lifetime_secs">7776000</Item><Item Key="allow_infinite_rolling_refresh_token">true</Item>'
    assert run(tmp_path, issuer(items)).problems == []


def test_documented_defaults_pass(tmp_path):
    items = (
        '<Item Key="token_lifetime_secs">3600</Item><Item Key="id_token_lifetime_secs">3600</Item>'
        '<Item Key="refresh_token_lifetime_secs">1209600</Item><Item Key="rolling_refresh_token_lifetime_secs">7776000</Item>'
    )
    assert run(tmp_path, issuer(items)).problems == []


def test_an_issuer_that_signs_invitation_links_is_short_on_purpose(tmp_path):
    files = issuer('<Item Key="token_lifetime_secs">900</Item>')
    assert "TOK003" in rule_ids(run(tmp_path / "session", files))
    for name in files:
        files[name] = files[name].replace("SignUpOrSignIn", "SendInvitation")
    assert "TOK003" not in rule_ids(run(tmp_path / "links", files))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("TOK001", [("Extensions.xml", 16, "token_lifetime_secs '120' is outside 300..86400 seconds")]),
        (
            "TOK002",
            [
                (
                    "Extensions.xml",
                    16,
                    "rolling refresh window (604800 s) is shorter than the refresh token lifetime (1209600 s) in 'JwtIssuer'",
                )
            ],
        ),
        (
            "TOK003",
            [
                (
                    "Extensions.xml",
                    16,
                    "token_lifetime_secs 900 is below the default 3600: more token traffic and less tolerance of an outage",
                )
            ],
        ),
        (
            "TOK004",
            [
                (
                    "Extensions.xml",
                    14,
                    "id_token_hint profile 'IdTokenHint_ExtractClaims' sets no IdTokenAudience: any token signed with the keys of its "
                    "METADATA passes as a link, whatever it was issued for",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected


def hint(items: str, keys: str = "", used: bool = True) -> dict[str, str]:
    """The base journey, first reading an id_token_hint profile with `items` as metadata (a GetClaims step) when `used`."""
    profile = provider(
        f'<TechnicalProfile Id="IdTokenHint_ExtractClaims"><Protocol Name="None" /><Metadata>{items}</Metadata>{keys}'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims></TechnicalProfile>'
    )
    step = '<OrchestrationStep Order="0" Type="GetClaims" CpimIssuerTechnicalProfileReferenceId="IdTokenHint_ExtractClaims" />'
    journey = JOURNEY.replace('<OrchestrationStep Order="1"', step + '<OrchestrationStep Order="1"', 1) if used else JOURNEY
    return clean_set(base=BASE.replace(JOURNEY, profile + journey))


METADATA = '<Item Key="METADATA">https://links.contoso.com/.well-known/openid-configuration</Item>'
SHARED_KEY = '<CryptographicKeys><Key Id="client_secret" StorageReferenceId="B2C_1A_IdTokenHintKey" /></CryptographicKeys>'
AUDIENCE = '<Item Key="IdTokenAudience">b2c-invitation</Item>'
ISSUER = '<Item Key="issuer">https://links.contoso.com/</Item>'


@pytest.mark.parametrize(
    ("items", "keys", "missing"),
    [
        (METADATA, "", "IdTokenAudience"),
        (AUDIENCE, SHARED_KEY, "issuer"),
        ("", SHARED_KEY, "IdTokenAudience or issuer"),
        (METADATA + AUDIENCE, "", None),  # the issuer comes from the configuration document
        (AUDIENCE + ISSUER, SHARED_KEY, None),
    ],
)
def test_an_id_token_hint_must_name_its_audience_and_with_a_shared_key_its_issuer(tmp_path, items, keys, missing):
    problems = run(tmp_path, hint(items, keys), Config(select=["TOK004"])).problems
    assert [p.message.split(": ")[0] for p in problems] == (
        [f"id_token_hint profile 'IdTokenHint_ExtractClaims' sets no {missing}"] if missing else []
    )


def test_an_id_token_hint_profile_no_journey_reads_is_not_reported(tmp_path):
    assert run(tmp_path, hint(METADATA, used=False), Config(select=["TOK004"])).problems == []
