"""The planner on its own (pure): order, repair-before-create, data events, cost, org trails."""

from __future__ import annotations

import pytest
from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail, owned_bucket

from trailwarden.errors import UsageError
from trailwarden.plan.model import Plan, Step
from trailwarden.plan.steps import PlanOptions, build_plan

OPTIONS = PlanOptions(baseline={"home_region": "eu-west-1", "alarm_email": ["a@example.com"]})


def fresh_plan() -> Plan:
    return build_plan(make_snapshot([], accounts=[MGMT]), OPTIONS)


def index(steps: list[Step], service: str, operation: str, target: str | None = None) -> int:
    return next(
        i
        for i, s in enumerate(steps)
        if (s.service, s.operation) == (service, operation) and target in (None, s.target)
    )


def test_fresh_account_follows_section_4_8_order() -> None:
    plan = fresh_plan()
    steps = plan.steps
    (account,) = plan.accounts
    assert account.trail == "create" and account.baseline is not None
    bucket = account.baseline.bucket.name
    create = index(steps, "cloudtrail", "CreateTrail")
    # Policies CreateTrail validates synchronously come first.
    assert index(steps, "s3", "PutBucketPolicy", bucket) < create
    assert index(steps, "kms", "CreateKey") < create
    assert index(steps, "iam", "PutRolePolicy") < create
    assert index(steps, "logs", "CreateLogGroup") < create
    assert create < index(steps, "cloudtrail", "PutEventSelectors")
    assert index(steps, "cloudtrail", "PutEventSelectors") < index(
        steps, "cloudtrail", "StartLogging"
    )
    logging = index(steps, "cloudtrail", "StartLogging")
    assert [s.service for s in steps[:logging]].count("cloudtrail") == 2  # nothing trail-ish after
    topic = index(steps, "sns", "CreateTopic")
    filters = [i for i, s in enumerate(steps) if s.operation == "PutMetricFilter"]
    alarms = [i for i, s in enumerate(steps) if s.operation == "PutMetricAlarm"]
    assert logging < topic < min(filters) and max(filters) < min(alarms)
    assert len(filters) == len(alarms) == 14
    assert {
        s.region for s in steps if s.service in ("cloudtrail", "logs", "cloudwatch", "sns")
    } == {"eu-west-1"}
    # Nothing exists yet: every step is a change, except the selectors a new trail has by
    # default (docs/aws-facts/trail-setup.md#default-selectors): covered by CreateTrail.
    unchanged = [s for s in steps if s.action == "noop"]
    assert [(s.operation, s.covered_by) for s in unchanged] == [
        ("PutEventSelectors", "cloudtrail:CreateTrail")
    ]
    assert len({s.id for s in steps}) == len(steps)
    trail = steps[create]
    assert trail.params["KmsKeyId"] == "${kms-alias:eu-west-1:alias/trailwarden-cloudtrail}"
    assert set(trail.controls) >= {"CloudTrail.1", "CloudTrail.2", "CloudTrail.4", "CloudTrail.9"}
    assert account.cost is not None and account.cost.total_usd_per_month > 0  # a new key


def test_existing_owned_trail_is_repaired_not_duplicated() -> None:
    broken = make_trail(
        "audit", home="us-east-1", multi=False, log_file_validation_enabled=False, tags={}
    )
    snapshot = make_snapshot([broken], accounts=[MGMT])
    plan = build_plan(snapshot, OPTIONS)
    (account,) = plan.accounts
    assert account.trail == "repair" and account.baseline is not None
    assert account.baseline.trail.home_region == "us-east-1", "a trail's home cannot move"
    ops = [s.operation for s in plan.steps]
    assert "CreateTrail" not in ops
    update = plan.steps[ops.index("UpdateTrail")]
    assert update.action == "update" and update.params["IsMultiRegionTrail"] is True
    assert {"CloudTrail.1", "CloudTrail.4"} <= set(update.controls)
    assert plan.steps[ops.index("AddTags")].action == "update"  # CloudTrail.9
    # The trail's own bucket is kept (and fixed), and the existing key is merged into.
    assert account.baseline.bucket.name == broken.s3_bucket_name
    assert "PutKeyPolicy" in ops and "CreateKey" not in ops
    assert any("repairing existing trail audit" in n for n in account.notes)
    assert account.cost is not None
    assert not [line for line in account.cost.lines if "management" in line.item]


def test_named_new_trail_next_to_an_existing_one_is_a_billed_copy() -> None:
    snapshot = make_snapshot([make_trail("audit")], accounts=[MGMT])
    options = PlanOptions(baseline={"home_region": "eu-west-1", "trail_name": "second"})
    (account,) = build_plan(snapshot, options).accounts
    assert account.trail == "create"
    assert account.cost is not None
    assert any("management" in line.item for line in account.cost.lines)


def test_data_events_are_refused_unless_allowed() -> None:
    data = [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
        }
    ]
    snapshot = make_snapshot([make_trail("audit", basic=data)], accounts=[MGMT])
    with pytest.raises(UsageError, match="--allow-data-events"):
        build_plan(snapshot, OPTIONS)
    allowed = PlanOptions(baseline=OPTIONS.baseline, allow_data_events=True)
    plan = build_plan(snapshot, allowed)
    selectors = next(s for s in plan.steps if s.operation == "PutEventSelectors")
    assert selectors.params["EventSelectors"][0]["DataResources"] == data[0]["DataResources"]


def test_member_covered_by_an_organisation_trail_is_left_alone() -> None:
    org_trail = make_trail("org", account=MGMT, org=True)
    snapshot = make_snapshot([org_trail], accounts=[MGMT, MEMBER])
    plan = build_plan(snapshot, OPTIONS)
    member = plan.account(MEMBER)
    assert member is not None and member.trail == "skip"
    assert not [s for s in plan.steps if s.account == MEMBER]
    # Its owner, the management account, repairs it: the only place it may be changed.
    management = plan.account(MGMT)
    assert management is not None and management.trail == "repair"
    assert management.trail_arn == org_trail.arn


def test_snapshot_knowledge_predicts_noops() -> None:
    bucket = owned_bucket("logs-111111111111", logging_enabled=True)
    snapshot = make_snapshot([make_trail("audit")], accounts=[MGMT], buckets={MGMT: [bucket]})
    plan = build_plan(snapshot, OPTIONS)
    actions = {(s.operation, s.target): s.action for s in plan.steps}
    assert actions[("CreateBucket", bucket.name)] == "noop"
    assert actions[("PutPublicAccessBlock", bucket.name)] == "noop"
    assert actions[("PutBucketLogging", bucket.name)] == "noop"
    assert actions[("StartLogging", "arn:aws:cloudtrail:us-east-1:111111111111:trail/audit")] == (
        "noop"
    )


def test_controls_an_existing_alarm_chain_satisfies_are_not_duplicated() -> None:
    from trailwarden.filterpattern.cis import CIS_CONTROLS
    from trailwarden.snapshot.model import Alarm, LogGroup, MetricFilter, Topic

    topic = "arn:aws:sns:us-east-1:111111111111:ops"
    chain = [c for c in CIS_CONTROLS if c.control_id in ("CloudWatch.1", "CloudWatch.3")]
    group = LogGroup(
        arn="arn:aws:logs:us-east-1:111111111111:log-group:ct:*",
        name="ct",
        region="us-east-1",
        account=MGMT,
        exists=True,
        retention_days=365,
        metric_filters=[
            MetricFilter(
                name=f"ops-{c.control_id}", pattern=c.pattern, metrics=[(c.metric_name, "Ops")]
            )
            for c in chain
        ],
        alarms=[
            Alarm(
                name=f"ops-{c.control_id}",
                metric_name=c.metric_name,
                namespace="Ops",
                actions=[topic],
            )
            for c in chain
        ],
        topics=[Topic(arn=topic, confirmed_subscriptions=1)],
    )
    snapshot = make_snapshot([make_trail("audit")], accounts=[MGMT], groups={MGMT: [group]})
    plan = build_plan(snapshot, OPTIONS)
    planned = {s.controls[0] for s in plan.steps if s.operation == "PutMetricAlarm"}
    assert len(planned) == 12 and not planned & {"CloudWatch.1", "CloudWatch.3"}
    (account,) = plan.accounts
    note = "CloudWatch.1, CloudWatch.3 already satisfied by existing filters and alarms"
    assert any(n.startswith(note) and "filter ops-CloudWatch.1" in n for n in account.notes)
    # An unconfirmed topic satisfies nothing: all 14 are planned.
    unconfirmed = group.model_copy(update={"topics": [Topic(arn=topic, confirmed_subscriptions=0)]})
    snapshot = make_snapshot([make_trail("audit")], accounts=[MGMT], groups={MGMT: [unconfirmed]})
    plan = build_plan(snapshot, OPTIONS)
    assert len([s for s in plan.steps if s.operation == "PutMetricAlarm"]) == 14
