"""ARNs the policies need, built from names before the resources exist.

CloudTrail validates bucket and key policies synchronously in CreateTrail, and those policies name
the trail by ARN (``aws:SourceArn``), so every ARN here is derived, never looked up (spec §4.1).
"""

from __future__ import annotations


def partition_for_region(region: str) -> str:
    """The ARN partition a Region belongs to (China and GovCloud have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def trail_arn(region: str, account_id: str, trail_name: str) -> str:
    return f"arn:{partition_for_region(region)}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def log_group_arn(region: str, account_id: str, log_group: str) -> str:
    """The form CloudTrail's ``CloudWatchLogsLogGroupArn`` expects (with the ``:*`` suffix)."""
    return f"arn:{partition_for_region(region)}:logs:{region}:{account_id}:log-group:{log_group}:*"


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_root_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def topic_arn(region: str, account_id: str, topic_name: str) -> str:
    return f"arn:{partition_for_region(region)}:sns:{region}:{account_id}:{topic_name}"


def key_prefix_path(prefix: str | None) -> str:
    """``PREFIX/`` or ``""``: the part of an object key before ``AWSLogs/`` (spec §4.5)."""
    return f"{prefix}/" if prefix else ""
