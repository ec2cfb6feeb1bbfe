"""The guardrail SCP document: what it denies, to whom, and the SCP limits it must keep."""

from __future__ import annotations

import pytest
from tests.guardrail.support import BUCKET, KEY, MGMT, TRAIL

from trailwarden.policies import validate_policy
from trailwarden.policies.evaluate import (
    FULL_AWS_ACCESS,
    Decision,
    NamedPolicy,
    Request,
    evaluate_scps,
)
from trailwarden.policies.scp import (
    SCP_MAX_CHARS,
    GuardrailError,
    approved_role_problem,
    compact,
    guardrail_document,
    protected,
    sent_size,
)

APPROVED = "arn:aws:iam::*:role/TrailwardenApply"
MEMBER_ADMIN = "arn:aws:iam::333333333333:role/Admin"


def document(*approved: str, key: str | None = KEY) -> dict:
    return guardrail_document(protected(TRAIL, MGMT, BUCKET, key), approved)


def denied(doc: dict, principal: str, action: str, resource: str) -> Decision:
    path = [[NamedPolicy("FullAWSAccess", FULL_AWS_ACCESS), NamedPolicy("g", doc)]]
    return evaluate_scps(path, Request(principal, action, resource)).decision


def test_the_document_keeps_the_scp_grammar() -> None:
    doc = document(APPROVED)
    # SCPs are identity-policy-shaped: no Principal, alphanumeric Sids, Deny only here.
    assert validate_policy(doc, "identity") == []
    assert {s["Effect"] for s in doc["Statement"]} == {"Deny"}
    assert all("Principal" not in s and "NotPrincipal" not in s for s in doc["Statement"])
    for statement in doc["Statement"]:
        assert statement["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [APPROVED]}}


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("cloudtrail:StopLogging", TRAIL),
        ("cloudtrail:DeleteTrail", TRAIL),
        ("cloudtrail:UpdateTrail", TRAIL),
        ("cloudtrail:PutEventSelectors", TRAIL),  # advanced selectors go through this action
        ("cloudtrail:PutInsightSelectors", TRAIL),
        ("cloudtrail:RemoveTags", TRAIL),
        ("cloudtrail:StopLogging", TRAIL.replace("us-east-1", "eu-west-1")),  # any Region
        ("s3:DeleteBucket", f"arn:aws:s3:::{BUCKET}"),
        ("s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}"),
        ("s3:DeleteBucketPolicy", f"arn:aws:s3:::{BUCKET}"),
        ("s3:PutLifecycleConfiguration", f"arn:aws:s3:::{BUCKET}"),
        ("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/AWSLogs/o-abcdef1234/x.json.gz"),
        ("kms:ScheduleKeyDeletion", KEY),
        ("kms:DisableKey", KEY),
        ("kms:PutKeyPolicy", KEY),
    ],
)
def test_it_denies_weakening_to_others_and_not_to_the_approved_role(
    action: str, resource: str
) -> None:
    doc = document(APPROVED)
    assert denied(doc, MEMBER_ADMIN, action, resource) is Decision.DENIED
    assert (
        denied(doc, "arn:aws:iam::222222222222:role/TrailwardenApply", action, resource)
        is Decision.ALLOWED
    )


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("cloudtrail:StartLogging", TRAIL),
        ("cloudtrail:StopLogging", "arn:aws:cloudtrail:us-east-1:333333333333:trail/own"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::another-bucket"),
        ("s3:GetObject", f"arn:aws:s3:::{BUCKET}/AWSLogs/x"),
        ("kms:Decrypt", KEY),
    ],
)
def test_it_leaves_everything_else_alone(action: str, resource: str) -> None:
    assert denied(document(APPROVED), MEMBER_ADMIN, action, resource) is Decision.ALLOWED


def test_the_trail_is_named_with_the_account_its_arn_carries_and_the_management_account() -> None:
    delegated = "arn:aws:cloudtrail:us-east-1:444444444444:trail/org-trail"
    doc = guardrail_document(protected(delegated, MGMT, BUCKET, None), [])
    assert doc["Statement"][0]["Resource"] == [
        "arn:aws:cloudtrail:*:444444444444:trail/org-trail",
        f"arn:aws:cloudtrail:*:{MGMT}:trail/org-trail",
    ]


def test_without_a_key_or_approved_roles() -> None:
    doc = document(key=None)
    assert [s["Sid"] for s in doc["Statement"]] == [
        "ProtectOrgTrail",
        "ProtectOrgTrailBucket",
        "ProtectOrgTrailLogs",
    ]
    assert all("Condition" not in s for s in doc["Statement"])


def test_size_limit_counts_the_key_as_apply_will_send_it() -> None:
    placeholder = "${kms-alias:us-east-1:alias/org-trail}"
    doc = document(APPROVED, key=placeholder)
    assert sent_size(doc) > len(compact(doc))  # the resolved key ARN is longer
    many = [f"arn:aws:iam::*:role/approved-role-number-{n:03d}" for n in range(120)]
    with pytest.raises(GuardrailError, match=f"over the {SCP_MAX_CHARS}"):
        document(*many)
    fits = many[:20]
    assert sent_size(document(*fits)) <= SCP_MAX_CHARS


@pytest.mark.parametrize(
    "pattern",
    [
        "TrailwardenApply",
        "arn:aws:iam:::role/x y",
        "arn:aws:sts::123456789012:assumed-role/Apply/s",
    ],
)
def test_bad_approved_patterns_are_refused_in_one_line(pattern: str) -> None:
    problem = approved_role_problem(pattern)
    assert problem is not None and "\n" not in problem
    with pytest.raises(GuardrailError):
        document(pattern)
