"""The baseline's API parameters are accepted by the real AWS API shapes (botocore validates them
client-side) and read back unchanged from a moto server, in the order
(docs/aws-facts/trail-setup.md#setup-order) apply will use."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from trailwarden.plan.baseline import Baseline

MOTO_ACCOUNT = "123456789012"  # the account moto serves by default
REGION = "eu-west-1"


@pytest.mark.slow
def test_baseline_params_build_the_trail_on_moto(aws: str, make_baseline: Any) -> None:
    b: Baseline = make_baseline(account_id=MOTO_ACCOUNT, home_region=REGION, prefix="audit")
    assert b.alarms is not None
    s3 = boto3.client("s3", region_name=REGION)
    location = {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
    # 1. buckets: access-log bucket first so the trail bucket can log to it.
    for bucket, policy in (
        (b.bucket.access_log_bucket, b.access_log_bucket_policy()),
        (b.bucket.name, b.bucket_policy()),
    ):
        s3.create_bucket(Bucket=bucket, **location)
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=b.public_access_block()
        )
        s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": b.encryption_rules()}
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": b.lifecycle_rules()}
        )
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    s3.put_bucket_versioning(Bucket=b.bucket.name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket=b.bucket.name, BucketLoggingStatus={"LoggingEnabled": b.logging_target()}
    )
    assert s3.get_bucket_logging(Bucket=b.bucket.name)["LoggingEnabled"] == b.logging_target()

    # 2. key in the bucket's Region.
    kms = boto3.client("kms", region_name=b.kms_region)
    key = kms.create_key(**b.create_key_params())["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy == b.new_key_policy()

    # 3. log group + delivery role.
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=b.cloudwatch.log_group)
    logs.put_retention_policy(
        logGroupName=b.cloudwatch.log_group, retentionInDays=b.cloudwatch.retention_days
    )
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(**b.create_role_params())["Role"]
    assert role["Arn"] == b.role_arn
    iam.put_role_policy(**b.put_role_policy_params())

    # 4-5. trail, selectors, logging.
    ct = boto3.client("cloudtrail", region_name=REGION)
    trail = ct.create_trail(**b.create_trail_params(key["Arn"]))
    assert trail["TrailARN"] == b.trail_arn
    assert trail["CloudWatchLogsLogGroupArn"] == b.log_group_arn
    ct.put_event_selectors(TrailName=b.trail.name, EventSelectors=b.event_selectors())
    ct.start_logging(Name=b.trail.name)
    (described,) = ct.describe_trails(trailNameList=[b.trail_arn])["trailList"]
    assert described["IsMultiRegionTrail"] and described["LogFileValidationEnabled"]
    assert described["S3KeyPrefix"] == "audit" and described["KmsKeyId"] == key["Arn"]

    # 6. topic, filters, alarms.
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name=b.alarms.topic_name)["TopicArn"]
    assert topic == b.alarms.topic_arn
    for alarm in b.alarms.alarms:
        logs.put_metric_filter(**alarm.put_metric_filter_params(b.cloudwatch.log_group))
        boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
            **alarm.put_metric_alarm_params(topic)
        )
    filters = logs.describe_metric_filters(logGroupName=b.cloudwatch.log_group)["metricFilters"]
    assert {f["filterPattern"] for f in filters} == {a.pattern for a in b.alarms.alarms}
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    assert len(alarms) == 14
    assert all(a["AlarmActions"] == [topic] and a["Threshold"] == 1.0 for a in alarms)
