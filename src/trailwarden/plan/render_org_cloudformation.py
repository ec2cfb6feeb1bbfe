"""The organisation plan as CloudFormation: one stack per account that owns something.

* With ``--log-archive-account``: stack 1 in the log-archive account (bucket, access-log bucket,
  policies, key), stack 2 in the management account (organisation trail, log group and role, CIS
  alarms, guardrail SCP, conformance pack, EventBridge rule), which takes the key's ARN from
  stack 1's output as a parameter: CreateTrail checks the bucket policy and the key exists, so
  stack 1 must be complete first.
* Without: one management-account stack holding both.

Nothing is needed in member accounts: the organisation trail, the SCP and the organisation
conformance pack reach every member (and accounts created later) from the management account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trailwarden.plan.org.iac_input import OrgIacInput
from trailwarden.plan.render_cloudformation import (
    Template,
    deploy_only_in,
    dump_template,
    get_arn,
    ref,
    storage_resources,
    trail_resources,
)

KEY_PARAMETER = "LogArchiveKeyArn"


@dataclass(frozen=True)
class _Stack:
    stem: str  # the file name without number and suffix
    role: str  # which kind of account it is deployed to
    account: str
    template: Template
    notes: list[str] = field(default_factory=list)


def org_cloudformation(data: OrgIacInput) -> dict[str, str]:
    """File name -> template text, numbered in deployment order when there is more than one."""
    stacks = []
    if data.archive is not None:
        archive = data.archive.account_id
        stacks.append(_Stack("log-archive", "log-archive", archive, _log_archive(data)))
    notes = [*scp_note(data), *member_notes(data)]
    if data.archive is not None and data.archive.kms.mode == "new":
        notes.insert(0, f"Pass the log-archive stack's output TrailKeyArn as {KEY_PARAMETER}.")
    management = data.org.management_account
    stacks.append(_Stack("management", "management", management, _management(data), notes))
    region = data.org.home_region
    for account, template in data.members.per_account.items() if data.members else ():
        rules = deploy_only_in(account, region, "the trail's home Region")
        stacks.append(_Stack(f"member-{account}", "member", account, {**template, "Rules": rules}))
    if len(stacks) == 1:
        only = stacks[0]
        return {"management.yaml": _text(only.template, [_where(only) + ".", *only.notes])}
    files: dict[str, str] = {}
    for number, stack in enumerate(stacks, start=1):
        head = f"Stack {number} of {len(stacks)}: {_where(stack)}"
        if files:
            head += f", after {', '.join(files)} completed"
        files[f"{number}-{stack.stem}.yaml"] = _text(stack.template, [head + ".", *stack.notes])
    return files


def _where(stack: _Stack) -> str:
    return f"deploy in the {stack.role} account {stack.account}"


def member_notes(data: OrgIacInput) -> list[str]:
    """How member accounts get their part, and the steps no template can carry."""
    members = data.members
    if members is None:
        return []
    lines = list(members.skipped)
    if members.shared is not None:
        lines.insert(
            0,
            "Member accounts get their part from the StackSet MemberStackSet (service-managed,"
            " automatic deployment: accounts that join later get it too); it needs trusted"
            " access for CloudFormation StackSets in the organisation.",
        )
    return lines


def _text(template: Template, comment: list[str]) -> str:
    return "".join(f"# {line}\n" for line in comment) + dump_template(template)


def scp_note(data: OrgIacInput) -> list[str]:
    """Said wherever the guardrail is created: it cannot protect the management account."""
    if data.org.guardrail is None:
        return []
    return [
        "The guardrail SCP does not restrict the management account itself (SCPs never apply"
        " to it): guard who can act there by other means."
    ]


def _log_archive(data: OrgIacInput) -> Template:
    b = data.storage
    resources, kms_key = storage_resources(b)
    outputs: dict[str, Any] = {"TrailBucketName": {"Value": ref("TrailBucket")}}
    if kms_key is not None:
        outputs["TrailKeyArn"] = {"Value": kms_key}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"trailwarden log archive for organisation {data.org.org_id}: the bucket, access-log"
            f" bucket and key of trail {data.org.trail_arn}"
        ),
        "Rules": deploy_only_in(b.account_id, b.bucket.region, "the bucket's Region"),
        "Resources": resources,
        "Outputs": outputs,
    }


def _management(data: OrgIacInput) -> Template:
    b = data.trail
    template: Template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"trailwarden organisation trail for {data.org.org_id}: trail {b.trail.name},"
            " guardrail, drift detection"
        ),
    }
    merge: dict[str, Any] = {}
    if data.archive is None:
        resources, kms_key = storage_resources(b)
        depends = ["TrailBucketPolicy"]
        bucket: Any = ref("TrailBucket")
    else:
        resources, kms_key, depends, bucket = {}, b.kms.key_arn, [], b.bucket.name
        if b.kms.mode == "new":
            kms_key = ref(KEY_PARAMETER)
            template["Parameters"] = {
                KEY_PARAMETER: {
                    "Type": "String",
                    "Description": "The output TrailKeyArn of the log-archive stack",
                    "AllowedPattern": (
                        f"^arn:{b.partition}:kms:{b.kms_region}:{data.archive.account_id}:key/.+$"
                    ),
                }
            }
    if b.kms.mode == "existing":
        merge[str(b.kms.key_arn)] = b.key_policy_statements()
    resources |= trail_resources(b, bucket, kms_key, depends)
    resources |= _guardrail(data)
    resources |= _config(data)
    if b.alarms is not None and not b.alarms.new_topic:
        merge.setdefault(b.alarms.topic_arn, []).append(b.topic_policy_statement())
    resources |= _event_rule(data, merge)
    resources |= _member_stackset(data, template)
    template |= {
        "Metadata": {"trailwarden": {"baseline": b.schema_, "MergeIntoExistingPolicies": merge}},
        "Rules": deploy_only_in(b.account_id, b.trail.home_region, "the trail's home Region"),
        "Resources": resources,
        "Outputs": {"TrailArn": {"Value": get_arn("Trail")}},
    }
    return template


def _guardrail(data: OrgIacInput) -> dict[str, Any]:
    g = data.org.guardrail
    if g is None:
        return {}
    props: dict[str, Any] = {
        "Name": g.policy_name,
        "Type": "SERVICE_CONTROL_POLICY",
        "Description": guardrail_description(data.org.trail_arn),
        "Content": g.document,
    }
    # A plan that refused to attach (self-lockout) creates the policy and attaches it nowhere.
    if g.targets and g.refused is None:
        props["TargetIds"] = list(g.targets)
    return {"GuardrailPolicy": {"Type": "AWS::Organizations::Policy", "Properties": props}}


ROOT_PARAMETER = "OrganizationRootId"
STACKSET_NAME = "trailwarden-members"


def _member_stackset(data: OrgIacInput, template: Template) -> dict[str, Any]:
    """The members' shared template as a service-managed StackSet on the organisation root."""
    members = data.members
    if members is None or members.shared is None:
        return {}
    root: Any = data.root_id
    if root is None:
        root = ref(ROOT_PARAMETER)
        template.setdefault("Parameters", {})[ROOT_PARAMETER] = {
            "Type": "String",
            "Description": "The organisation root id (r-...) the member StackSet deploys to",
            "AllowedPattern": "^r-[0-9a-z]{4,32}$",
        }
    props = {
        "StackSetName": STACKSET_NAME,
        "Description": "trailwarden: what the organisation plan needs in every member account",
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "StackInstancesGroup": [
            {
                "DeploymentTargets": {"OrganizationalUnitIds": [root]},
                "Regions": [data.org.home_region],
            }
        ],
        "TemplateBody": dump_template(members.shared),
    }
    return {"MemberStackSet": {"Type": "AWS::CloudFormation::StackSet", "Properties": props}}


def guardrail_description(trail_arn: str) -> str:
    return f"Protects organisation trail {trail_arn}, its bucket and key"


def _config(data: OrgIacInput) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    pack = data.conformance_pack
    if pack is not None:
        props = {
            "OrganizationConformancePackName": pack["OrganizationConformancePackName"],
            "TemplateBody": pack["TemplateBody"],
        }
        if pack.get("ExcludedAccounts"):
            props["ExcludedAccounts"] = list(pack["ExcludedAccounts"])
        resources["ConformancePack"] = {
            "Type": "AWS::Config::OrganizationConformancePack",
            "Properties": props,
        }
    for index, rule in enumerate(data.config_rules):
        # PutOrganizationConfigRule's parameter names are CloudFormation's property names.
        keep = ("OrganizationConfigRuleName", "OrganizationManagedRuleMetadata", "ExcludedAccounts")
        resources[f"OrganizationConfigRule{index}"] = {
            "Type": "AWS::Config::OrganizationConfigRule",
            "Properties": {k: rule[k] for k in keep if k in rule},
        }
    return resources


def _event_rule(data: OrgIacInput, merge: dict[str, Any]) -> dict[str, Any]:
    rule = data.event_rule
    if rule is None:
        return {}
    props: dict[str, Any] = {
        "Name": rule.name,
        "Description": "Someone weakened the organisation trail, its bucket or its key",
        "EventPattern": rule.pattern,
        "State": "ENABLED",
    }
    resources: dict[str, Any] = {"DriftRule": {"Type": "AWS::Events::Rule", "Properties": props}}
    if rule.topic_arn is None:
        return resources
    ours = data.own_topic
    props["Targets"] = [{"Id": "alarm-topic", "Arn": ref("AlarmTopic") if ours else rule.topic_arn}]
    if not ours:
        merge.setdefault(rule.topic_arn, []).extend(rule.topic_statements)
        return resources
    resources["AlarmTopicPolicy"] = {
        "Type": "AWS::SNS::TopicPolicy",
        "Properties": {"Topics": [ref("AlarmTopic")], "PolicyDocument": data.own_topic_policy()},
    }
    return resources
