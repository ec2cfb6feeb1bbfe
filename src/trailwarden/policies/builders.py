"""Pure builders for every policy the baseline needs, exactly as
docs/aws-facts/trail-setup.md#policies prescribes.

They return plain dicts (JSON-ready). Statement ids matter: ``merge_statements`` recognises our
statements by Sid, so the CloudTrail ones keep the Sids of AWS's documented examples and the ones
trailwarden adds on its own start with ``Trailwarden``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trailwarden.arns import (
    account_root_arn,
    alarm_arn,
    any_trail_arn,
    bucket_arn,
    key_prefix_path,
    log_group_arn,
)

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]

VERSION = "2012-10-17"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
S3_LOGGING = "logging.s3.amazonaws.com"
CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTS = "events.amazonaws.com"

# Sids of the statements trailwarden owns (used by plan/apply to recognise its own statements).
SID_ACL_CHECK = "AWSCloudTrailAclCheck20150319"
SID_WRITE = "AWSCloudTrailWrite20150319"
SID_ORG_WRITE = "AWSCloudTrailOrganizationWrite20150319"
SID_TLS_ONLY = "TrailwardenDenyInsecureTransport"
SID_ACCESS_LOGS = "TrailwardenS3ServerAccessLogs"
SID_KMS_ENCRYPT = "Allow CloudTrail to encrypt logs"
SID_KMS_DESCRIBE = "Allow CloudTrail to describe key"
SID_KMS_DECRYPT_TRAIL = "Allow CloudTrail to decrypt a trail"
SID_KMS_DECRYPT_READERS = "Enable CloudTrail log decrypt permissions"
SID_KMS_DEFAULT = "Enable IAM User Permissions"
SID_CW_ASSUME = "AWSCloudTrailAssumeRole"
SID_CW_CREATE_STREAM = "AWSCloudTrailCreateLogStream20141101"
SID_CW_PUT_EVENTS = "AWSCloudTrailPutLogEvents20141101"
SID_SNS_ALARMS = "TrailwardenAllowCloudWatchAlarms"


def document(statements: Sequence[Statement]) -> PolicyDocument:
    return {"Version": VERSION, "Statement": list(statements)}


def _cloudtrail_principal() -> dict[str, str]:
    return {"Service": CLOUDTRAIL}


# --- S3: the trail bucket (docs/aws-facts/trail-setup.md#trail-bucket-policy) ---------------------


def trail_bucket_statements(
    *,
    bucket: str,
    account_id: str,
    trail_arn: str,
    prefix: str | None,
    org_id: str | None = None,
    partition: str = "aws",
) -> list[Statement]:
    """The CloudTrail statements of the log bucket's policy.

    ``trail_arn`` is the trail that writes here; for an organisation trail it is the management
    account's trail ARN, and ``account_id`` is the management account (its own logs keep the plain
    ``AWSLogs/ACCOUNT/*`` statement in case the trail is converted back,
    docs/aws-facts/trail-setup.md#org-trail-bucket-policy).
    """
    arn = bucket_arn(bucket, partition)
    path = key_prefix_path(prefix)
    source = {"aws:SourceArn": trail_arn}
    statements: list[Statement] = [
        {
            "Sid": SID_ACL_CHECK,
            "Effect": "Allow",
            "Principal": _cloudtrail_principal(),
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": {"StringEquals": dict(source)},
        },
        {
            "Sid": SID_WRITE,
            "Effect": "Allow",
            "Principal": _cloudtrail_principal(),
            "Action": "s3:PutObject",
            "Resource": f"{arn}/{path}AWSLogs/{account_id}/*",
            "Condition": {
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source},
            },
        },
    ]
    if org_id is not None:
        statements.append(
            {
                "Sid": SID_ORG_WRITE,
                "Effect": "Allow",
                "Principal": _cloudtrail_principal(),
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{path}AWSLogs/{org_id}/*",
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source},
                },
            }
        )
    return statements


def tls_only_statement(bucket: str, partition: str = "aws") -> Statement:
    """Deny every request to the bucket and its objects that does not use TLS."""
    arn = bucket_arn(bucket, partition)
    return {
        "Sid": SID_TLS_ONLY,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def trail_bucket_policy(
    *,
    bucket: str,
    account_id: str,
    trail_arn: str,
    prefix: str | None,
    org_id: str | None = None,
    partition: str = "aws",
) -> PolicyDocument:
    statements = trail_bucket_statements(
        bucket=bucket,
        account_id=account_id,
        trail_arn=trail_arn,
        prefix=prefix,
        org_id=org_id,
        partition=partition,
    )
    return document([*statements, tls_only_statement(bucket, partition)])


# --- S3: the access-log bucket (CloudTrail.7) ------------------------------------------------


def access_log_statement(
    *,
    access_log_bucket: str,
    source_bucket: str,
    account_id: str,
    target_prefix: str,
    partition: str = "aws",
) -> Statement:
    """Let S3 server access logging deliver the trail bucket's access logs (the bucket-policy way
    S3 recommends over the log-delivery ACL), only for our source bucket and account."""
    return {
        "Sid": SID_ACCESS_LOGS,
        "Effect": "Allow",
        "Principal": {"Service": S3_LOGGING},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn(access_log_bucket, partition)}/{target_prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": bucket_arn(source_bucket, partition)},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }


def access_log_bucket_policy(
    *,
    access_log_bucket: str,
    source_bucket: str,
    account_id: str,
    target_prefix: str,
    partition: str = "aws",
) -> PolicyDocument:
    return document(
        [
            access_log_statement(
                access_log_bucket=access_log_bucket,
                source_bucket=source_bucket,
                account_id=account_id,
                target_prefix=target_prefix,
                partition=partition,
            ),
            tls_only_statement(access_log_bucket, partition),
        ]
    )


# --- KMS (docs/aws-facts/trail-setup.md#kms-key-policy) -------------------------------------------


def kms_key_statements(
    *,
    account_id: str,
    trail_arn: str,
    reader_arns: Sequence[str],
    partition: str = "aws",
    context_accounts: Sequence[str] = (),
) -> list[Statement]:
    """Statements CloudTrail needs on the key; they are ADDED to the key policy, never replace it.

    ``context_accounts``: for an organisation trail, every account whose log files the key
    encrypts; each one's ``arn:PARTITION:cloudtrail:*:ACCOUNT:trail/*`` joins the encryption
    context list (docs/org.md#kms-key-policy), while ``aws:SourceArn`` still names only the
    management account's trail, so no other trail may use the key.

    ``account_id`` owns the trail (the management account for an organisation trail, whose
    ``aws:SourceArn`` and encryption context both name it). ``reader_arns`` are the IAM principals
    allowed to decrypt log files; without one the statement is left out (the default key policy
    already lets the account delegate decrypt through IAM).
    """
    source = {"aws:SourceArn": trail_arn}
    others = [a for a in dict.fromkeys(context_accounts) if a != account_id]
    own = any_trail_arn(account_id, partition)
    context_arn: str | list[str] = own
    if others:
        context_arn = [own, *(any_trail_arn(a, partition) for a in others)]
    statements: list[Statement] = [
        {
            "Sid": SID_KMS_ENCRYPT,
            "Effect": "Allow",
            "Principal": _cloudtrail_principal(),
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": context_arn},
                "StringEquals": dict(source),
            },
        },
        {
            "Sid": SID_KMS_DESCRIBE,
            "Effect": "Allow",
            "Principal": _cloudtrail_principal(),
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": dict(source)},
        },
        # Required when the bucket uses an S3 Bucket Key
        # (docs/aws-facts/trail-setup.md#kms-key-policy); harmless otherwise.
        {
            "Sid": SID_KMS_DECRYPT_TRAIL,
            "Effect": "Allow",
            "Principal": _cloudtrail_principal(),
            "Action": "kms:Decrypt",
            "Resource": "*",
        },
    ]
    if reader_arns:
        readers: str | list[str] = reader_arns[0] if len(reader_arns) == 1 else list(reader_arns)
        statements.append(
            {
                "Sid": SID_KMS_DECRYPT_READERS,
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}},
            }
        )
    return statements


def default_key_policy(account_id: str, partition: str = "aws") -> PolicyDocument:
    """AWS's default key policy: the account (through IAM) administers and uses the key."""
    return document(
        [
            {
                "Sid": SID_KMS_DEFAULT,
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn(account_id, partition)},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    )


def new_key_policy(
    *, account_id: str, trail_arn: str, reader_arns: Sequence[str], partition: str = "aws"
) -> PolicyDocument:
    """The policy of a key trailwarden creates: the default policy plus CloudTrail's statements."""
    base = default_key_policy(account_id, partition)
    extra = kms_key_statements(
        account_id=account_id, trail_arn=trail_arn, reader_arns=reader_arns, partition=partition
    )
    return document([*base["Statement"], *extra])


# --- CloudWatch Logs delivery role (docs/aws-facts/trail-setup.md#cloudwatch-logs-role) -----------


def cloudwatch_role_trust_policy() -> PolicyDocument:
    return document(
        [
            {
                "Sid": SID_CW_ASSUME,
                "Effect": "Allow",
                "Principal": _cloudtrail_principal(),
                "Action": "sts:AssumeRole",
            }
        ]
    )


def cloudwatch_role_policy(
    *, region: str, account_id: str, log_group: str, org_id: str | None = None
) -> PolicyDocument:
    """CreateLogStream + PutLogEvents on the trail's streams in its log group.

    Streams are ``ACCOUNT_CloudTrail_REGION[_n]``;
    docs/aws-facts/trail-setup.md#cloudwatch-logs-role notes the Region part is unconfirmed for
    multi-Region trails, so the safe ``ACCOUNT_CloudTrail_*`` wildcard is used. Organisation trails
    also write ``o-ORGID_*`` streams.
    """
    group = log_group_arn(region, account_id, log_group, streams=False)
    streams = [f"{group}:log-stream:{account_id}_CloudTrail_*"]
    if org_id is not None:
        streams.append(f"{group}:log-stream:{org_id}_*")
    return document(
        [
            {
                "Sid": SID_CW_CREATE_STREAM,
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream"],
                "Resource": list(streams),
            },
            {
                "Sid": SID_CW_PUT_EVENTS,
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents"],
                "Resource": list(streams),
            },
        ]
    )


# --- SNS: alarm topic ------------------------------------------------------------------------


def sns_alarm_publish_statement(*, topic_arn: str, region: str, account_id: str) -> Statement:
    """Let this account's CloudWatch alarms publish to the topic.

    A new topic's default policy already allows same-account alarms; this statement is merged into
    an existing topic whose policy was tightened, so the 14 alarms can still notify.
    """
    alarms = alarm_arn(region, account_id, "*")
    return {
        "Sid": SID_SNS_ALARMS,
        "Effect": "Allow",
        "Principal": {"Service": CLOUDWATCH},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": {"aws:SourceArn": alarms},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }
