"""The drift-detection part of an organisation plan: AWS Config and an EventBridge rule.

(a) An organisation conformance pack with the CloudTrail family's managed rules, deployed from
the management account's home Region to every account; rules evaluate nothing where no Config
recorder runs, so the plan names those accounts (or says it could not read them).

(b) Real time: an EventBridge rule on the default bus of the management account's home Region
matches the CloudTrail API calls that weaken logging and targets the alarm topic (whose policy
gets a statement letting EventBridge publish). AWS delivers a CloudTrail event only to the bus of
the account and Region where the call was made, so each member account, and each other Region
where the trail's bucket or key lives, gets a rule with the same pattern whose target is the
management account's bus (a role in the member puts the events; the bus policy admits the
organisation). Why, and what still covers the rest: docs/aws-facts/drift.md#delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from trailwarden.arns import arn_region, partition_for_region, role_arn
from trailwarden.eventpattern import pattern_size, validate
from trailwarden.placeholders import parse_key_ref
from trailwarden.plan.model import MERGE, Drift, Step
from trailwarden.plan.org.context import DriftOptions, OrgTarget, PartSteps
from trailwarden.plan.org.drift_rules import (
    CONFIG_RULES,
    TEMPLATE_DIGEST_PARAMETER,
    conformance_template,
    drift_pattern,
    template_digest,
)
from trailwarden.policies.eventbridge import (
    bus_from_organization_statement,
    forwarder_statement,
    forwarder_trust_policy,
    topic_from_rule_statement,
)

KEY_ACCOUNT = "KmsKeyAccount"  # not an API parameter: where a key the plan creates lives
PACK_NAME = "trailwarden-cloudtrail"
RULE_NAME = "trailwarden-trail-drift"
FORWARD_RULE_NAME = "trailwarden-trail-drift-forward"
FORWARD_ROLE = "trailwarden-drift-forwarder"
FORWARD_ROLE_POLICY = "trailwarden-forward-to-management-bus"
TOPIC_TARGET_ID = "trailwarden-alarm-topic"
BUS_TARGET_ID = "trailwarden-management-bus"
# EventBridge's default quota on a pattern's size (adjustable to 4096): the one rule must fit.
PATTERN_SIZE_QUOTA = 2048


def bus_arn(region: str, account: str) -> str:
    return f"arn:{partition_for_region(region)}:events:{region}:{account}:event-bus/default"


def rule_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition_for_region(region)}:events:{region}:{account}:rule/{name}"


@dataclass
class _Steps(PartSteps):
    """The drift part's steps; ``key_account`` holds the trail key the rule pattern names."""

    key_account: str = ""


def _key_region(target: OrgTarget) -> str | None:
    key = target.kms_key
    if not key:
        return None
    ref = parse_key_ref(key)
    return ref.region if ref is not None else arn_region(key)


def _forwarding_places(target: OrgTarget) -> list[tuple[str, str]]:
    """(account, Region) where the weakening calls can happen, other than the management
    account's home Region: every member's home Region, plus wherever the bucket and key live."""
    places = {(a, target.home_region) for a in target.accounts}
    places.add((target.bucket_account, target.bucket_region))
    key_region = _key_region(target)
    if key_region:
        places.add((target.kms_key_account, key_region))
    places.discard((target.management_account, target.home_region))
    return sorted(places)


def accounts_without_recorder(target: OrgTarget) -> list[str] | None:
    """Accounts with no Config recorder in the home Region; None when recorders were not read.

    An account missing from ``config_recorders`` was not read (a Region's read failed, or the
    scan resumed it from an earlier run): unknown, so it is not listed as lacking one."""
    recorders = target.org.config_recorders
    if recorders is None:
        return None
    return [a for a in target.accounts if a in recorders and target.home_region not in recorders[a]]


def accounts_recorder_unknown(target: OrgTarget) -> list[str]:
    recorders = target.org.config_recorders or {}
    return [a for a in target.accounts if a not in recorders]


def _conformance_pack(target: OrgTarget, out: _Steps) -> None:
    template = conformance_template()
    out.add(
        target.management_account,
        target.home_region,
        "config",
        "PutOrganizationConformancePack",
        {
            "OrganizationConformancePackName": PACK_NAME,
            "TemplateBody": template,
            "ConformancePackInputParameters": [
                {
                    "ParameterName": TEMPLATE_DIGEST_PARAMETER,
                    "ParameterValue": template_digest(template),
                }
            ],
        },
        "create",
        f"deploy the {len(CONFIG_RULES)} CloudTrail managed Config rules to every account",
        PACK_NAME,
    )


def _rule(
    out: _Steps, account: str, region: str, name: str, pattern: dict[str, Any], why: str
) -> None:
    params: dict[str, Any] = {
        "Name": name,
        "EventPattern": pattern,
        "State": "ENABLED",
        "Description": "trailwarden: CloudTrail API calls that weaken the trail",
    }
    if "${kms-" in json.dumps(pattern):
        # A key the plan creates: apply reads its ARN where it lives (apply/drift_ops.py).
        params[KEY_ACCOUNT] = out.key_account
    out.add(
        account,
        region,
        "events",
        "PutRule",
        params,
        "create",
        why,
        rule_arn(region, account, name),
    )


def _management_rule(
    target: OrgTarget, pattern: dict[str, Any], forwarded: bool, out: _Steps
) -> None:
    m, home = target.management_account, target.home_region
    if forwarded:
        out.add(
            m,
            home,
            "events",
            "PutPermission",
            {
                "EventBusName": "default",
                MERGE: [bus_from_organization_statement(bus_arn(home, m), target.org.id)],
            },
            "update",
            "merge statement TrailwardenDriftFromOrganization into the default bus's policy: "
            "the organisation's accounts may forward events to it; every other statement is kept",
            bus_arn(home, m),
        )
    _rule(out, m, home, RULE_NAME, pattern, "match the calls that weaken the trail, in real time")
    if target.topic_arn is None:
        return
    arn = rule_arn(home, m, RULE_NAME)
    out.add(
        m,
        home,
        "sns",
        "SetTopicAttributes",
        {
            "TopicArn": target.topic_arn,
            "AttributeName": "Policy",
            MERGE: [topic_from_rule_statement(target.topic_arn, arn)],
        },
        "update",
        "merge statement TrailwardenAllowDriftRule into the alarm topic's policy: EventBridge "
        "may publish for this rule; every other statement is kept",
        target.topic_arn,
    )
    out.add(
        m,
        home,
        "events",
        "PutTargets",
        {"Rule": RULE_NAME, "Targets": [{"Id": TOPIC_TARGET_ID, "Arn": target.topic_arn}]},
        "create",
        "send what the rule matches to the alarm topic",
        arn,
    )


def _forwarding(target: OrgTarget, pattern: dict[str, Any], out: _Steps) -> list[str]:
    places = _forwarding_places(target)
    destination = bus_arn(target.home_region, target.management_account)
    with_role: set[str] = set()
    for account, region in places:
        partition = partition_for_region(region)
        if account not in with_role:
            with_role.add(account)
            out.add(
                account,
                target.home_region,
                "iam",
                "CreateRole",
                {
                    "RoleName": FORWARD_ROLE,
                    "AssumeRolePolicyDocument": json.dumps(forwarder_trust_policy(account)),
                    "Description": "Lets EventBridge forward trail drift events to the "
                    "management account's event bus",
                    "Tags": [{"Key": "ManagedBy", "Value": "trailwarden"}],
                },
                "create",
                "the role EventBridge uses to put events on the management account's bus",
                FORWARD_ROLE,
            )
            out.add(
                account,
                target.home_region,
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": FORWARD_ROLE, MERGE: forwarder_trust_policy(account)["Statement"]},
                # Only a role of that name made earlier needs the merge: the CreateRole step
                # above makes a new one with this statement as its trust policy.
                "noop",
                f"merge statement TrailwardenEventBridgeAssume into the trust policy of "
                f"{FORWARD_ROLE} if the role exists already (it keeps its other statements);"
                " a role CreateRole makes has it from the start",
                FORWARD_ROLE,
                covered_by="iam:CreateRole",
            )
            out.add(
                account,
                target.home_region,
                "iam",
                "PutRolePolicy",
                {
                    "RoleName": FORWARD_ROLE,
                    "PolicyName": FORWARD_ROLE_POLICY,
                    MERGE: [forwarder_statement(destination)],
                },
                "update",
                f"inline policy {FORWARD_ROLE_POLICY}: events:PutEvents on {destination} only",
                FORWARD_ROLE,
            )
        _rule(
            out,
            account,
            region,
            FORWARD_RULE_NAME,
            pattern,
            "CloudTrail events reach only this account's bus in this Region: match them here",
        )
        out.add(
            account,
            region,
            "events",
            "PutTargets",
            {
                "Rule": FORWARD_RULE_NAME,
                "Targets": [
                    {
                        "Id": BUS_TARGET_ID,
                        "Arn": destination,
                        "RoleArn": role_arn(account, FORWARD_ROLE, partition),
                    }
                ],
            },
            "create",
            "forward what the rule matches to the management account's bus",
            rule_arn(region, account, FORWARD_RULE_NAME),
        )
    return [f"{a} {r}" for a, r in places]


def _notes(target: OrgTarget, missing: list[str] | None, pattern: dict[str, Any]) -> list[str]:
    notes = [
        f"the rule pattern is {pattern_size(pattern)} characters of EventBridge's "
        f"{PATTERN_SIZE_QUOTA} default: one rule with $or branches",
        "forwarding rules are made for the accounts in the organisation now; an account "
        "created later reaches no rule until the next apply",
        "a call no rule sees (a new account, a Region without a forwarding rule) is still in "
        "the organisation trail's log group, whose CIS alarms in the management account catch "
        "trail changes (CloudWatch.5), key disabling (.7) and bucket policy changes (.8) "
        "minutes later; PutEventSelectors and DeleteEventDataStore have no CIS alarm",
    ]
    if target.topic_arn is None:
        notes.append("no alarm topic: the rule is created without a target; plan with an alarm")
    if missing is None:
        notes.append(
            "Config recorders were not read: which accounts lack one is unknown, and the "
            "conformance pack evaluates nothing in an account without one"
        )
    else:
        if missing:
            notes.append(
                f"{len(missing)} account(s) have no Config recorder in {target.home_region}: the "
                "conformance pack's rules evaluate nothing there until one records"
            )
        unknown = accounts_recorder_unknown(target)
        if unknown:
            notes.append(
                f"whether {len(unknown)} account(s) have a Config recorder is unknown (not read): "
                + ", ".join(unknown)
            )
    return notes


def plan_drift(target: OrgTarget, options: DriftOptions) -> tuple[Drift, list[Step]]:
    pattern = drift_pattern(target.bucket, target.kms_key)
    validate(pattern)  # a pattern EventBridge would refuse is a bug here, not a user error
    if pattern_size(pattern) > PATTERN_SIZE_QUOTA:
        raise ValueError(f"drift pattern is {pattern_size(pattern)} characters, over the quota")
    missing = accounts_without_recorder(target)
    out = _Steps("drift", key_account=target.kms_key_account)
    forwarding: list[str] = []
    if options.enabled:
        _conformance_pack(target, out)
        places = _forwarding_places(target)
        _management_rule(target, pattern, bool(places), out)
        forwarding = _forwarding(target, pattern, out)
    drift = Drift(
        conformance_pack=PACK_NAME,
        config_rules=[name for name, _, _ in CONFIG_RULES],
        accounts_without_recorder=missing or [],
        recorders_known=missing is not None,
        event_rule=RULE_NAME,
        event_pattern=pattern,
        topic_arn=target.topic_arn,
        forwarding=forwarding,
        notes=_notes(target, missing, pattern) if options.enabled else ["drift detection off"],
    )
    return drift, out.steps
