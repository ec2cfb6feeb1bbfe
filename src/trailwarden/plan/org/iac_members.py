"""Member-account resources of an organisation plan as one CloudFormation template (pure).

The organisation trail, SCP and conformance pack need nothing in members; a plan that does put
something there (per-member EventBridge rules that forward to the management account, and the
role they use) has those steps under the member's account. Each member's steps become a template;
when the templates differ only by the member's own account id, that id becomes
``${AWS::AccountId}`` and the one template is deployed by a service-managed StackSet with
automatic deployment, so an account that joins later gets it without a step of ours. Otherwise
each member gets its own template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trailwarden.plan.model import MERGE, OrgPlan, Plan, Step

Template = dict[str, Any]
_MAPPED = {("events", "PutRule"), ("events", "PutTargets"), ("iam", "CreateRole"),
           ("iam", "PutRolePolicy")}  # fmt: skip
# Said already by another resource: the trust statement apply merges into an existing role is
# the whole trust policy of the role the template declares.
_COVERED = {("iam", "UpdateAssumeRolePolicy")}


@dataclass(frozen=True)
class MemberTemplates:
    accounts: list[str]
    shared: Template | None  # one template for every member, or None when they differ
    per_account: dict[str, Template] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # steps with no IaC form, one line each


def member_templates(plan: Plan, org: OrgPlan) -> MemberTemplates | None:
    central = {org.management_account, org.log_archive_account}
    by_account: dict[str, list[Step]] = {}
    skipped = []
    for step in plan.steps:
        if step.account in central or (step.service, step.operation) in _COVERED:
            continue
        if (step.service, step.operation) in _MAPPED:
            by_account.setdefault(step.account, []).append(step)
        else:  # e.g. stopping a duplicate member trail: an action, not a resource
            skipped.append(
                f"{step.id}: {step.service}:{step.operation} is an action, not a resource;"
                " trailwarden apply runs it"
            )
    if not by_account:
        return MemberTemplates([], None, skipped=skipped) if skipped else None
    templates = {account: _template(steps) for account, steps in sorted(by_account.items())}
    general = {account: _generalise(t, account) for account, t in templates.items()}
    first = next(iter(general.values()))
    shared = first if all(t == first for t in general.values()) else None
    return MemberTemplates(
        accounts=list(templates),
        shared=shared,
        per_account={} if shared is not None else templates,
        skipped=skipped,
    )


def _document(value: Any) -> Any:
    """API parameters carry policies and patterns as JSON text; templates take objects."""
    return json.loads(value) if isinstance(value, str) else value


def _logical(prefix: str, name: str) -> str:
    return prefix + "".join(ch for ch in name.title() if ch.isalnum())


def _template(steps: list[Step]) -> Template:
    resources: dict[str, Any] = {}
    for step in steps:
        p = step.params
        if (step.service, step.operation) == ("events", "PutRule"):
            props = {"Name": p["Name"], "EventPattern": _document(p["EventPattern"])}
            props |= {k: p[k] for k in ("Description", "State", "EventBusName") if k in p}
            resources[_logical("Rule", p["Name"])] = {
                "Type": "AWS::Events::Rule",
                "Properties": props,
            }
        elif (step.service, step.operation) == ("iam", "CreateRole"):
            props = {
                "RoleName": p["RoleName"],
                "AssumeRolePolicyDocument": _document(p["AssumeRolePolicyDocument"]),
            }
            props |= {k: p[k] for k in ("Description", "Path", "Tags") if k in p}
            resources[_logical("Role", p["RoleName"])] = {
                "Type": "AWS::IAM::Role",
                "Properties": props,
            }
    for step in steps:  # targets and inline policies attach to what the loop above declared
        p = step.params
        if (step.service, step.operation) == ("events", "PutTargets"):
            rule = resources[_logical("Rule", p["Rule"])]["Properties"]
            rule.setdefault("Targets", []).extend(
                {k: t[k] for k in ("Id", "Arn", "RoleArn") if k in t} for t in p["Targets"]
            )
        elif (step.service, step.operation) == ("iam", "PutRolePolicy"):
            role = resources[_logical("Role", p["RoleName"])]["Properties"]
            # apply merges statements into the live inline policy; a template declares it whole
            document = (
                {"Version": "2012-10-17", "Statement": p[MERGE]}
                if MERGE in p
                else _document(p["PolicyDocument"])
            )
            role.setdefault("Policies", []).append(
                {"PolicyName": p["PolicyName"], "PolicyDocument": document}
            )
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "trailwarden: what the organisation plan needs in a member account",
        "Resources": resources,
    }


def _generalise(value: Any, account: str) -> Any:
    """Every string naming the member's account becomes ``Fn::Sub`` on ``${AWS::AccountId}``."""
    if isinstance(value, dict):
        return {k: _generalise(v, account) for k, v in value.items()}
    if isinstance(value, list):
        return [_generalise(v, account) for v in value]
    if isinstance(value, str) and account in value:
        text = value.replace("${", "${!").replace(account, "${AWS::AccountId}")
        return {"Fn::Sub": text}
    return value
