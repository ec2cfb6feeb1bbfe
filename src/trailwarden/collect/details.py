"""Reading one trail's details and the resources it points at (bucket, KMS key, log group).

Each read goes through ``ReadContext.call`` so a failure is recorded and leaves the field ``None``;
each is declared (``declare``) with the IAM action it needs.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from trailwarden.arns import arn_account, arn_region, arn_service, log_group_name
from trailwarden.aws.errors import AWS_ERRORS, error_code
from trailwarden.collect.reads import Read, ReadContext, declare
from trailwarden.snapshot.model import (
    Alarm,
    Bucket,
    EventSelectors,
    KmsKey,
    LogGroup,
    MetricFilter,
    Topic,
    Trail,
    TrailStatus,
)

_STATUS_FIELDS = {
    "LatestDeliveryTime": "latest_delivery_time",
    "LatestDeliveryError": "latest_delivery_error",
    "LatestDigestDeliveryTime": "latest_digest_delivery_time",
    "LatestDigestDeliveryError": "latest_digest_delivery_error",
    "LatestCloudWatchLogsDeliveryTime": "latest_cloudwatch_logs_delivery_time",
    "LatestCloudWatchLogsDeliveryError": "latest_cloudwatch_logs_delivery_error",
    "StartLoggingTime": "start_logging_time",
    "StopLoggingTime": "stop_logging_time",
}


def trail_from_description(raw: dict[str, Any], region: str) -> Trail:
    arn = raw["TrailARN"]
    return Trail(
        arn=arn,
        name=raw.get("Name", arn.rsplit("/", 1)[-1]),
        account=arn_account(arn),
        home_region=raw.get("HomeRegion") or region,
        is_multi_region=bool(raw.get("IsMultiRegionTrail")),
        is_organization_trail=bool(raw.get("IsOrganizationTrail")),
        include_global_service_events=bool(raw.get("IncludeGlobalServiceEvents")),
        log_file_validation_enabled=bool(raw.get("LogFileValidationEnabled")),
        kms_key_id=raw.get("KmsKeyId") or None,
        cloudwatch_logs_log_group_arn=raw.get("CloudWatchLogsLogGroupArn") or None,
        cloudwatch_logs_role_arn=raw.get("CloudWatchLogsRoleArn") or None,
        s3_bucket_name=raw.get("S3BucketName") or None,
        s3_key_prefix=raw.get("S3KeyPrefix") or None,
        sns_topic_arn=raw.get("SnsTopicARN") or None,
    )


GET_TRAIL_STATUS = declare("cloudtrail:GetTrailStatus")
GET_EVENT_SELECTORS = declare("cloudtrail:GetEventSelectors")
GET_INSIGHT_SELECTORS = declare("cloudtrail:GetInsightSelectors")
LIST_TAGS = declare("cloudtrail:ListTags")


def read_trail(c: ReadContext, account: str, trail: Trail, *, owned: bool) -> None:
    """Status and selectors for every trail (account-level controls count organisation trails);
    insight selectors and tags only for the account's own trails (resource-level controls)."""
    region = trail.home_region
    ct = c.client(account, region, "cloudtrail")
    status = c.call(account, region, GET_TRAIL_STATUS, lambda: ct.get_trail_status(Name=trail.arn))
    if status is not None:
        fields = {v: status.get(k) for k, v in _STATUS_FIELDS.items()}
        trail.status = TrailStatus(is_logging=bool(status.get("IsLogging")), **fields)
    selectors = c.call(
        account,
        region,
        GET_EVENT_SELECTORS,
        lambda: ct.get_event_selectors(TrailName=trail.arn),
    )
    if selectors is not None:
        trail.selectors = EventSelectors(
            basic=selectors.get("EventSelectors") or [],
            advanced=selectors.get("AdvancedEventSelectors") or [],
        )
    if not owned:
        return
    try:
        insights = ct.get_insight_selectors(TrailName=trail.arn)
        trail.insight_selectors = list(insights.get("InsightSelectors") or [])
    except ClientError as exc:
        if error_code(exc) == "InsightNotEnabledException":
            trail.insight_selectors = []
        else:
            c.record(account, region, GET_INSIGHT_SELECTORS, exc)
    except AWS_ERRORS as exc:
        c.record(account, region, GET_INSIGHT_SELECTORS, exc)
    tags = c.call(account, region, LIST_TAGS, lambda: ct.list_tags(ResourceIdList=[trail.arn]))
    if tags is not None:
        found: dict[str, str] = {}
        for entry in tags.get("ResourceTagList", []):
            for tag in entry.get("TagsList") or []:
                found[tag["Key"]] = tag.get("Value", "")
        trail.tags = found


def _optional(
    c: ReadContext, account: str, region: str, read: Read, fn: Any, absent: set[str], default: Any
) -> Any:
    """Call ``fn``; an error code in ``absent`` means "not configured" and yields ``default``."""
    try:
        return fn()
    except ClientError as exc:
        if error_code(exc) in absent:
            return default
        c.record(account, region, read, exc)
    except AWS_ERRORS as exc:
        c.record(account, region, read, exc)
    return None


LIST_BUCKETS = declare("s3:ListBuckets", "s3:ListAllMyBuckets")


def _owned_buckets(c: ReadContext, account: str) -> set[str] | None:
    def compute() -> set[str] | None:
        s3 = c.client(account, c.access.default_region, "s3")
        listed = c.call(account, "global", LIST_BUCKETS, lambda: s3.list_buckets())
        return None if listed is None else {b["Name"] for b in listed.get("Buckets", [])}

    return c.memo((account, "owned-buckets"), compute)


def read_central_bucket(c: ReadContext, account: str, name: str) -> Bucket | None:
    """A bucket another account's trail delivers to, read only if this account owns it (it is
    graded where it lives); ``owned=None`` when ListBuckets failed, so whether it does is
    unknown; None when it is someone else's."""
    owned = _owned_buckets(c, account)
    if owned is None:
        return Bucket(name=name, owned=None)
    return read_bucket(c, account, name) if name in owned else None


HEAD_BUCKET = declare("s3:HeadBucket", "s3:ListBucket")
GET_BUCKET_LOCATION = declare("s3:GetBucketLocation")
GET_PUBLIC_ACCESS_BLOCK = declare("s3:GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock")
GET_BUCKET_POLICY = declare("s3:GetBucketPolicy")
GET_BUCKET_POLICY_STATUS = declare("s3:GetBucketPolicyStatus")
GET_BUCKET_ACL = declare("s3:GetBucketAcl")
GET_BUCKET_LOGGING = declare("s3:GetBucketLogging")
GET_BUCKET_ENCRYPTION = declare("s3:GetBucketEncryption", "s3:GetEncryptionConfiguration")


def read_bucket(c: ReadContext, account: str, name: str) -> Bucket:
    """Read the bucket only if this account owns it
    (docs/aws-facts/controls.md#bucket-in-another-account): else it stays unevaluated."""
    owned = _owned_buckets(c, account)
    bucket = Bucket(name=name, owned=None if owned is None else name in owned)
    home = c.access.default_region
    if owned is not None and name not in owned:
        s3 = c.client(account, home, "s3")
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or error_code(exc) in {"404", "NoSuchBucket", "NotFound"}:
                bucket.exists = False
        except AWS_ERRORS as exc:
            c.record(account, home, HEAD_BUCKET, exc)
        return bucket
    if not bucket.owned:
        return bucket
    s3 = c.client(account, home, "s3")
    location = c.call(
        account, home, GET_BUCKET_LOCATION, lambda: s3.get_bucket_location(Bucket=name)
    )
    region = home
    if location is not None:
        region = location.get("LocationConstraint") or "us-east-1"
        bucket.region = region
    s3 = c.client(account, region, "s3")
    pab = _optional(
        c,
        account,
        region,
        GET_PUBLIC_ACCESS_BLOCK,
        lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
        {"NoSuchPublicAccessBlockConfiguration"},
        {},
    )
    bucket.public_access_block = pab
    bucket.account_public_access_block = _account_pab(c, account)
    policy = _optional(
        c,
        account,
        region,
        GET_BUCKET_POLICY,
        lambda: s3.get_bucket_policy(Bucket=name)["Policy"],
        {"NoSuchBucketPolicy"},
        "",
    )
    if policy is not None:
        bucket.policy = json.loads(policy) if policy else {}
    status = _optional(
        c,
        account,
        region,
        GET_BUCKET_POLICY_STATUS,
        lambda: s3.get_bucket_policy_status(Bucket=name).get("PolicyStatus", {}),
        {"NoSuchBucketPolicy"},
        {"IsPublic": False},
    )
    if status is not None and "IsPublic" in status:
        bucket.policy_is_public = bool(status["IsPublic"])
    acl = c.call(account, region, GET_BUCKET_ACL, lambda: s3.get_bucket_acl(Bucket=name))
    if acl is not None:
        bucket.acl_grants = list(acl.get("Grants", []))
    logging = c.call(
        account, region, GET_BUCKET_LOGGING, lambda: s3.get_bucket_logging(Bucket=name)
    )
    if logging is not None:
        enabled = logging.get("LoggingEnabled")
        bucket.logging_enabled = bool(enabled)
        bucket.logging_target = enabled.get("TargetBucket") if enabled else None
    enc = _optional(
        c,
        account,
        region,
        GET_BUCKET_ENCRYPTION,
        lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"],
        {"ServerSideEncryptionConfigurationNotFoundError"},
        [],
    )
    bucket.encryption = enc
    return bucket


GET_ACCOUNT_PUBLIC_ACCESS_BLOCK = declare("s3:GetAccountPublicAccessBlock")


def _account_pab(c: ReadContext, account: str) -> dict[str, bool] | None:
    def compute() -> dict[str, bool] | None:
        s3control = c.client(account, c.access.default_region, "s3control")
        got: dict[str, bool] | None = _optional(
            c,
            account,
            "global",
            GET_ACCOUNT_PUBLIC_ACCESS_BLOCK,
            lambda: s3control.get_public_access_block(AccountId=account)[
                "PublicAccessBlockConfiguration"
            ],
            {"NoSuchPublicAccessBlockConfiguration"},
            {},
        )
        return got

    return c.memo((account, "account-pab"), compute)


DESCRIBE_KEY = declare("kms:DescribeKey")


def describe_key(c: ReadContext, account: str, region: str, key_id: str) -> KmsKey:
    key_region = arn_region(key_id) if key_id.startswith("arn:") else region
    kms = c.client(account, key_region, "kms")
    got = c.call(account, key_region, DESCRIBE_KEY, lambda: kms.describe_key(KeyId=key_id))
    key = KmsKey(arn=key_id)
    if got is not None:
        meta = got["KeyMetadata"]
        key.key_state = meta.get("KeyState")
        key.key_manager = meta.get("KeyManager")
    return key


DESCRIBE_LOG_GROUPS = declare("logs:DescribeLogGroups")
DESCRIBE_METRIC_FILTERS = declare("logs:DescribeMetricFilters")


def read_log_group(
    c: ReadContext, account: str, arn: str, *, with_alarm_chain: bool
) -> LogGroup | None:
    """The trail's log group and, for multi-Region trails, the CloudWatch.x chain hanging off it:
    its metric filters, the alarms on those filters' metrics, and those alarms' SNS topics."""
    name, region, owner = log_group_name(arn), arn_region(arn), arn_account(arn)
    group = LogGroup(arn=arn, name=name, region=region, account=owner)
    if owner != account or not name:
        return group  # another account's group: not ours to evaluate
    logs = c.client(account, region, "logs")
    found = c.call(
        account,
        region,
        DESCRIBE_LOG_GROUPS,
        lambda: logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", []),
    )
    if found is None:
        return group
    match = [g for g in found if g.get("logGroupName") == name]
    group.exists = bool(match)
    if match:
        group.retention_days = match[0].get("retentionInDays")
    if not group.exists or not with_alarm_chain:
        return group
    filters = c.call(
        account,
        region,
        DESCRIBE_METRIC_FILTERS,
        lambda: [
            f
            for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName=name)
            for f in page.get("metricFilters", [])
        ],
    )
    if filters is None:
        return group
    group.metric_filters = [
        MetricFilter(
            name=f.get("filterName", ""),
            pattern=f.get("filterPattern", ""),
            metrics=[
                (m["metricName"], m["metricNamespace"]) for m in f.get("metricTransformations", [])
            ],
        )
        for f in filters
    ]
    group.alarms = _alarms(c, account, region, group.metric_filters)
    if group.alarms is not None:
        group.topics = _topics(c, account, group.alarms)
    return group


DESCRIBE_ALARMS_FOR_METRIC = declare("cloudwatch:DescribeAlarmsForMetric")


def _alarms(
    c: ReadContext, account: str, region: str, filters: list[MetricFilter]
) -> list[Alarm] | None:
    cw = c.client(account, region, "cloudwatch")
    alarms: list[Alarm] = []
    for metric, namespace in sorted({m for f in filters for m in f.metrics}):
        got = c.call(
            account,
            region,
            DESCRIBE_ALARMS_FOR_METRIC,
            partial(cw.describe_alarms_for_metric, MetricName=metric, Namespace=namespace),
        )
        if got is None:
            return None
        for a in got.get("MetricAlarms", []):
            alarms.append(
                Alarm(
                    name=a.get("AlarmName", ""),
                    metric_name=a.get("MetricName", metric),
                    namespace=a.get("Namespace", namespace),
                    actions=list(a.get("AlarmActions", [])),
                    actions_enabled=bool(a.get("ActionsEnabled", True)),
                )
            )
    return alarms


LIST_SUBSCRIPTIONS_BY_TOPIC = declare("sns:ListSubscriptionsByTopic")


def _topics(c: ReadContext, account: str, alarms: list[Alarm]) -> list[Topic]:
    topics = []
    # Any partition: an alarm in aws-us-gov notifies arn:aws-us-gov:sns:... (arns.py).
    arns = sorted({a for alarm in alarms for a in alarm.actions if arn_service(a) == "sns"})
    for arn in arns:
        pages = c.client(account, arn_region(arn), "sns").get_paginator(
            "list_subscriptions_by_topic"
        )
        subs = c.call(
            account, arn_region(arn), LIST_SUBSCRIPTIONS_BY_TOPIC, partial(_all_subs, pages, arn)
        )
        topic = Topic(arn=arn)
        if subs is not None:
            confirmed = [s for s in subs if str(s.get("SubscriptionArn", "")).startswith("arn:")]
            topic.confirmed_subscriptions = len(confirmed)
            topic.pending_subscriptions = len(subs) - len(confirmed)
        topics.append(topic)
    return topics


def _all_subs(pages: Any, topic_arn: str) -> list[dict[str, Any]]:
    return [s for page in pages.paginate(TopicArn=topic_arn) for s in page.get("Subscriptions", [])]
