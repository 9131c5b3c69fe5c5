"""Drift between the repository's policies (`--policies REPO_DIR`) and what is uploaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lxml import etree

from toolkit.lint.check import identity
from toolkit.lint.parse import PolicyFile
from toolkit.lint.problem import Severity
from toolkit.tenant.registry import Finding, rule

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

NEEDS = ("policies", "repository")
DEPLOY = "azure/active-directory-b2c/deploy-custom-policies-devops"


def _by_id(files: list[PolicyFile]) -> dict[str, PolicyFile]:
    return {f.policy_id.casefold(): f for f in files if f.policy_id}


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def first_difference(a: etree._Element, b: etree._Element) -> tuple[etree._Element, str] | None:
    """The first element of `a` that differs from `b` (tag, attributes, text, children), ignoring
    comments and whitespace, and what differs; None when they are the same."""
    if a.tag != b.tag:
        return a, f"<{etree.QName(a).localname}> where the upload has <{etree.QName(b).localname}>"
    if dict(a.attrib) != dict(b.attrib):
        names = sorted(k for k in {*a.attrib, *b.attrib} if a.get(k) != b.get(k))
        return a, f"attribute {etree.QName(names[0]).localname} differs"
    if _text(a.text) != _text(b.text):
        return a, "text differs"
    kids_a = [c for c in a if isinstance(c.tag, str)]
    kids_b = [c for c in b if isinstance(c.tag, str)]
    for x, y in zip(kids_a, kids_b, strict=False):
        found = first_difference(x, y)
        if found is not None:
            return found
    if len(kids_a) != len(kids_b):
        extra = kids_a[len(kids_b)] if len(kids_a) > len(kids_b) else a
        return (
            extra,
            f"{abs(len(kids_a) - len(kids_b))} child element(s) {'more' if len(kids_a) > len(kids_b) else 'fewer'} than the upload",
        )
    return None


@rule("DRIFT001", "Uploaded policy differs from the repository", Severity.WARNING, NEEDS, DEPLOY)
def differs(audit: Audit) -> Iterator[Finding]:
    """A policy in the repository (`--policies REPO_DIR`, rendered with `--settings` when given)
    differs from the policy uploaded with the same PolicyId. Comments and whitespace are ignored.

    What runs is what is uploaded: a fix merged but never deployed, or a hot fix made in the portal
    and never committed, means the repository (and its lint) describes a policy nobody runs. The
    finding points at the first element that differs, in the repository's file.

    Fixed: deploy the repository's policies from the pipeline, or commit the change made in the
    tenant.

    Source: Azure AD B2C "Deploy custom policies with Azure Pipelines" / "with GitHub Actions".
    """
    assert audit.uploaded is not None and audit.repository is not None
    uploaded = _by_id(audit.uploaded.files)
    for policy_id, f in sorted(_by_id(audit.repository.files).items()):
        other = uploaded.get(policy_id)
        if other is None:
            continue
        found = first_difference(f.root, other.root)
        if found is not None:
            el, what = found
            yield Finding(
                f.display,
                el.sourceline or 1,
                f"{f.policy_id} differs from the uploaded policy: {what} ({other.display})",
                identity(el),
                f.policy_id,
            )


@rule("DRIFT002", "Repository policy not uploaded", Severity.WARNING, NEEDS, DEPLOY)
def not_uploaded(audit: Audit) -> Iterator[Finding]:
    """A policy in the repository (`--policies REPO_DIR`) has no uploaded policy with its PolicyId.

    A new relying party or base that was never deployed: the apps that expect it get
    "AADB2C90008: The policy does not exist", and the chain of the others may not be what the
    repository says.

    Fixed: upload it (parents first: `b2c-toolkit lint --print-upload-order`), or delete it from
    the repository.

    Source: Azure AD B2C "Deploy custom policies with Azure Pipelines".
    """
    assert audit.uploaded is not None and audit.repository is not None
    uploaded = _by_id(audit.uploaded.files)
    for policy_id, f in sorted(_by_id(audit.repository.files).items()):
        if policy_id not in uploaded:
            yield Finding(
                f.display,
                f.root.sourceline or 1,
                f"{f.policy_id} is in the repository but not uploaded",
                "TrustFrameworkPolicy",
                f.policy_id,
            )


@rule("DRIFT003", "Uploaded policy not in the repository", Severity.INFO, NEEDS, DEPLOY)
def not_in_repository(audit: Audit) -> Iterator[Finding]:
    """An uploaded policy has no policy with its PolicyId in the repository (`--policies REPO_DIR`).

    Made in the portal, or left over from an old deployment: nobody reviews or lints it, and
    nobody knows whether an app still uses it.

    Fixed: commit it to the repository, or delete it from the tenant once no app uses it.

    Source: Azure AD B2C "Deploy custom policies with Azure Pipelines".
    """
    assert audit.uploaded is not None and audit.repository is not None
    repository = _by_id(audit.repository.files)
    for policy_id, f in sorted(_by_id(audit.uploaded.files).items()):
        if policy_id not in repository:
            yield Finding(
                f.display,
                f.root.sourceline or 1,
                f"{f.policy_id} is uploaded but not in {audit.repository_path}",
                "TrustFrameworkPolicy",
                f.policy_id,
            )
