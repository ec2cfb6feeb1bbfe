"""Which IAM action authorises each API operation (where the names differ), for shipped policies.

sts:GetCallerIdentity needs no permission; S3 has several operations whose action names differ.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# (boto3 service name, operation) -> IAM action, only where it is not "<prefix>:<operation>".
_RENAMED = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3control", "PutPublicAccessBlock"): "s3:PutAccountPublicAccessBlock",
}
_PREFIX = {"s3control": "s3", "cloudwatch": "cloudwatch"}
NO_PERMISSION_NEEDED = frozenset({("sts", "GetCallerIdentity")})


def iam_action(service: str, operation: str) -> str:
    return _RENAMED.get((service, operation), f"{_PREFIX.get(service, service)}:{operation}")


def shipped_policy(name: str) -> dict[str, Any]:
    """A policy document shipped in the package (``scan-policy.json``, ``apply-policy.json``)."""
    text = resources.files("trailwarden.policies").joinpath(name).read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


def allowed_actions(policy: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        value = statement.get("Action", [])
        actions.update([value] if isinstance(value, str) else value)
    return actions
