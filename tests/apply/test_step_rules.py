"""Issue 15 item 5: apply refuses a plan step that is not what ``plan`` could have produced.

The rules are pure (plan/step_rules.py), so they are tried here on plans built from snapshots for
many options, and on the same plans edited the ways a plan file can be edited to weaken a trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail

from trailwarden.plan import step_rules
from trailwarden.plan.model import (
    MERGE,
    AccountPlan,
    DuplicateTrail,
    Guardrail,
    OrgPlan,
    Plan,
    Step,
)
from trailwarden.plan.steps import PlanOptions, build_plan

KEY = f"arn:aws:kms:us-east-1:{MGMT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC = f"arn:aws:sns:us-east-1:{MGMT}:existing"
VARIANTS: list[dict[str, Any]] = [
    {},
    {"kms_key": "none"},
    {"kms_key": KEY, "kms_readers": [f"arn:aws:iam::{MGMT}:role/Auditor"]},
    {"alarm_topic": TOPIC, "alarm_email": ["sec@example.com"]},
    {"alarms": False, "prefix": "org", "retention_days": 30},
    {"org_id": "o-abcdefghij", "bucket": "org-trail-logs"},
]


def _plan(trails: list[Any] | None = None, **baseline: Any) -> Plan:
    snapshot = make_snapshot(trails if trails is not None else [])
    return build_plan(snapshot, PlanOptions(baseline={"home_region": "us-east-1", **baseline}))


@pytest.mark.parametrize("baseline", VARIANTS, ids=lambda b: ",".join(b) or "defaults")
def test_every_plan_trailwarden_makes_passes(baseline: dict[str, Any]) -> None:
    plan = _plan(**baseline)
    assert plan.steps
    assert step_rules.refusal(plan) is None


def test_a_repaired_trail_with_its_data_events_passes() -> None:
    data = [{"ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Object", "Values": []}]}]
    trail = make_trail(multi=False, basic=data, log_file_validation_enabled=False)
    snapshot = make_snapshot([trail])
    options = PlanOptions(baseline={"home_region": "us-east-1"}, allow_data_events=True)
    plan = build_plan(snapshot, options)
    assert {s.operation for s in plan.steps} >= {"UpdateTrail", "PutEventSelectors"}
    assert step_rules.refusal(plan) is None


def _step(plan: Plan, operation: str) -> Step:
    return next(s for s in plan.steps if s.operation == operation)


def _params(operation: str, **changes: Any) -> Callable[[Plan], Step]:
    def edit(plan: Plan) -> Step:
        step = _step(plan, operation)
        step.params.update(changes)
        return step

    return edit


def _merge_public(operation: str) -> Callable[[Plan], Step]:
    def edit(plan: Plan) -> Step:
        step = _step(plan, operation)
        public = {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "*"}
        step.params[MERGE] = [*step.params[MERGE], public]
        return step

    return edit


def _new_key_policy_public(plan: Plan) -> Step:
    step = _step(plan, "CreateKey")
    policy = json.loads(step.params["Policy"])
    policy["Statement"].append(
        {"Sid": "All", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}
    )
    step.params["Policy"] = json.dumps(policy)
    return step


def _removed(operation: str, key: str) -> Callable[[Plan], Step]:
    def edit(plan: Plan) -> Step:
        step = _step(plan, operation)
        del step.params[key]
        return step

    return edit


def _write_only(plan: Plan) -> Step:
    step = _step(plan, "PutEventSelectors")
    step.params["EventSelectors"] = [
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}
    ]
    return step


def _no_management(plan: Plan) -> Step:
    step = _step(plan, "PutEventSelectors")
    step.params["EventSelectors"] = [{"ReadWriteType": "All", "IncludeManagementEvents": False}]
    return step


def _stop_logging(plan: Plan) -> Step:
    start = _step(plan, "StartLogging")
    step = start.model_copy(update={"id": f"{start.account}:99", "operation": "StopLogging"})
    plan.steps.append(step)
    return step


def _trust_anyone(plan: Plan) -> Step:
    step = _step(plan, "CreateRole")
    trust = json.loads(step.params["AssumeRolePolicyDocument"])
    trust["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::999999999999:root"}
    step.params["AssumeRolePolicyDocument"] = json.dumps(trust)
    return step


def _weaker_filter(plan: Plan) -> Step:
    step = _step(plan, "PutMetricFilter")
    step.params["filterPattern"] = '{ $.eventName = "NeverHappens" }'
    return step


# (what the edit does, the edit, what the refusal must name)
EDITS: list[tuple[str, Callable[[Plan], Step], str]] = [
    ("write-only selectors", _write_only, "CloudTrail.1: the selectors record write-only"),
    ("no management events", _no_management, "CloudTrail.1"),
    ("public bucket statement", _merge_public("PutBucketPolicy"), "CloudTrail.6: statement Open"),
    ("public statement, existing key", _merge_public("PutKeyPolicy"), "CloudTrail.2"),
    ("kms:* to * in a new key", _new_key_policy_public, "CloudTrail.2: statement All"),
    ("public topic statement", _merge_public("SetTopicAttributes"), "CloudWatch.1-14"),
    ("no validation", _params("CreateTrail", EnableLogFileValidation=False), "CloudTrail.4"),
    ("single Region", _params("CreateTrail", IsMultiRegionTrail=False), "CloudTrail.1"),
    ("no KMS", _removed("CreateTrail", "KmsKeyId"), "CloudTrail.2"),
    ("another bucket", _params("CreateTrail", S3BucketName="elsewhere"), "CloudTrail.6"),
    ("no CloudWatch Logs", _params("CreateTrail", CloudWatchLogsRoleArn=""), "CloudTrail.5"),
    ("no BPA", _params("PutPublicAccessBlock", PublicAccessBlockConfiguration={}), "6"),
    ("access logging off", _params("PutBucketLogging", BucketLoggingStatus={}), "CloudTrail.7"),
    ("unversioned", _params("PutBucketVersioning", VersioningConfiguration={}), "versioning"),
    ("1-day log group", _params("PutRetentionPolicy", retentionInDays=1), "retention"),
    ("StopLogging", _stop_logging, "CloudTrail.1: stops logging"),
    ("foreign trust", _trust_anyone, "CloudTrail.5"),
    ("filter never matches", _weaker_filter, "CloudWatch.1: the metric filter differs"),
    ("public ACL on create", _params("CreateBucket", ACL="public-read"), "ACL is not a parameter"),
    ("no MergeStatements", _removed("PutBucketPolicy", MERGE), "the plan has no MergeStatements"),
    ("no logGroupName", _removed("CreateLogGroup", "logGroupName"), "the plan has no logGroupName"),
    ("not a list", _params("PutEventSelectors", EventSelectors="x"), "not what this step"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "edit", "named"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_that_weakens_the_trail_is_refused(
    what: str, edit: Callable[[Plan], Step], named: str
) -> None:
    key = KEY if "existing key" in what else "new"
    plan = _plan(kms_key=key, alarm_topic=TOPIC)
    step = edit(plan)
    refusal = step_rules.refusal(plan)
    assert refusal is not None, what
    assert refusal.startswith(f"step {step.id} ({step.service}:{step.operation}): "), refusal
    assert named in refusal, refusal


def test_a_step_kind_without_a_rule_is_refused() -> None:
    plan = _plan()
    start = _step(plan, "StartLogging")
    plan.steps.append(start.model_copy(update={"id": f"{MGMT}:99", "operation": "DeleteTrail"}))
    assert (
        step_rules.refusal(plan) == f"step {MGMT}:99 (cloudtrail:DeleteTrail): {step_rules.NO_RULE}"
    )


def _org_plan(duplicates: list[DuplicateTrail], steps: list[Step]) -> Plan:
    plan = _plan()
    plan.accounts.append(AccountPlan(account=MEMBER, trail="skip"))
    plan.organization = OrgPlan(
        org_id="o-abcdefghij",
        management_account=MGMT,
        trail_arn=f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org",
        home_region="us-east-1",
        bucket="org-logs",
        duplicates=duplicates,
        guardrail=Guardrail(policy_name="g", document={}, targets=["r-1"], approved_roles=[]),
    )
    plan.steps.extend(steps)
    return plan


def _member_step(operation: str, params: dict[str, Any], service: str = "cloudtrail") -> Step:
    return Step(
        id=f"{MEMBER}:01",
        account=MEMBER,
        region="us-east-1",
        action="update",
        service=service,
        operation=operation,
        params=params,
        reason="test",
        target=str(params.get("Name", "")),
    )


DUPLICATE = f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/copy"


def _retire_params(plan: Plan) -> dict[str, Any]:
    """What migration plans for a retire step: the trail, and where its check reads."""
    org, mgmt = plan.organization, plan.account(MGMT)
    assert org is not None and mgmt is not None and mgmt.baseline is not None
    b = mgmt.baseline
    prefix = f"{b.bucket.prefix.strip('/')}/" if b.bucket.prefix else ""
    return {
        "Name": DUPLICATE,
        "OrganizationTrail": org.trail_arn,
        "OrganizationTrailAccount": MGMT,
        "OrganizationTrailRegion": org.home_region,
        "LogBucket": b.bucket.name,
        "LogBucketAccount": b.resource_account,
        "LogBucketRegion": b.bucket.region,
        "MemberLogPrefix": f"{prefix}AWSLogs/{org.org_id}/{MEMBER}/",
    }


@pytest.mark.parametrize("retire", [True, False])
def test_stop_logging_only_for_a_retired_duplicate(retire: bool) -> None:
    duplicate = DuplicateTrail(account=MEMBER, trail_arn=DUPLICATE, retire=retire, reason="copy")
    plan = _org_plan([duplicate], [])
    plan.steps.append(_member_step("StopLogging", _retire_params(plan)))
    refusal = step_rules.refusal(plan)
    assert (refusal is None) is retire, refusal


@pytest.mark.parametrize("guard", ["LogBucket", "MemberLogPrefix", "OrganizationTrail"])
def test_stop_logging_whose_check_reads_elsewhere_is_refused(guard: str) -> None:
    """An edit that points the pre-stop check at other evidence (a bucket that has files, the
    wrong trail) would let it pass while the organisation trail covers nothing."""
    duplicate = DuplicateTrail(account=MEMBER, trail_arn=DUPLICATE, retire=True, reason="copy")
    plan = _org_plan([duplicate], [])
    params = _retire_params(plan)
    params[guard] = "somewhere-else"
    plan.steps.append(_member_step("StopLogging", params))
    refusal = step_rules.refusal(plan)
    assert refusal is not None and f"apply would check {guard} somewhere-else" in refusal


def test_a_guardrail_policy_must_deny_only() -> None:
    deny = {"Sid": "Protect", "Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*"}
    allow = {**deny, "Sid": "Open", "Effect": "Allow"}

    def create(*statements: dict[str, Any]) -> Plan:
        content = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        params = {"Name": "g", "Type": "SERVICE_CONTROL_POLICY", "Content": content}
        return _org_plan([], [_member_step("CreatePolicy", params, "organizations")])

    assert step_rules.refusal(create(deny)) is None
    refusal = step_rules.refusal(create(deny, allow))
    assert refusal is not None and "the guardrail: statement Open is not a Deny" in refusal


def test_a_rule_is_declared_once() -> None:
    with pytest.raises(TypeError, match="declared twice"):
        step_rules.rule("cloudtrail", "CreateTrail")(None)
