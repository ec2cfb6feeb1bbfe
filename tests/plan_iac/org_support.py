"""A hand-made organisation plan for the IaC tests (the real builders live on other parts of
issue 12; the export reads only the plan's data, so any well-formed plan exercises it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml

from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.model import AccountPlan, Drift, Guardrail, OrgPlan, Plan, Step

from .support import ORG_ID, REGION

MANAGEMENT = "111111111111"
ARCHIVE = "222222222222"
MEMBER = "333333333333"
MEMBERS = (MEMBER, "444444444444", "555555555555")
FORWARD_ROLE = "trailwarden-forward-drift"
ROOT = "r-ab12"
RULES = {
    "multi-region-cloudtrail-enabled": "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "cloud-trail-log-file-validation-enabled": "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "cloud-trail-encryption-enabled": "CLOUD_TRAIL_ENCRYPTION_ENABLED",
}
PATTERN: dict[str, Any] = {
    "source": ["aws.cloudtrail"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]},
}


def pack_body() -> str:
    resources = {
        name.title().replace("-", ""): {
            "Type": "AWS::Config::ConfigRule",
            "Properties": {
                "ConfigRuleName": name,
                "Source": {"Owner": "AWS", "SourceIdentifier": ident},
            },
        }
        for name, ident in RULES.items()
    }
    return yaml.safe_dump({"Resources": resources}, sort_keys=False)


def scp(trail_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProtectOrganizationTrail",
                "Effect": "Deny",
                "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
                "Resource": trail_arn,
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/TrailAdmin"}},
            }
        ],
    }


def org_plan(
    *,
    archive: bool = True,
    kms_key: str = "new",
    alarm_topic: str | None = None,
    refused: str | None = None,
    drift: bool = True,
    guardrail: bool = True,
    members: int = 0,
    differ: bool = False,
    retire: bool = False,
) -> Plan:
    bucket_account = ARCHIVE if archive else MANAGEMENT
    baseline = Baseline.from_options(
        account_id=MANAGEMENT,
        home_region=REGION,
        bucket=f"org-trail-{bucket_account}-{REGION}",
        kms_key=kms_key,
        alarm_email="secops@example.com",
        alarm_topic=alarm_topic,
        org_id=ORG_ID,
        management_account_id=MANAGEMENT,
        cis_controls=list(CIS_CONTROLS),
    )
    topic = baseline.alarms.topic_arn if baseline.alarms else None
    org = OrgPlan(
        org_id=ORG_ID,
        management_account=MANAGEMENT,
        trail_arn=baseline.trail_arn,
        home_region=REGION,
        bucket=baseline.bucket.name,
        log_archive_account=ARCHIVE if archive else None,
        guardrail=Guardrail(
            policy_name="trailwarden-protect-trail",
            document=scp(baseline.trail_arn),
            targets=[ROOT],
            approved_roles=["arn:aws:iam::*:role/TrailAdmin"],
            refused=refused,
        )
        if guardrail
        else None,
        drift=Drift(
            conformance_pack="trailwarden-cloudtrail",
            config_rules=list(RULES),
            event_rule="trailwarden-trail-drift",
            event_pattern=PATTERN,
            topic_arn=topic,
        )
        if drift
        else None,
    )
    steps = []
    if drift:
        steps.append(
            Step(
                id=f"{MANAGEMENT}:drift-01",
                account=MANAGEMENT,
                region=REGION,
                action="create",
                service="config",
                operation="PutOrganizationConformancePack",
                params={
                    "OrganizationConformancePackName": "trailwarden-cloudtrail",
                    "TemplateBody": pack_body(),
                },
                reason="organisation conformance pack of the CloudTrail rules",
            )
        )
    accounts = [AccountPlan(account=MANAGEMENT, trail="create", baseline=baseline)]
    if archive:
        accounts.append(AccountPlan(account=ARCHIVE, trail="skip"))
    for index, member in enumerate(MEMBERS[:members]):
        accounts.append(AccountPlan(account=member, trail="skip"))
        rule = "trailwarden-trail-drift" + ("-x" if differ and index == 1 else "")
        steps += forwarding_steps(member, rule)
        if retire:
            steps.append(_step(member, "stop-01", "cloudtrail", "StopLogging", {"Name": "old"}))
    return Plan(
        generated_at=datetime(2026, 12, 5, tzinfo=UTC),
        accounts=accounts,
        steps=steps,
        organization=org,
    )


def _step(account: str, suffix: str, service: str, operation: str, params: dict[str, Any]) -> Step:
    return Step(
        id=f"{account}:{suffix}",
        account=account,
        region=REGION,
        action="create",
        service=service,
        operation=operation,
        params=params,
        reason="test",
    )


def forwarding_steps(member: str, rule: str) -> list[Step]:
    """What a drift part may plan in a member: a rule forwarding to the management account's
    default bus, and the role EventBridge uses for it (API parameters, JSON as text)."""
    bus = f"arn:aws:events:{REGION}:{MANAGEMENT}:event-bus/default"
    role_arn = f"arn:aws:iam::{member}:role/{FORWARD_ROLE}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    put = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}],
    }
    target = {"Id": "management-bus", "Arn": bus, "RoleArn": role_arn}
    role_policy = {"RoleName": FORWARD_ROLE, "PolicyName": "forward"}
    return [
        _step(member, "drift-01", "iam", "CreateRole",
              {"RoleName": FORWARD_ROLE, "AssumeRolePolicyDocument": json.dumps(trust)}),
        _step(member, "drift-02", "iam", "PutRolePolicy",
              {**role_policy, "PolicyDocument": json.dumps(put)}),
        _step(member, "drift-03", "events", "PutRule",
              {"Name": rule, "EventPattern": json.dumps(PATTERN), "State": "ENABLED"}),
        _step(member, "drift-04", "events", "PutTargets", {"Rule": rule, "Targets": [target]}),
    ]  # fmt: skip
