"""Every AWS operation apply makes is allowed by the shipped policies/apply-policy.json.

The calls are recorded by the counting session apply runs on (a botocore ``before-call`` hook per
client), over two scenarios that together reach every step kind: a fresh account, and the repair
of an existing trail with its own key, role and topic (merges, UpdateTrail, AddTags).
"""

from __future__ import annotations

import pytest
from tests.apply.support import access, apply, make_plan
from tests.apply.test_merge import seed_legacy_trail

from trailwarden.demo.server import reset_moto
from trailwarden.policies import apply_policy

pytestmark = pytest.mark.slow

# botocore operation -> IAM action where the names differ (S3 authorises by subresource).
IAM_ACTION = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
}
# Implied by parameters: CreateTrail with a role passes it; tags on create need the tag action.
IMPLIED = {
    ("cloudtrail", "CreateTrail"): ["iam:PassRole", "cloudtrail:AddTags"],
    ("cloudtrail", "UpdateTrail"): ["iam:PassRole"],
    ("kms", "CreateKey"): ["kms:TagResource"],
    ("iam", "CreateRole"): ["iam:TagRole"],
    ("sns", "CreateTopic"): ["sns:TagResource"],
    ("logs", "CreateLogGroup"): ["logs:TagResource"],
}


def iam_actions(service: str, operation: str) -> list[str]:
    main = IAM_ACTION.get((service, operation), f"{service}:{operation}")
    return [main, *IMPLIED.get((service, operation), [])]


def allowed() -> set[str]:
    found: set[str] = set()
    for statement in apply_policy()["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_every_recorded_apply_call_is_in_the_policy(aws: str) -> None:
    recorded: set[tuple[str, str]] = set()
    fresh = access()
    assert apply(make_plan(), acc=fresh).failed is None
    recorded |= {(service, op) for (_, service, op) in fresh.calls}
    reset_moto(aws)
    seeded = seed_legacy_trail()
    repair = access()
    assert apply(make_plan(alarm_topic=seeded["topic"]), acc=repair).failed is None
    recorded |= {(service, op) for (_, service, op) in repair.calls}
    assert ("kms", "CreateKey") in recorded and ("iam", "UpdateAssumeRolePolicy") in recorded
    assert len(recorded) > 40
    policy = allowed()
    missing = sorted(
        f"{action} (for {service}:{op})"
        for service, op in recorded
        for action in iam_actions(service, op)
        if action not in policy
    )
    assert not missing, missing
