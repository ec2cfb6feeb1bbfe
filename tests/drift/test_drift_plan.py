"""plan_drift on a hand-made OrgTarget: the conformance pack, the rule, forwarding, recorders."""

from __future__ import annotations

import json
from collections import Counter

import yaml
from tests.drift.support import (
    BUCKET,
    HOME,
    KEY_ARN,
    KEY_ID,
    LOG_ARCHIVE,
    MANAGEMENT,
    MEMBER,
    ORG_ID,
    TOPIC,
    organization,
    target,
)

from trailwarden.eventpattern import pattern_size, validate
from trailwarden.plan.model import MERGE, Plan, Step
from trailwarden.plan.org.context import DriftOptions
from trailwarden.plan.org.drift import (
    FORWARD_ROLE,
    PACK_NAME,
    PATTERN_SIZE_QUOTA,
    RULE_NAME,
    bus_arn,
    plan_drift,
    rule_arn,
)
from trailwarden.plan.org.drift_rules import (
    TEMPLATE_DIGEST_PARAMETER,
    conformance_template,
    drift_pattern,
    template_digest,
)

ISSUE_RULES = {
    "multi-region-cloudtrail-enabled": "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "cloudtrail-security-trail-enabled": "CLOUDTRAIL_SECURITY_TRAIL_ENABLED",
    "cloud-trail-log-file-validation-enabled": "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "cloud-trail-encryption-enabled": "CLOUD_TRAIL_ENCRYPTION_ENABLED",
    "cloud-trail-cloud-watch-logs-enabled": "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
    "cloudtrail-s3-bucket-access-logging": "CLOUDTRAIL_S3_BUCKET_ACCESS_LOGGING",
    "cloudtrail-s3-bucket-public-access-prohibited": (
        "CLOUDTRAIL_S3_BUCKET_PUBLIC_ACCESS_PROHIBITED"
    ),
}


def ops(steps: list[Step], account: str) -> list[tuple[str, str, str]]:
    return [(s.region, s.service, s.operation) for s in steps if s.account == account]


def test_conformance_pack_template_holds_the_seven_managed_rules() -> None:
    template = yaml.safe_load(conformance_template())
    rules = {
        r["Properties"]["ConfigRuleName"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Config::ConfigRule"
    }
    assert {n: p["Source"]["SourceIdentifier"] for n, p in rules.items()} == ISSUE_RULES
    assert all(p["Source"]["Owner"] == "AWS" for p in rules.values())
    assert rules["multi-region-cloudtrail-enabled"]["InputParameters"] == {
        "readWriteType": "ALL",
        "includeManagementEvents": "true",
    }
    assert rules["cloud-trail-cloud-watch-logs-enabled"]["InputParameters"] == {
        "expectedDeliveryWindowAge": "24"
    }
    no_parameters = set(ISSUE_RULES) - {
        "multi-region-cloudtrail-enabled",
        "cloud-trail-cloud-watch-logs-enabled",
    }
    assert not any("InputParameters" in rules[n] for n in no_parameters)
    assert TEMPLATE_DIGEST_PARAMETER in template["Parameters"]


def test_plan_puts_everything_in_the_management_home_region_when_alone() -> None:
    drift, steps = plan_drift(target(accounts=(MANAGEMENT,)), DriftOptions())
    assert ops(steps, MANAGEMENT) == [
        (HOME, "config", "PutOrganizationConformancePack"),
        (HOME, "events", "PutRule"),
        (HOME, "sns", "SetTopicAttributes"),
        (HOME, "events", "PutTargets"),
    ]
    assert [s.id for s in steps] == [f"{MANAGEMENT}:drift-0{n}" for n in range(1, 5)]
    pack = steps[0].params
    assert pack["OrganizationConformancePackName"] == PACK_NAME
    assert pack["ConformancePackInputParameters"] == [
        {
            "ParameterName": TEMPLATE_DIGEST_PARAMETER,
            "ParameterValue": template_digest(pack["TemplateBody"]),
        }
    ]
    rule = steps[1].params
    assert rule["Name"] == RULE_NAME and rule["EventPattern"] == drift.event_pattern
    assert steps[3].params["Targets"] == [{"Id": "trailwarden-alarm-topic", "Arn": TOPIC}]
    (statement,) = steps[2].params[MERGE]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": rule_arn(HOME, MANAGEMENT, RULE_NAME)}
    }
    assert drift.forwarding == [] and drift.topic_arn == TOPIC


def test_pattern_names_the_bucket_and_the_key_both_ways() -> None:
    pattern = drift_pattern(BUCKET, KEY_ARN)
    validate(pattern)
    s3, kms = pattern["$or"][1]["detail"], pattern["$or"][2]["detail"]
    assert s3["requestParameters"] == {"bucketName": [BUCKET]}
    assert kms["$or"][0] == {"requestParameters": {"keyId": [KEY_ID, KEY_ARN]}}
    assert kms["$or"][1] == {"responseElements": {"keyId": [KEY_ARN]}}
    # A key the plan creates is named by placeholders apply resolves.
    planned = drift_pattern(BUCKET, "${kms-alias:us-east-1:alias/org-trail}")
    assert planned["$or"][2]["detail"]["$or"][0]["requestParameters"]["keyId"] == [
        "${kms-key-id:us-east-1:alias/org-trail}",
        "${kms-alias:us-east-1:alias/org-trail}",
    ]
    by_alias_arn = drift_pattern(BUCKET, f"arn:aws:kms:eu-west-1:{MANAGEMENT}:alias/org-trail")
    assert by_alias_arn["$or"][2]["detail"]["$or"][1] == {
        "responseElements": {"keyId": ["${kms-alias:eu-west-1:alias/org-trail}"]}
    }
    assert len(drift_pattern(BUCKET, None)["$or"]) == 2  # no customer key: no key branch


def test_the_longest_possible_pattern_fits_the_default_quota() -> None:
    """Bucket names are at most 63 characters; the longest key ARN is in the longest
    partition and Region names: one $or rule always fits, no split is needed."""
    bucket = "b" * 63
    key = "arn:aws-iso-b:kms:us-isob-east-1:123456789012:key/mrk-" + "f" * 32
    assert pattern_size(drift_pattern(bucket, key)) < PATTERN_SIZE_QUOTA


def test_members_forward_to_the_management_bus_with_a_role() -> None:
    t = target(bucket_account=LOG_ARCHIVE, bucket_region="eu-west-1")
    drift, steps = plan_drift(t, DriftOptions())
    assert drift.forwarding == [
        f"{LOG_ARCHIVE} eu-west-1",
        f"{LOG_ARCHIVE} {HOME}",
        f"{MEMBER} {HOME}",
    ]
    bus = steps[1]
    assert (bus.service, bus.operation, bus.account) == ("events", "PutPermission", MANAGEMENT)
    (policy,) = bus.params[MERGE]
    assert policy["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
    assert policy["Action"] == "events:PutEvents"
    assert policy["Resource"] == bus_arn(HOME, MANAGEMENT)
    assert ops(steps, LOG_ARCHIVE) == [
        (HOME, "iam", "CreateRole"),
        (HOME, "iam", "UpdateAssumeRolePolicy"),
        (HOME, "iam", "PutRolePolicy"),
        ("eu-west-1", "events", "PutRule"),
        ("eu-west-1", "events", "PutTargets"),
        (HOME, "events", "PutRule"),
        (HOME, "events", "PutTargets"),
    ]
    forward = next(s for s in steps if s.account == MEMBER and s.operation == "PutTargets")
    assert forward.params["Targets"] == [
        {
            "Id": "trailwarden-management-bus",
            "Arn": bus_arn(HOME, MANAGEMENT),
            "RoleArn": f"arn:aws:iam::{MEMBER}:role/{FORWARD_ROLE}",
        }
    ]
    trust = json.loads(
        next(s for s in steps if s.account == MEMBER and s.operation == "CreateRole").params[
            "AssumeRolePolicyDocument"
        ]
    )
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": MEMBER}}
    rules = [s for s in steps if s.operation == "PutRule"]
    assert all(s.params["EventPattern"] == drift.event_pattern for s in rules)
    ids = [s.id for s in steps]
    assert len(set(ids)) == len(ids)
    assert Counter(s.account for s in steps)[MEMBER] == 5


def test_recorders_unknown_is_said_not_guessed() -> None:
    drift, _ = plan_drift(target(org=organization(None)), DriftOptions())
    assert drift.recorders_known is False and drift.accounts_without_recorder == []
    assert any("were not read" in n for n in drift.notes)
    drift, _ = plan_drift(
        target(org=organization({MANAGEMENT: [HOME], LOG_ARCHIVE: [], MEMBER: ["eu-west-1"]})),
        DriftOptions(),
    )
    assert drift.recorders_known is True
    assert drift.accounts_without_recorder == [LOG_ARCHIVE, MEMBER]
    # An account the scan did not read (a Region's read failed, or resumed from an earlier
    # run) is absent: unknown, said so, never listed as lacking a recorder.
    drift, _ = plan_drift(
        target(org=organization({MANAGEMENT: [HOME], MEMBER: ["eu-west-1"]})), DriftOptions()
    )
    assert drift.accounts_without_recorder == [MEMBER]
    assert any(f"unknown (not read): {LOG_ARCHIVE}" in n for n in drift.notes), drift.notes


def test_without_a_topic_the_rule_has_no_target_and_says_so() -> None:
    drift, steps = plan_drift(target(topic_arn=None, accounts=(MANAGEMENT,)), DriftOptions())
    assert [s.operation for s in steps] == ["PutOrganizationConformancePack", "PutRule"]
    assert any("no alarm topic" in n for n in drift.notes)


def test_disabled_plans_no_step() -> None:
    drift, steps = plan_drift(target(), DriftOptions(enabled=False))
    assert steps == [] and drift.event_rule == RULE_NAME


def test_drift_section_round_trips_through_the_plan_file() -> None:
    drift, steps = plan_drift(target(), DriftOptions())
    again = Plan.model_validate_json(
        Plan(generated_at="2026-01-01T00:00:00Z", steps=steps).model_dump_json(by_alias=True)
    )
    assert again.steps == steps
    assert type(drift).model_validate(drift.model_dump()) == drift


def test_the_trust_merge_is_covered_by_the_create_role_that_carries_it() -> None:
    """A new forwarding role is made with the trust statement: the merge beside it is planned
    only for a role that exists already (``covered_by``), so the plan counts each change once."""
    from trailwarden.plan.model import covering_step

    _drift, steps = plan_drift(target(), DriftOptions())
    merges = [s for s in steps if s.operation == "UpdateAssumeRolePolicy"]
    assert merges
    for merge in merges:
        create = covering_step(steps, merge)
        assert create is not None and create.operation == "CreateRole"
        assert (create.account, create.target) == (merge.account, merge.target)
        assert (create.action, merge.action) == ("create", "noop")
        trust = json.loads(create.params["AssumeRolePolicyDocument"])["Statement"]
        assert all(statement in trust for statement in merge.params[MERGE])
