"""What a plan step may set: one rule per operation, checked before apply's first AWS write.

A plan file is data a person can edit. ``apply`` carries out what the file says, so an edit that
weakens the trail (selectors changed to WriteOnly, a public statement merged into the bucket
policy, log file validation turned off, a StopLogging step) would be applied as written. Each
operation therefore declares what ``plan`` could have produced for it, for some options: the
parameters it needs, the ones it may carry, and a check against the account's baseline (which the
plan holds, and which ``Baseline``'s own validators already checked when the plan was read).

``refusal(plan)`` returns the first step that breaks its rule, as one line naming the step and the
control it would weaken. An operation with no declared rule is refused (``NO_RULE``): a new step
kind is carried out only once someone has said what it may do. Other parts declare their rules
with ``@rule(service, operation, ...)`` next to the code that plans or applies the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from trailwarden.controls.publicpolicy import policy_is_public
from trailwarden.controls.selectors import covers_all_management, describe_management
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.model import MERGE, Plan, Step
from trailwarden.policies.builders import CLOUDTRAIL, EVENTS
from trailwarden.snapshot.model import EventSelectors

Check = Callable[["StepView", Step], str | None]
"""Returns ``None`` or what the step would weaken, as ``"CONTROL: why"``."""


@dataclass(frozen=True)
class StepView:
    """What a rule may look at besides the step: the whole plan and the account's baseline."""

    plan: Plan
    baseline: Baseline | None


@dataclass(frozen=True)
class StepRule:
    required: tuple[str, ...]  # parameters the step cannot do without
    allowed: frozenset[str] | None  # parameters it may carry (None: any the API takes)
    check: Check | None = None


RULES: dict[tuple[str, str], StepRule] = {}
NO_RULE = "trailwarden has no rule saying what this step may set, so it is not applied"


def rule(
    service: str,
    operation: str,
    required: Iterable[str] = (),
    optional: Iterable[str] | None = (),
) -> Callable[[Check | None], Check | None]:
    """Declare what ``service:operation`` steps may set: ``required`` and ``optional``
    parameters (``optional=None``: any other) and the decorated check, if any."""
    need = tuple(required)

    def register(check: Check | None) -> Check | None:
        if (service, operation) in RULES:
            raise TypeError(f"a rule for {service}:{operation} is declared twice")
        allowed = None if optional is None else frozenset({*need, *optional})
        RULES[(service, operation)] = StepRule(need, allowed, check)
        return check

    return register


def refusal(plan: Plan) -> str | None:
    """The first step of ``plan`` its rule refuses, as one line; ``None`` when all pass."""
    for step in plan.steps:
        problem = _problem(plan, step)
        if problem is not None:
            return f"step {step.id} ({step.service}:{step.operation}): {problem}"
    return None


def _problem(plan: Plan, step: Step) -> str | None:
    declared = RULES.get((step.service, step.operation))
    if declared is None:
        return NO_RULE
    missing = next((k for k in declared.required if k not in step.params), None)
    if missing is not None:
        return f"the plan has no {missing}; plan again instead of editing the plan"
    if declared.allowed is not None:
        extra = next((k for k in step.params if k not in declared.allowed), None)
        if extra is not None:
            return f"{extra} is not a parameter trailwarden plans for this step"
    if declared.check is None:
        return None
    try:
        weakened = declared.check(StepView(plan, _baseline_for(plan, step)), step)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # An edited parameter of the wrong shape: named, not a traceback (pydantic's
        # ValidationError is a ValueError).
        return f"the plan's parameters are not what this step needs ({type(exc).__name__}: {exc})"
    if weakened is not None:
        return f"would weaken {weakened}; refused, nothing was changed"
    return None


# --- helpers -------------------------------------------------------------------------------------


def _baseline_for(plan: Plan, step: Step) -> Baseline | None:
    """The baseline a step builds: its account's, or in an organisation plan the organisation
    trail's (whose bucket and key may live in the log-archive account, which has none)."""
    account = plan.account(step.account)
    if account is not None and account.baseline is not None:
        return account.baseline
    if plan.organization is not None:
        management = plan.account(plan.organization.management_account)
        return management.baseline if management else None
    return None


def _document(value: Any) -> dict[str, Any]:
    """A policy given as a JSON string or an object."""
    doc = json.loads(value) if isinstance(value, str) else value
    if not isinstance(doc, dict):
        raise ValueError("a policy is not a JSON object")
    return doc


def _statements(value: Any) -> list[dict[str, Any]]:
    raw = value.get("Statement", []) if isinstance(value, dict) else value
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ValueError("statements are not a list of objects")
    return statements


def _merged(step: Step) -> list[dict[str, Any]]:
    statements = _statements(step.params[MERGE])
    if not statements or not all(isinstance(s.get("Sid"), str) for s in statements):
        raise ValueError(f"{MERGE} needs statements with a Sid each")
    return statements


def _public(statements: list[dict[str, Any]], control: str) -> str | None:
    """S3's public-policy decision (controls/publicpolicy.py); undecided counts as public."""
    for statement in statements:
        if policy_is_public({"Statement": [statement]}) is not False:
            sid = statement.get("Sid", "without Sid")
            return f"{control}: statement {sid} grants access to any principal"
    return None


def _merge_rule(
    service: str,
    operation: str,
    control: str,
    names: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> None:
    """A read-modify-write of a policy: no merged statement may be public."""

    def check(_view: StepView, step: Step) -> str | None:
        return _public(_merged(step), control)

    rule(service, operation, (*names, MERGE), optional)(check)


# --- S3 ------------------------------------------------------------------------------------------


@rule("s3", "CreateBucket", ["Bucket"], ["CreateBucketConfiguration"])
def _own_bucket(view: StepView, step: Step) -> str | None:
    # No ACL or ObjectOwnership parameter: a bucket created public is CloudTrail.6's failure.
    b = view.baseline
    if b is not None and step.params["Bucket"] not in (b.bucket.name, b.bucket.access_log_bucket):
        return f"CloudTrail.6: bucket {step.params['Bucket']} is not one of the baseline's"
    return None


_BLOCK_PUBLIC_ACCESS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


@rule("s3", "PutPublicAccessBlock", ["Bucket", "PublicAccessBlockConfiguration"])
def _all_blocked(_view: StepView, step: Step) -> str | None:
    flags = step.params["PublicAccessBlockConfiguration"]
    off = [k for k in _BLOCK_PUBLIC_ACCESS if flags.get(k) is not True]
    return f"CloudTrail.6: Block Public Access {', '.join(off)} not on" if off else None


@rule("s3", "PutBucketEncryption", ["Bucket", "ServerSideEncryptionConfiguration"])
def _encrypted(_view: StepView, step: Step) -> str | None:
    rules = step.params["ServerSideEncryptionConfiguration"].get("Rules") or []
    has = all(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules)
    return None if rules and has else "the log bucket's default encryption: no rule"


@rule("s3", "PutBucketVersioning", ["Bucket", "VersioningConfiguration"])
def _versioned(_view: StepView, step: Step) -> str | None:
    status = step.params["VersioningConfiguration"].get("Status")
    return None if status == "Enabled" else f"the log bucket's versioning: Status {status!r}"


@rule("s3", "PutBucketLifecycleConfiguration", ["Bucket", "LifecycleConfiguration"])
def _retention(view: StepView, step: Step) -> str | None:
    days = view.baseline.bucket.retention_days if view.baseline else None
    for r in step.params["LifecycleConfiguration"]["Rules"]:
        for key, inner in (
            ("Expiration", "Days"),
            ("NoncurrentVersionExpiration", "NoncurrentDays"),
        ):
            got = (r.get(key) or {}).get(inner)
            if got is not None and (days is None or got < days):
                return f"log file retention: rule {r.get('ID')} expires files after {got} days"
    return None


@rule("s3", "PutBucketLogging", ["Bucket", "BucketLoggingStatus"])
def _access_logged(view: StepView, step: Step) -> str | None:
    target = (step.params["BucketLoggingStatus"].get("LoggingEnabled") or {}).get("TargetBucket")
    if not target:
        return "CloudTrail.7: server access logging is turned off"
    b = view.baseline
    if b is not None and target != b.bucket.access_log_bucket:
        return f"CloudTrail.7: access logs go to {target}, not {b.bucket.access_log_bucket}"
    return None


_merge_rule("s3", "PutBucketPolicy", "CloudTrail.6", ("Bucket",))


# --- KMS, CloudWatch Logs, IAM, SNS --------------------------------------------------------------

_merge_rule("kms", "PutKeyPolicy", "CloudTrail.2", ("KeyId",), ("PolicyName",))
rule("kms", "EnableKeyRotation", ["KeyId"])(None)


@rule("kms", "CreateKey", ["AliasName", "Policy"], ["Description", "KeySpec", "KeyUsage", "Tags"])
def _private_key(_view: StepView, step: Step) -> str | None:
    return _public(_statements(_document(step.params["Policy"])), "CloudTrail.2")


rule("logs", "CreateLogGroup", ["logGroupName"], ["tags"])(None)


@rule("logs", "PutRetentionPolicy", ["logGroupName", "retentionInDays"])
def _group_retention(view: StepView, step: Step) -> str | None:
    days = view.baseline.cloudwatch.retention_days if view.baseline else None
    got = step.params["retentionInDays"]
    if days is None or got < days:
        return f"log group retention: {got} days, shorter than the baseline's {days}"
    return None


def _trusted_service(view: StepView, step: Step) -> tuple[str, str]:
    """The one service a role trailwarden plans may trust, and what a wider trust weakens: the
    drift part's forwarding role is EventBridge's; every other is CloudTrail's delivery role."""
    from trailwarden.plan.org.drift import FORWARD_ROLE

    org = view.plan.organization
    if org is not None and org.drift is not None and step.params["RoleName"] == FORWARD_ROLE:
        return EVENTS, "drift detection: the forwarding role"
    return CLOUDTRAIL, "CloudTrail.5: the delivery role"


def _trusts_only(view: StepView, step: Step, statements: list[dict[str, Any]]) -> str | None:
    service, role = _trusted_service(view, step)
    for s in statements:
        if s.get("Effect") == "Allow" and s.get("Principal") != {"Service": service}:
            return (
                f"{role}: statement {s.get('Sid', 'without Sid')} lets a principal other than"
                f" {service} assume it"
            )
    return None


@rule(
    "iam",
    "CreateRole",
    ["RoleName", "AssumeRolePolicyDocument"],
    ["Description", "Tags"],
)
def _role_trust(view: StepView, step: Step) -> str | None:
    return _trusts_only(view, step, _statements(_document(step.params["AssumeRolePolicyDocument"])))


@rule("iam", "UpdateAssumeRolePolicy", ["RoleName", MERGE])
def _role_trust_merge(view: StepView, step: Step) -> str | None:
    return _trusts_only(view, step, _merged(step))


_merge_rule("iam", "PutRolePolicy", "CloudTrail.5", ("RoleName", "PolicyName"))
rule("sns", "CreateTopic", ["Name"], ["Tags"])(None)


@rule("sns", "SetTopicAttributes", ["TopicArn", "AttributeName", MERGE])
def _topic_policy(_view: StepView, step: Step) -> str | None:
    if step.params["AttributeName"] != "Policy":
        return f"CloudWatch.1-14: sets topic attribute {step.params['AttributeName']}"
    return _public(_merged(step), "CloudWatch.1-14")


rule("sns", "Subscribe", ["TopicArn", "Protocol", "Endpoint"], ["ReturnSubscriptionArn"])(None)


# --- metric filters and alarms: the baseline's CIS settings -------------------------------------


@rule("logs", "PutMetricFilter", ["logGroupName", "filterName", "filterPattern"], None)
def _cis_filter(view: StepView, step: Step) -> str | None:
    alarms = view.baseline.alarms if view.baseline else None
    spec = (
        next((a for a in alarms.alarms if a.filter_name == step.params["filterName"]), None)
        if alarms
        else None
    )
    if spec is None or view.baseline is None:
        return f"CloudWatch.1-14: filter {step.params['filterName']} is not one of the baseline's"
    wanted = spec.put_metric_filter_params(view.baseline.cloudwatch.log_group)
    return (
        None
        if step.params == wanted
        else f"{spec.control_id}: the metric filter differs from CIS's"
    )


@rule("cloudwatch", "PutMetricAlarm", ["AlarmName", "AlarmActions"], None)
def _cis_alarm(view: StepView, step: Step) -> str | None:
    alarms = view.baseline.alarms if view.baseline else None
    spec = (
        next((a for a in alarms.alarms if a.alarm_name == step.params["AlarmName"]), None)
        if alarms
        else None
    )
    if spec is None or alarms is None:
        return f"CloudWatch.1-14: alarm {step.params['AlarmName']} is not one of the baseline's"
    wanted = spec.put_metric_alarm_params(alarms.topic_arn)
    return None if step.params == wanted else f"{spec.control_id}: the alarm differs from CIS's"


# --- the trail -----------------------------------------------------------------------------------

_TRAIL_OPTIONAL = ("S3KeyPrefix", "KmsKeyId", "TagsList", "IsOrganizationTrail")
_TRAIL_REQUIRED = (
    "S3BucketName",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "EnableLogFileValidation",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
)


def _whole_trail(view: StepView, step: Step) -> str | None:
    p, b = step.params, view.baseline
    if p["IsMultiRegionTrail"] is not True or p["IncludeGlobalServiceEvents"] is not True:
        return "CloudTrail.1: the trail is not multi-Region with global service events"
    if p["EnableLogFileValidation"] is not True:
        return "CloudTrail.4: log file validation is off"
    if not p["CloudWatchLogsLogGroupArn"] or not p["CloudWatchLogsRoleArn"]:
        return "CloudTrail.5: the trail does not send events to CloudWatch Logs"
    if not p.get("KmsKeyId") and (b is None or b.kms.mode != "none"):
        return "CloudTrail.2: the trail's log files are not encrypted with the baseline's key"
    if b is not None and p["S3BucketName"] != b.bucket.name:
        return f"CloudTrail.6: log files go to {p['S3BucketName']}, not {b.bucket.name}"
    organisation = b is not None and b.organization is not None
    # UpdateTrail leaves a parameter it does not name as it is; CreateTrail's default is False.
    default = False if step.operation == "CreateTrail" else organisation
    if p.get("IsOrganizationTrail", default) is not organisation:
        if organisation:
            return "organisation coverage: the organisation trail is planned as a local trail"
        return "organisation coverage: an organisation trail without plan --org-trail"
    return None


rule("cloudtrail", "CreateTrail", ("Name", *_TRAIL_REQUIRED), _TRAIL_OPTIONAL)(_whole_trail)
rule("cloudtrail", "UpdateTrail", ("Name", *_TRAIL_REQUIRED), _TRAIL_OPTIONAL)(_whole_trail)
rule("cloudtrail", "AddTags", ["ResourceId", "TagsList"])(None)
rule("cloudtrail", "StartLogging", ["Name"])(None)


@rule(
    "cloudtrail", "PutEventSelectors", ["TrailName"], ["EventSelectors", "AdvancedEventSelectors"]
)
def _all_management(_view: StepView, step: Step) -> str | None:
    selectors = EventSelectors(
        basic=step.params.get("EventSelectors") or [],
        advanced=step.params.get("AdvancedEventSelectors") or [],
    )
    if covers_all_management(selectors):
        return None
    return f"CloudTrail.1: the selectors record {describe_management(selectors)}"


# What the StopLogging handler reads before it stops anything (apply/org_trail_ops.py): an edit
# pointing them at another trail or bucket would let the check pass on the wrong evidence.
RETIRE_GUARDS = (
    "OrganizationTrail",
    "OrganizationTrailAccount",
    "OrganizationTrailRegion",
    "LogBucket",
    "LogBucketAccount",
    "LogBucketRegion",
    "MemberLogPrefix",
)


@rule("cloudtrail", "StopLogging", ["Name"], RETIRE_GUARDS)
def _retired_duplicate(view: StepView, step: Step) -> str | None:
    # Only a member's own trail that copies the organisation trail, retired on request.
    org = view.plan.organization
    retired = {(d.account, d.trail_arn) for d in (org.duplicates if org else []) if d.retire}
    name = step.params["Name"]
    if org is None or (step.account, name) not in retired or step.target != name:
        return (
            f"CloudTrail.1: stops logging of {name}, which is not a duplicate trail the plan"
            " retires"
        )
    b = view.baseline
    if b is None:
        return f"CloudTrail.1: stops logging of {name}, but the plan has no organisation trail"
    prefix = f"{b.bucket.prefix.strip('/')}/" if b.bucket.prefix else ""
    expected = {
        "OrganizationTrail": org.trail_arn,
        "OrganizationTrailAccount": org.management_account,
        "OrganizationTrailRegion": org.home_region,
        "LogBucket": b.bucket.name,
        "LogBucketAccount": b.resource_account,
        "LogBucketRegion": b.bucket.region,
        "MemberLogPrefix": f"{prefix}AWSLogs/{org.org_id}/{step.account}/",
    }
    for key, value in expected.items():
        if step.params.get(key) != value:
            return (
                f"CloudTrail.1: before stopping {name} apply would check {key}"
                f" {step.params[key]}, not the organisation trail's {value}"
            )
    return None


# --- the organisation's guardrail and drift detection (plan --org-trail) -------------------------


def _needs_organisation(view: StepView, part: str) -> str | None:
    org = view.plan.organization
    if org is None or (part and getattr(org, part) is None):
        return f"organisation coverage: an organisation step without a planned {part or 'trail'}"
    return None


@rule("organizations", "EnableAWSServiceAccess", ["ServicePrincipal"])
def _trusted_access(view: StepView, _step: Step) -> str | None:
    return _needs_organisation(view, "")


@rule("organizations", "EnablePolicyType", ["RootId", "PolicyType"])
def _scp_type(view: StepView, step: Step) -> str | None:
    if step.params["PolicyType"] != "SERVICE_CONTROL_POLICY":
        return f"the guardrail: enables policy type {step.params['PolicyType']}"
    return _needs_organisation(view, "guardrail")


@rule("organizations", "CreatePolicy", ["Name", "Type", "Content"], ["Description", "Tags"])
@rule("organizations", "UpdatePolicy", ["Name", "Type", "Content"], ["Description", "Tags"])
def _deny_only(view: StepView, step: Step) -> str | None:
    if step.params["Type"] != "SERVICE_CONTROL_POLICY":
        return f"the guardrail: a {step.params['Type']} policy"
    allows = [
        s for s in _statements(_document(step.params["Content"])) if s.get("Effect") != "Deny"
    ]
    if allows:
        return f"the guardrail: statement {allows[0].get('Sid', 'without Sid')} is not a Deny"
    return _needs_organisation(view, "guardrail")


@rule("organizations", "AttachPolicy", ["PolicyId", "TargetId"])
def _attach_guardrail(view: StepView, _step: Step) -> str | None:
    return _needs_organisation(view, "guardrail")


@rule("config", "PutOrganizationConformancePack", ["OrganizationConformancePackName"], None)
def _conformance_pack(view: StepView, _step: Step) -> str | None:
    return _needs_organisation(view, "drift")


@rule("events", "PutRule", ["Name"], None)
def _enabled_rule(view: StepView, step: Step) -> str | None:
    if step.params.get("State", "ENABLED") != "ENABLED":
        return f"drift detection: rule {step.params['Name']} is {step.params['State']}"
    return _needs_organisation(view, "drift")


@rule("events", "PutTargets", ["Rule", "Targets"], None)
def _rule_targets(view: StepView, _step: Step) -> str | None:
    return _needs_organisation(view, "drift")


@rule("events", "PutPermission", [], None)
def _bus_permission(view: StepView, step: Step) -> str | None:
    # Either Action/Principal(/Condition) or a whole Policy statement (the API takes both).
    p = step.params
    if p.get("Principal") == "*" and not p.get("Condition"):
        return "drift detection: any account may put events on the bus"
    if "Policy" in p and _public(_statements(_document(p["Policy"])), "drift detection"):
        return "drift detection: the bus policy lets any principal put events"
    return _needs_organisation(view, "drift")
