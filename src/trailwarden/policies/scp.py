"""The guardrail SCP: nobody but the approved roles weakens the organisation trail (pure).

One ``Deny`` statement per protected resource, each exempting the approved roles with
``ArnNotLike aws:PrincipalArn`` (what AWS recommends instead of ``NotPrincipal``, which SCPs do
not accept): the trail, its bucket, the log objects in it, and its KMS key. Why each action is
denied, and why the document looks the way it does, is in docs/aws-facts/scp.md#guardrail.

SCP rules the document keeps (docs/aws-facts/scp.md#syntax): no ``Principal``/``NotPrincipal``,
``Deny`` statements only, ``Sid`` alphanumeric, and at most 5,120 characters as sent. It is sent
without white space (``compact``); a key the plan creates is a ``${kms-alias:...}`` placeholder
until apply resolves it, so the size is checked with the placeholder replaced by the longest
key ARN the Region can have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trailwarden.arns import arn_account, arn_partition, arn_parts, bucket_arn
from trailwarden.placeholders import KEY_REF_IN_TEXT, parse_key_ref

SCP_MAX_CHARS = 5120
SCP_TYPE = "SERVICE_CONTROL_POLICY"
POLICY_NAME = "trailwarden-org-trail-guardrail"
DESCRIPTION = "Denies stopping, changing or deleting the organisation trail, its bucket and key"
# The tag that marks a policy trailwarden created: only such a policy is ever updated.
MANAGED_TAG = {"Key": "managed-by", "Value": "trailwarden"}
MANAGEMENT_ACCOUNT_NOTE = "SCPs do not apply to the management account"

# What the guardrail denies, by resource (docs/aws-facts/scp.md#guardrail says why each).
# PutAdvancedEventSelectors is not an IAM action: advanced selectors are set through
# PutEventSelectors and authorised as cloudtrail:PutEventSelectors.
TRAIL_ACTIONS = (
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:RemoveTags",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
)
BUCKET_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutLifecycleConfiguration",
)
LOG_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
KEY_ACTIONS = (
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
)

_KEY_ID_LENGTH = 36  # a key id is a UUID; multi-Region keys ("mrk-" + 32 hex) are as long
_APPROVED = re.compile(r"^arn:[a-z*?-]+:(iam|sts)::[0-9*?]{1,12}:[^\s:]+$")


class GuardrailError(ValueError):
    """The guardrail cannot be written as asked (bad pattern, too large); the message says why."""


@dataclass(frozen=True)
class Protected:
    """What the guardrail protects: ARNs as the requests to them carry them."""

    trail_name: str
    trail_accounts: tuple[str, ...]  # the account in the trail's ARN, and the management account
    partition: str
    bucket: str
    kms_key: str | None  # a key ARN, or a ${kms-alias:...} placeholder, or None

    @property
    def trail_resources(self) -> list[str]:
        # Any Region: the ARN names the trail's home Region, but the deny must not depend on it.
        return [
            f"arn:{self.partition}:cloudtrail:*:{account}:trail/{self.trail_name}"
            for account in self.trail_accounts
        ]

    @property
    def bucket_resource(self) -> str:
        return bucket_arn(self.bucket, self.partition)

    @property
    def objects_resource(self) -> str:
        return f"{self.bucket_resource}/*"


def protected(
    trail_arn: str, management_account: str, bucket: str, kms_key: str | None
) -> Protected:
    name = arn_parts(trail_arn)[5].removeprefix("trail/") if len(arn_parts(trail_arn)) == 6 else ""
    if not name:
        raise GuardrailError(f"not a trail ARN: {trail_arn}")
    accounts = tuple(dict.fromkeys([arn_account(trail_arn), management_account]))
    return Protected(name, accounts, arn_partition(trail_arn), bucket, kms_key)


def approved_role_problem(pattern: str) -> str | None:
    """One line saying why ``pattern`` cannot be an ``aws:PrincipalArn`` pattern, or None."""
    if not _APPROVED.match(pattern):
        return (
            f"--approved-role {pattern!r} is not an IAM principal ARN pattern"
            " (e.g. arn:aws:iam::*:role/TrailwardenApply)"
        )
    if ":assumed-role/" in pattern:
        return (
            f"--approved-role {pattern!r}: aws:PrincipalArn of a role session is the role's ARN"
            " (arn:PARTITION:iam::ACCOUNT:role/NAME), never the sts assumed-role ARN"
        )
    return None


def _deny(
    sid: str, actions: Sequence[str], resources: Sequence[str], approved: Sequence[str]
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Deny",
        "Action": list(actions),
        "Resource": resources[0] if len(resources) == 1 else list(resources),
    }
    if approved:
        statement["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(approved)}}
    return statement


def guardrail_document(target: Protected, approved_roles: Sequence[str]) -> dict[str, Any]:
    """The SCP, checked against the SCP limits; raises ``GuardrailError``."""
    for pattern in approved_roles:
        problem = approved_role_problem(pattern)
        if problem:
            raise GuardrailError(problem)
    approved = list(dict.fromkeys(approved_roles))
    statements = [
        _deny("ProtectOrgTrail", TRAIL_ACTIONS, target.trail_resources, approved),
        _deny("ProtectOrgTrailBucket", BUCKET_ACTIONS, [target.bucket_resource], approved),
        _deny("ProtectOrgTrailLogs", LOG_OBJECT_ACTIONS, [target.objects_resource], approved),
    ]
    if target.kms_key:
        statements.append(_deny("ProtectOrgTrailKey", KEY_ACTIONS, [target.kms_key], approved))
    document = {"Version": "2012-10-17", "Statement": statements}
    size = sent_size(document)
    if size > SCP_MAX_CHARS:
        raise GuardrailError(
            f"the guardrail SCP would be {size} characters, over the {SCP_MAX_CHARS} AWS allows:"
            " approve fewer or broader --approved-role patterns"
        )
    return document


def compact(document: dict[str, Any]) -> str:
    """The text sent to CreatePolicy/UpdatePolicy: every character counts against the limit."""
    return json.dumps(document, separators=(",", ":"))


def sent_size(document: dict[str, Any]) -> int:
    """Characters once apply has replaced a key placeholder by the longest ARN it can be."""

    def longest(match: re.Match[str]) -> str:
        region = match.group(3)
        return f"arn:aws-us-gov:kms:{region}:{'0' * 12}:key/{'k' * _KEY_ID_LENGTH}"

    return len(KEY_REF_IN_TEXT.sub(longest, compact(document)))


def key_stand_in(kms_key: str, account: str, partition: str) -> str:
    """A concrete ARN standing for a key the plan has not created yet (for evaluating)."""
    ref = parse_key_ref(kms_key)
    if ref is None:
        return kms_key
    return f"arn:{partition}:kms:{ref.region}:{ref.account or account}:key/planned-by-trailwarden"
