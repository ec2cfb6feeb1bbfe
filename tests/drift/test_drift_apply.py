"""Applying the drift steps on moto over HTTP: pack, rules, targets, bus and topic policies.

moto runs no Config rule and delivers no event: these tests prove what is written and read back
(and that a second apply changes nothing), not that AWS would fire. The firing is the pattern's
business, tested against recorded events in test_drift_datasets.py.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest
from tests.apply.support import ACCOUNT, HOME, access, apply
from tests.apply.test_apply_policy import allowed, iam_actions
from tests.drift.support import organization, target
from tests.scan.seed import create_org, session_for
from tests.support.orgplans import org_plan_of

from trailwarden.eventpattern import rule_matches_record
from trailwarden.plan.model import Drift, Plan, Step
from trailwarden.plan.org.context import DriftOptions, OrgTarget
from trailwarden.plan.org.drift import (
    FORWARD_RULE_NAME,
    PACK_NAME,
    RULE_NAME,
    bus_arn,
    plan_drift,
)
from trailwarden.plan.org.drift_rules import TEMPLATE_DIGEST_PARAMETER

pytestmark = pytest.mark.slow


def moto_target(*members: str, planned_key: bool = False, org_id: str = "o-moto") -> OrgTarget:
    """The management account is moto's default account; the topic and key really exist."""
    topic = boto3.client("sns", region_name=HOME).create_topic(Name="alarms")["TopicArn"]
    kms = boto3.client("kms", region_name=HOME)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms_key = key
    if planned_key:  # a key the plan creates: the pattern names it by alias until apply
        kms.create_alias(AliasName="alias/org-trail", TargetKeyId=key)
        kms_key = f"${{kms-alias:{HOME}:alias/org-trail}}"
    accounts = (ACCOUNT, *members)
    return target(
        org=organization({a: [HOME] for a in accounts}, org_id=org_id, management=ACCOUNT),
        management_account=ACCOUNT,
        accounts=accounts,
        topic_arn=topic,
        kms_key=kms_key,
        kms_key_account=ACCOUNT,
        bucket_account=ACCOUNT,
    )


def plan_of(steps: list[Step]) -> Plan:
    """The drift steps in a plan that carries a drift section (apply refuses them otherwise)."""
    drift = Drift(
        conformance_pack=PACK_NAME, config_rules=[], event_rule=RULE_NAME, event_pattern={}
    )
    return org_plan_of(steps, ACCOUNT, drift=drift)


def test_apply_writes_pack_rule_target_and_topic_policy_then_changes_nothing(aws: str) -> None:
    t = moto_target(planned_key=True)
    drift, steps = plan_drift(t, DriftOptions())
    first = apply(plan_of(steps))
    assert first.failed is None, first.failed and first.failed.detail
    assert first.count("done") == len(steps)

    config = boto3.client("config", region_name=HOME)
    (pack,) = config.describe_organization_conformance_packs(
        OrganizationConformancePackNames=[PACK_NAME]
    )["OrganizationConformancePacks"]
    assert pack["ConformancePackInputParameters"][0]["ParameterName"] == (TEMPLATE_DIGEST_PARAMETER)
    events = boto3.client("events", region_name=HOME)
    live = json.loads(events.describe_rule(Name=RULE_NAME)["EventPattern"])
    key_arn = boto3.client("kms", region_name=HOME).describe_key(KeyId="alias/org-trail")[
        "KeyMetadata"
    ]["Arn"]
    # The placeholders became the key's id and ARN.
    kms_branch = live["$or"][2]["detail"]["$or"][0]["requestParameters"]["keyId"]
    assert kms_branch == [key_arn.rsplit("/", 1)[-1], key_arn]
    (only,) = events.list_targets_by_rule(Rule=RULE_NAME)["Targets"]
    assert only["Arn"] == t.topic_arn
    topic_policy = json.loads(
        boto3.client("sns", region_name=HOME).get_topic_attributes(TopicArn=t.topic_arn)[
            "Attributes"
        ]["Policy"]
    )
    sids = [s["Sid"] for s in topic_policy["Statement"]]
    assert "TrailwardenAllowDriftRule" in sids and len(sids) >= 2  # moto's default kept

    # The live rule is the pattern the simulation matches: a DisableKey of the trail key fires.
    record = {
        "eventSource": "kms.amazonaws.com",
        "eventName": "DisableKey",
        "eventType": "AwsApiCall",
        "requestParameters": {"keyId": key_arn.rsplit("/", 1)[-1]},
        "responseElements": None,
        "recipientAccountId": ACCOUNT,
    }
    assert rule_matches_record(live, record)

    second = apply(plan_of(steps))
    assert second.nothing_to_change, [(r.step.id, r.result, r.detail) for r in second.results]
    assert drift.event_rule == RULE_NAME


def test_a_changed_rule_is_put_back(aws: str) -> None:
    _, steps = plan_drift(moto_target(), DriftOptions())
    assert apply(plan_of(steps)).failed is None
    events = boto3.client("events", region_name=HOME)
    events.put_rule(Name=RULE_NAME, EventPattern=json.dumps({"source": ["aws.ec2"]}))
    events.disable_rule(Name=RULE_NAME)
    again = apply(plan_of(steps))
    assert [r.step.operation for r in again.results if r.result == "done"] == ["PutRule"]
    assert events.describe_rule(Name=RULE_NAME)["State"] == "ENABLED"


def test_members_forward_to_the_management_bus(aws: str) -> None:
    (member,) = create_org(1)
    t = moto_target(member)
    _, steps = plan_drift(t, DriftOptions())
    acc = access()
    report = apply(plan_of(steps), acc=acc)
    assert report.failed is None, report.failed and report.failed.detail
    assert set(report.api_calls) == {ACCOUNT, member}

    bus = boto3.client("events", region_name=HOME).describe_event_bus(Name="default")
    (statement,) = [
        s
        for s in json.loads(bus["Policy"])["Statement"]
        if s["Sid"] == "TrailwardenDriftFromOrganization"
    ]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-moto"}}

    session = session_for(member)
    member_events = session.client("events")
    (forward,) = member_events.list_targets_by_rule(Rule=FORWARD_RULE_NAME)["Targets"]
    assert forward["Arn"] == bus_arn(HOME, ACCOUNT)
    assert forward["RoleArn"] == f"arn:aws:iam::{member}:role/trailwarden-drift-forwarder"
    role_policy: Any = session.client("iam").get_role_policy(
        RoleName="trailwarden-drift-forwarder", PolicyName="trailwarden-forward-to-management-bus"
    )["PolicyDocument"]
    document = json.loads(role_policy) if isinstance(role_policy, str) else role_policy
    assert document["Statement"][0]["Resource"] == bus_arn(HOME, ACCOUNT)

    assert apply(plan_of(steps)).nothing_to_change


def test_every_recorded_drift_call_is_in_the_apply_policy(aws: str) -> None:
    (member,) = create_org(1)
    _, steps = plan_drift(moto_target(member, planned_key=True), DriftOptions())
    acc = access()
    assert apply(plan_of(steps), acc=acc).failed is None
    # AssumeRole reaches the member: the caller's own right, not a grant of apply-policy.json.
    recorded = {(service, op) for (_, service, op) in acc.calls} - {("sts", "AssumeRole")}
    assert ("events", "PutPermission") in recorded and (
        "config",
        "DescribeOrganizationConformancePacks",
    ) in recorded
    implied = {("events", "PutTargets"): ["iam:PassRole"]}  # the forwarding target's role
    policy = allowed()
    missing = sorted(
        f"{action} (for {service}:{op})"
        for service, op in recorded
        for action in [*iam_actions(service, op), *implied.get((service, op), [])]
        if action not in policy
    )
    assert not missing, missing


def test_a_planned_key_in_the_log_archive_account_is_read_there(aws: str) -> None:
    """The key (and bucket) live in another account: the management rule's pattern still names
    the key's id and ARN, read from the account that holds it."""
    (archive,) = create_org(1)
    kms = session_for(archive).client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/org-trail", TargetKeyId=key)
    t = dataclasses.replace(
        moto_target(archive),
        kms_key=f"${{kms-alias:{HOME}:alias/org-trail}}",
        kms_key_account=archive,
        bucket_account=archive,
    )
    _, steps = plan_drift(t, DriftOptions())
    assert apply(plan_of(steps)).failed is None
    for events, name in (
        (boto3.client("events", region_name=HOME), RULE_NAME),
        (session_for(archive).client("events"), FORWARD_RULE_NAME),
    ):
        live = json.loads(events.describe_rule(Name=name)["EventPattern"])
        keys = live["$or"][2]["detail"]["$or"][0]["requestParameters"]["keyId"]
        assert keys == [key.rsplit("/", 1)[-1], key]
    assert apply(plan_of(steps)).nothing_to_change
