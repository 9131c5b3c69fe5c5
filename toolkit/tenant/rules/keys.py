"""B2C policy keys: a key set with nothing valid, an expiry with no successor, a policy naming a
key set the tenant does not have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from toolkit.lint.check import identity
from toolkit.lint.problem import Severity
from toolkit.tenant.blast import key_set_named
from toolkit.tenant.load import Key, KeySet, day
from toolkit.tenant.registry import Finding, rule

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

POLICY_KEYS = "azure/active-directory-b2c/policy-keys-overview"


def active(keys: list[Key], audit: Audit) -> Key | None:
    """The key B2C uses at the audit date: the newest valid one by activation date (B2C picks "the
    newest key whose activation date has passed"; a key without `nbf` counts as the oldest)."""
    valid = [k for k in keys if k.valid(audit.at)]
    return max(valid, key=lambda k: k.nbf.timestamp() if k.nbf else float("-inf"), default=None)


def _finding(audit: Audit, ks: KeySet, message: str) -> Finding:
    radius = audit.blast.of_key_set(ks.id)
    return Finding(
        audit.export.path("keySets.json"),
        ks.line,
        f"{message}: {radius.describe()}",
        f"keySets/{ks.id}",
        ks.id,
        affects=radius.parties,
    )


@rule("KEY001", "Policy key set with no valid key", Severity.ERROR, ("keySets",), POLICY_KEYS)
def no_valid_key(audit: Audit) -> Iterator[Finding]:
    """A policy key set (`trustFramework/keySets`) has no key that is enabled, already active
    (`nbf`) and not expired (`exp`) at the audit date (`--at`, default now).

    B2C signs tokens, encrypts, calls REST APIs and federates with the keys of these containers. When
    "the active key expires and no other valid key exists", every technical profile that names the
    container fails, and with it every journey that runs one of them: sign-in stops on that date,
    for every relying party at once. The finding names them (blast radius, from the uploaded
    policies).

    Bad (keySets.json)::

        {"id": "B2C_1A_RestApiKey", "keys": [{"kid": "k1", "use": "sig", "kty": "RSA",
          "nbf": 1740787200, "exp": 1772323200}]}

    Fixed: upload a new key to the container (keys cannot be replaced or removed; B2C activates the
    newest valid one), or a key with no expiry as the safety net Microsoft suggests::

        {"id": "B2C_1A_RestApiKey", "keys": [{"kid": "k1", ...,  "exp": 1772323200},
          {"kid": "k2", "use": "sig", "kty": "RSA", "nbf": 1772150400, "exp": 1803859200}]}

    Source: Azure AD B2C "Overview of policy keys" (key activation and expiry, "Policy key
    management"); Microsoft Graph beta `trustFrameworkKeySet` and `trustFrameworkKey` (`nbf` and
    `exp` are seconds since 1970).
    """
    for ks in audit.export.key_sets or []:
        if active(ks.keys, audit) is not None:
            continue
        ends = [k.exp for k in ks.keys if k.exp is not None and k.exp <= audit.at]
        starts = [k.nbf for k in ks.keys if k.enabled and k.nbf is not None and k.nbf > audit.at]
        if not ks.keys:
            why = "holds no key"
        elif starts:
            why = f"has no key active yet (the first starts {day(min(starts))})"
        elif ends:
            why = f"has no key valid on {audit.on} (the last expired {day(max(ends))})"
        else:
            why = f"has no enabled key on {audit.on}"
        yield _finding(audit, ks, f"key set {ks.id} {why}")


@rule("KEY002", "Active policy key expires with no successor", Severity.WARNING, ("keySets",), POLICY_KEYS)
def expiring_key(audit: Audit) -> Iterator[Finding]:
    """The active key of a policy key set expires within the horizon (`--horizon`, default 30
    days) and no key uploaded already takes over: none valid after that date.

    B2C switches to the newest valid key by itself, so a successor uploaded before the expiry (its
    `nbf` before the old `exp`) keeps sign-in working; without one, the key set has no valid key
    on that date (KEY001) and every profile using it fails. Rotation is manual for uploaded
    secrets and certificates: nobody is warned in the portal.

    Bad: `B2C_1A_LoyaltyApiClientCertificate` holds one certificate, expiring in 14 days.

    Fixed: upload the renewed certificate now, with its own dates; it becomes active when its
    `nbf` passes, or at once if it is the newest.

    Source: Azure AD B2C "Overview of policy keys" ("Key activation and expiry", "Rollover").
    """
    for ks in audit.export.key_sets or []:
        current = active(ks.keys, audit)
        if current is None or current.exp is None or current.exp > audit.until:
            continue
        end = current.exp
        successor = any(
            k is not current and k.enabled and (k.exp is None or k.exp > end) and (k.nbf is None or k.nbf <= end) for k in ks.keys
        )
        if not successor:
            yield _finding(
                audit, ks, f"key set {ks.id}: its active key {current.kid or '(no kid)'} expires {day(end)} and no later key is uploaded"
            )


@rule(
    "KEY003",
    "Policy names a key set the tenant does not have",
    Severity.ERROR,
    ("keySets", "policies"),
    "azure/active-directory-b2c/cryptographic-keys",
)
def missing_key_set(audit: Audit) -> Iterator[Finding]:
    """An uploaded policy's `<Key StorageReferenceId="...">` names a policy key set that is not in
    the tenant's `trustFramework/keySets`.

    The profile fails the first time a journey runs it ("the key container was not found"); a
    token issuer without its signing key fails every sign-in. This happens when a key set is
    deleted in the portal (it leaves only a `.bak` copy), or a policy is uploaded to a tenant the
    keys were never created in. The match is case-insensitive and allows the `B2C_1A_` prefix the
    portal and Graph add to a key set's name.

    Bad::

        <Key Id="issuer_refresh_token_key" StorageReferenceId="B2C_1A_TokenEncryptionKeyContainer" />

    with no `B2C_1A_TokenEncryptionKeyContainer` in the tenant's policy keys.

    Fixed: create the key set (portal: Identity Experience Framework → Policy keys, or Graph
    `POST /trustFramework/keySets`) before uploading the policy; `b2c-toolkit lint
    --print-prerequisites` lists what a policy set needs.

    Source: Azure AD B2C "Cryptographic keys" (`StorageReferenceId`), "Overview of policy keys".
    """
    if audit.uploaded is None:
        return
    seen: set[tuple[str, str]] = set()
    for f in audit.uploaded.files:
        for key in f.root.iter("{*}Key"):
            ref = key.get("StorageReferenceId")
            if not ref or key_set_named(audit.export, ref):
                continue
            tp = key.getparent()
            while tp is not None and not str(tp.tag).endswith("TechnicalProfile"):
                tp = tp.getparent()
            tp_id = tp.get("Id", "") if tp is not None else ""
            if (f.display, tp_id + ref) in seen:
                continue
            seen.add((f.display, tp_id + ref))
            radius = audit.blast.radius({tp_id} if tp_id else set())
            yield Finding(
                f.display,
                key.sourceline or 1,
                f"StorageReferenceId {ref} names no policy key set in the tenant: {radius.describe()}",
                identity(key, "StorageReferenceId"),
                f.policy_id,
                affects=radius.parties,
            )
