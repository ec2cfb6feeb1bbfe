"""Every AWS operation ``verify --canary-all --canary-endpoint`` makes is in verify-policy.json,
except the canary calls that are deliberately not granted (refused, they are still recorded)."""

from __future__ import annotations

import json
from importlib import resources

import boto3
import pytest
from tests.apply.support import HOME, access, apply, confirm_all, make_plan

from trailwarden.demo.alerting import simulated_alerting
from trailwarden.policies.generate import VERIFY_POLICY_FILE
from trailwarden.verify import verify_plan
from trailwarden.verify.canaries import CANDIDATES
from trailwarden.verify.canary import run_canary

pytestmark = pytest.mark.slow

IAM_ACTION = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "GetBucketCors"): "s3:GetBucketCORS",
}
CANARY_CALLS = {(c.service, c.operation) for c in CANDIDATES}


def shipped() -> set[str]:
    text = resources.files("trailwarden.policies").joinpath(VERIFY_POLICY_FILE).read_text()
    found: set[str] = set()
    for statement in json.loads(text)["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_every_recorded_verify_and_canary_call_is_in_the_policy(aws: str) -> None:
    plan = make_plan()
    report = apply(plan)
    confirm_all(report)
    sqs = boto3.client("sqs", region_name=HOME)
    url = sqs.create_queue(QueueName="canary-policy")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    counting = access()
    verify_plan(counting, plan)
    with simulated_alerting(delay_s=0.02):
        canary = run_canary(
            counting, plan, "all", yes=True, timeout_s=20, poll_s=0.05, endpoint=queue["QueueArn"]
        )
    assert canary.ok
    recorded = {(service, op) for (_, service, op) in counting.calls}
    assert {("cloudwatch", "DescribeAlarmHistory"), ("sqs", "ReceiveMessage")} <= recorded
    allowed = shipped()
    actions = {call: IAM_ACTION.get(call, f"{call[0]}:{call[1]}") for call in recorded}
    assert sorted(a for c, a in actions.items() if c not in CANARY_CALLS and a not in allowed) == []
    # Of the canary calls only StartLogging is granted (it can only turn logging on); the others
    # are refused without a grant and still recorded: a verify role cannot disable a key.
    granted = {a for c, a in actions.items() if c in CANARY_CALLS and a in allowed}
    assert granted == {"cloudtrail:StartLogging"}
    assert len(recorded & CANARY_CALLS) == len(CANDIDATES)
