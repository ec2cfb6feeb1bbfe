"""The IAM actions ``verify`` needs, declared once; policies/verify-policy.json is generated from
``VERIFY_GRANTS`` (``python -m trailwarden.policies.generate``).

The checks, ``verify --org``'s reads and the canary reads are read-only (``VerifyReadOnly``).
The canary calls are declared by their candidates (``verify.canaries.CANDIDATES``) into
``VerifyCanaryEvents``, and only two are granted: StartLogging (it can only turn logging on) and
the GetBucketCors check. The others are refused without a grant, and refused they still do their
job: CloudTrail records a refused call under its eventName, which is all those CIS filters read.
The test queue's subscription goes into ``VerifyCanaryEndpoint``.
tests/apply/test_canary_policy.py records every call ``verify --canary-all --canary-endpoint``
makes and tests/verify_org/test_verify_org_policy.py every call ``verify --org`` makes; each
fails if the policy misses one.
"""

from __future__ import annotations

from trailwarden.policies.permissions import (
    VERIFY_CANARY_ENDPOINT,
    VERIFY_READ_ONLY,
    Grant,
    grant,
)
from trailwarden.verify.canaries import CANDIDATES

CHECK_READS = grant(
    VERIFY_READ_ONLY,
    "sts:GetCallerIdentity",
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:ListPublicKeys",  # digest signatures (skipped with --public-key)
    "s3:ListBucket",  # log and digest files
    "s3:GetObject",  # digest validation reads them
    "logs:FilterLogEvents",  # events in the log group; the canary's event by request ID
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarms",
    "sns:ListSubscriptionsByTopic",  # confirmed subscriber; who a canary would page
)
# verify --org: everything in the management account (or the delegated admin), the bucket in the
# log-archive account; members are not entered (verify/org.py).
ORG_READS = grant(
    VERIFY_READ_ONLY,
    "organizations:ListAccounts",  # every ACTIVE account
    "organizations:ListPolicies",  # the guardrail SCP by name
    "organizations:DescribePolicy",  # its content
    "organizations:ListTargetsForPolicy",  # where it is attached
    "organizations:ListChildren",  # the accounts below an OU it is attached to
    "config:DescribeOrganizationConformancePackStatuses",
    "config:GetOrganizationConformancePackDetailedStatus",
    "events:DescribeRule",
    "events:ListTargetsByRule",
    "s3:GetBucketLocation",  # once per bucket: the listings go straight to its Region
    "kms:DescribeKey",  # a key the plan created, named by alias in the SCP and the rule pattern
)
CANARY_READS = grant(
    VERIFY_READ_ONLY,
    "cloudwatch:GetMetricData",  # the filter's datapoint; the topic's AWS/SNS delivery metrics
    "cloudwatch:DescribeAlarmHistory",  # the state change to ALARM and the SNS action
)
ENDPOINT = grant(
    VERIFY_CANARY_ENDPOINT,
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sns:Subscribe",
    "sns:Unsubscribe",
)
VERIFY_GRANTS: tuple[Grant, ...] = (
    CHECK_READS,
    ORG_READS,
    CANARY_READS,
    ENDPOINT,
    *(g for c in CANDIDATES for g in c.needs),
)
