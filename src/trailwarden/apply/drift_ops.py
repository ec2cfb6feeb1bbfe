"""Handlers for the drift part: the organisation conformance pack and the EventBridge rules.

The alarm topic's policy (``sns:SetTopicAttributes``) and the forwarding role (``iam:CreateRole``,
``iam:PutRolePolicy``) reuse the policy and role handlers of ``operations``. Each check reads the
live state so a second apply changes nothing: the pack by the template digest it carries as an
input parameter (DescribeOrganizationConformancePacks does not return the template), a rule by its
pattern and state, a target by id, ARN and role, the bus policy by our statement.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from trailwarden.apply.context import AccountContext
from trailwarden.apply.operations import (
    RESOLVE_KEY,
    State,
    absent,
    handler,
    merge_handler,
    setting_handler,
)
from trailwarden.placeholders import parse_key_ref
from trailwarden.plan.model import Step
from trailwarden.plan.org.drift import KEY_ACCOUNT
from trailwarden.policies.permissions import (
    CONFIG_MULTI_ACCOUNT_SERVICE_LINKED_ROLE,
    DRIFT_CONFIG,
    DRIFT_EVENTS,
    PASS_FORWARD_ROLE,
    grant,
)

# --- the organisation conformance pack ---------------------------------------------------------


def _digest(parameters: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(p["ParameterName"]): str(p.get("ParameterValue", "")) for p in parameters or []}


def _pack(ctx: AccountContext, step: Step) -> State:
    config = ctx.client(step.region, "config")
    name = step.params["OrganizationConformancePackName"]
    try:
        found = config.describe_organization_conformance_packs(
            OrganizationConformancePackNames=[name]
        ).get("OrganizationConformancePacks", [])
    except ClientError as exc:
        if absent(exc, "NoSuchOrganizationConformancePackException"):
            return State.MISSING
        raise
    if not found:
        return State.MISSING
    live = _digest(found[0].get("ConformancePackInputParameters"))
    wanted = _digest(step.params.get("ConformancePackInputParameters"))
    return State.OK if live == wanted else State.DIFFERS


handler(
    "config",
    "PutOrganizationConformancePack",
    grant(
        DRIFT_CONFIG,
        "config:DescribeOrganizationConformancePacks",
        "config:PutOrganizationConformancePack",
    ),
    # The API creates this service-linked role in the caller's account when it is missing.
    grant(CONFIG_MULTI_ACCOUNT_SERVICE_LINKED_ROLE, "iam:CreateServiceLinkedRole"),
)(setting_handler(_pack))


# --- EventBridge rules, targets and the bus policy ---------------------------------------------


def _resolve(ctx: AccountContext, step: Step, value: Any) -> Any:
    """The pattern with a planned key's placeholders replaced by its ARN and key id, read in
    the account that holds the key (it may not be this one)."""
    if isinstance(value, dict):
        return {k: _resolve(ctx, step, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(ctx, step, v) for v in value]
    ref = parse_key_ref(value)
    if ref is None:
        return value
    account = ref.account or str(step.params.get(KEY_ACCOUNT, ctx.account))
    arn = ctx.key_arn(ref.region, ref.alias, account)
    return arn if ref.kind == "alias" else arn.rsplit("/", 1)[-1]


def rule_pattern(ctx: AccountContext, step: Step) -> dict[str, Any]:
    return dict(_resolve(ctx, step, step.params["EventPattern"]))


def _rule(ctx: AccountContext, step: Step) -> State:
    events = ctx.client(step.region, "events")
    try:
        live = events.describe_rule(Name=step.params["Name"])
    except ClientError as exc:
        if absent(exc, "ResourceNotFoundException"):
            return State.MISSING
        raise
    same = json.loads(live.get("EventPattern") or "null") == rule_pattern(ctx, step)
    enabled = live.get("State") == step.params.get("State", "ENABLED")
    return State.OK if same and enabled else State.DIFFERS


def _put_rule(ctx: AccountContext, step: Step) -> str:
    # Not _params: its placeholder resolution would look for the key in this account.
    params = {k: v for k, v in step.params.items() if k not in (KEY_ACCOUNT, "EventPattern")}
    pattern = json.dumps(rule_pattern(ctx, step), separators=(",", ":"))
    ctx.client(step.region, "events").put_rule(**params, EventPattern=pattern)
    return f"rule {step.params['Name']} matches {len(pattern)} characters of pattern"


handler(
    "events", "PutRule", RESOLVE_KEY, grant(DRIFT_EVENTS, "events:DescribeRule", "events:PutRule")
)(setting_handler(_rule, _put_rule))


def _targets(ctx: AccountContext, step: Step) -> State:
    events = ctx.client(step.region, "events")
    try:
        live = events.list_targets_by_rule(Rule=step.params["Rule"]).get("Targets", [])
    except ClientError as exc:
        if absent(exc, "ResourceNotFoundException"):
            return State.MISSING
        raise
    by_id = {t.get("Id"): t for t in live}
    state = State.OK
    for wanted in step.params["Targets"]:
        have = by_id.get(wanted["Id"])
        if have is None:
            return State.MISSING
        if any(have.get(k) != v for k, v in wanted.items()):
            state = State.DIFFERS
    return state


handler(
    "events",
    "PutTargets",
    grant(DRIFT_EVENTS, "events:ListTargetsByRule", "events:PutTargets"),
    grant(PASS_FORWARD_ROLE, "iam:PassRole"),  # the forwarding targets name a role
)(setting_handler(_targets))


def _bus_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    bus = ctx.client(step.region, "events").describe_event_bus(Name=step.params["EventBusName"])
    return dict(json.loads(bus["Policy"])) if bus.get("Policy") else None


def _put_bus_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    ctx.client(step.region, "events").put_permission(
        EventBusName=step.params["EventBusName"], Policy=json.dumps(doc)
    )


handler(
    "events",
    "PutPermission",
    grant(DRIFT_EVENTS, "events:DescribeEventBus", "events:PutPermission"),
)(merge_handler(_bus_policy, _put_bus_policy))
