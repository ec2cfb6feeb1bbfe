"""GovCloud and China: every ARN is built and parsed with the Region's partition (issue 14, item 2).

A complete CloudWatch chain in aws-us-gov (log group, the 14 CIS filters, alarms notifying an
``arn:aws-us-gov:sns:`` topic with a subscriber) passes, collected from a moto server over HTTP."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from tests.scan.build import make_snapshot, make_trail
from tests.scan.seed import put_cis_alarm, put_cis_filter
from tests.scan.test_controls_cloudwatch import chain

from trailwarden.arns import arn_partition, arn_service, bucket_arn, partition_for_region
from trailwarden.controls import Status, evaluate
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.snapshot.model import Topic

GOV = "us-gov-west-1"
CLOUDWATCH = [c.control_id for c in CIS_CONTROLS]


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("eu-west-1", "aws")],
)
def test_partition_comes_from_the_region_and_back_out_of_the_arn(
    region: str, partition: str
) -> None:
    assert partition_for_region(region) == partition
    topic = f"arn:{partition}:sns:{region}:111111111111:alarms"
    assert (arn_partition(topic), arn_service(topic)) == (partition, "sns")
    assert bucket_arn("b", partition) == f"arn:{partition}:s3:::b"


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_cloudwatch_chain_complete_in_another_partition_passes(region: str) -> None:
    partition = partition_for_region(region)
    account = "111111111111"
    trail = make_trail(
        home=region,
        cloudwatch_logs_log_group_arn=f"arn:{partition}:logs:{region}:{account}:log-group:ct:*",
    )
    topic = f"arn:{partition}:sns:{region}:{account}:alarms"
    group = chain(trail, topics=[Topic(arn=topic, confirmed_subscriptions=1)])
    for alarm in group.alarms or []:
        alarm.actions = [topic]
    snap = make_snapshot([trail], regions=[region], groups={account: [group]})
    found = evaluate(snap, only=CLOUDWATCH).findings
    assert {f.status for f in found} == {Status.PASSED}, {f.reason for f in found}


def _gov_chain() -> None:
    """What an administrator in GovCloud would build, all through the API."""
    s3 = boto3.client("s3", region_name=GOV)
    s3.create_bucket(Bucket="gov-trail", CreateBucketConfiguration={"LocationConstraint": GOV})
    logs = boto3.client("logs", region_name=GOV)
    logs.create_log_group(logGroupName="ct")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="ct")["logGroups"][0]["arn"]
    sns = boto3.client("sns", region_name=GOV)
    topic = sns.create_topic(Name="cis-alarms")["TopicArn"]
    queue = boto3.client("sqs", region_name=GOV).create_queue(QueueName="pager")["QueueUrl"]
    queue_arn = boto3.client("sqs", region_name=GOV).get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    cloudwatch = boto3.client("cloudwatch", region_name=GOV)
    for cis in CIS_CONTROLS:
        put_cis_filter(logs, "ct", cis)
        put_cis_alarm(cloudwatch, cis, topic)
    ct = boto3.client("cloudtrail", region_name=GOV)
    ct.create_trail(
        Name="main",
        S3BucketName="gov-trail",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn="arn:aws-us-gov:iam::123456789012:role/CloudTrailToLogs",
    )
    ct.start_logging(Name="main")


def test_govcloud_scan_reads_and_passes_the_cloudwatch_chain(
    aws: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", GOV)
    _gov_chain()
    result = cli(["scan", "--regions", GOV, "--output", "json"])
    doc = json.loads(result.stdout)
    cloudwatch = [f for f in doc["findings"] if f["control"] in CLOUDWATCH]
    assert len(cloudwatch) == len(CLOUDWATCH)
    assert {f["status"] for f in cloudwatch} == {"PASSED"}, {f["reason"] for f in cloudwatch}
    buckets = {f["resource"] for f in doc["findings"] if f["control"] == "CloudTrail.7"}
    assert buckets == {"arn:aws-us-gov:s3:::gov-trail"}
