"""Resources several trails use are read once for what all of them need (issue 14, items 1 and 6):
a moto server over HTTP, seeded with boto3 as an administrator would."""

from __future__ import annotations

import json
from typing import Any

import boto3
from tests.scan.seed import MANAGEMENT, create_trail, session_for

from trailwarden.filterpattern.cis import CIS_CONTROLS

ROOT_USAGE = CIS_CONTROLS[0]  # CloudWatch.1


def scan(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(["scan", "--output", "json", *args])
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_control(doc: dict[str, Any], account: str, region: str) -> dict[str, tuple[str, str]]:
    return {
        f["control"]: (f["status"], f["reason"])
        for f in doc["findings"]
        if f["account"] == account and f["region"] == region
    }


# -- item 6: a log group shared by a single-Region and a multi-Region trail ------------------------


def test_log_group_shared_with_a_single_region_trail_is_read_for_the_cloudwatch_chain(
    aws: str, cli: Any
) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="shared")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="shared")["logGroups"][0]["arn"]
    logs.put_metric_filter(
        logGroupName="shared",
        filterName=ROOT_USAGE.metric_name,
        filterPattern=ROOT_USAGE.pattern,
        metricTransformations=[
            {
                "metricName": ROOT_USAGE.metric_name,
                "metricNamespace": ROOT_USAGE.namespace,
                "metricValue": "1",
            }
        ],
    )
    session = session_for(MANAGEMENT)
    # The single-Region trail first: it is listed (and used to be read) before the other.
    for name, multi in (("a-local", False), ("main", True)):
        create_trail(session, name, multi=multi)
        boto3.client("cloudtrail", region_name="us-east-1").update_trail(
            Name=name,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn=f"arn:aws:iam::{MANAGEMENT}:role/CloudTrailToLogs",
        )
    # One worker: tasks run in the order they were queued, as on a busy pool.
    doc = scan(cli, "--regions", "us-east-1", "--max-workers", "1")
    found = by_control(doc, MANAGEMENT, "us-east-1")
    assert found[ROOT_USAGE.control_id][0] == "FAILED"
    assert "no alarm" in found[ROOT_USAGE.control_id][1]  # filter read, alarms read: none
    others = [c.control_id for c in CIS_CONTROLS[1:]]
    assert {found[c][0] for c in others} == {"FAILED"}
    assert all("no metric filter" in found[c][1] for c in others)
