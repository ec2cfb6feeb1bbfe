"""Every ARN trailwarden builds or takes apart (pure: no AWS, no other trailwarden module).

The partition (``aws``, ``aws-cn``, ``aws-us-gov``) comes from the Region, in
``partition_for_region`` alone; nothing here defaults to ``aws``, and parsing never assumes it
(an alarm action ``arn:aws-us-gov:sns:...`` is an SNS topic like any other).

ARNs are built from names, never looked up: CloudTrail validates bucket and key policies
synchronously in CreateTrail, and those policies name the trail by ARN (``aws:SourceArn``), so
the ARNs must exist before the resources do (docs/aws-facts/trail-setup.md#trail-bucket-policy).
"""

from __future__ import annotations

# --- parsing -------------------------------------------------------------------------------------


def arn_parts(arn: str) -> list[str]:
    """``arn:partition:service:region:account:resource...`` split into at most 6 fields."""
    return arn.split(":", 5)


def arn_partition(arn: str) -> str:
    parts = arn_parts(arn)
    return parts[1] if len(parts) > 1 and parts[0] == "arn" else ""


def arn_service(arn: str) -> str:
    """``sns`` for ``arn:<any partition>:sns:...``; ``""`` for anything that is not an ARN."""
    parts = arn_parts(arn)
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else ""


def arn_account(arn: str) -> str:
    parts = arn_parts(arn)
    return parts[4] if len(parts) > 4 else ""


def arn_region(arn: str) -> str:
    parts = arn_parts(arn)
    return parts[3] if len(parts) > 3 else ""


def log_group_name(arn: str) -> str:
    """``arn:aws:logs:<r>:<acct>:log-group:<name>:*`` -> ``<name>`` (names may contain ':')."""
    rest = arn.split(":", 6)
    if len(rest) < 7 or rest[5] != "log-group":
        return ""
    name = rest[6]
    return name[:-2] if name.endswith(":*") else name


# --- building ------------------------------------------------------------------------------------


def partition_for_region(region: str) -> str:
    """The ARN partition a Region belongs to (China and GovCloud have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def trail_arn(region: str, account_id: str, trail_name: str) -> str:
    return f"arn:{partition_for_region(region)}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def any_trail_arn(account_id: str, partition: str) -> str:
    """Every trail of the account, in every Region (a policy's ARN pattern)."""
    return f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"


def bucket_arn(bucket: str, partition: str) -> str:
    return f"arn:{partition}:s3:::{bucket}"


def log_group_arn(region: str, account_id: str, log_group: str, *, streams: bool = True) -> str:
    """With ``streams`` the form CloudTrail's ``CloudWatchLogsLogGroupArn`` expects (``:*``
    suffix); without it the group itself, as a prefix for its log-stream ARNs."""
    group = f"arn:{partition_for_region(region)}:logs:{region}:{account_id}:log-group:{log_group}"
    return f"{group}:*" if streams else group


def role_arn(account_id: str, role_name: str, partition: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_root_arn(account_id: str, partition: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def topic_arn(region: str, account_id: str, topic_name: str) -> str:
    return f"arn:{partition_for_region(region)}:sns:{region}:{account_id}:{topic_name}"


def alarm_arn(region: str, account_id: str, alarm_name: str) -> str:
    return f"arn:{partition_for_region(region)}:cloudwatch:{region}:{account_id}:alarm:{alarm_name}"


def event_rule_arn(region: str, account_id: str, rule_name: str) -> str:
    """A rule on the account's default event bus."""
    return f"arn:{partition_for_region(region)}:events:{region}:{account_id}:rule/{rule_name}"


def key_prefix_path(prefix: str | None) -> str:
    """``PREFIX/`` or ``""``: the part of an object key (and its ARN) before ``AWSLogs/``
    (docs/aws-facts/digests.md#s3-key-layout)."""
    return f"{prefix}/" if prefix else ""
