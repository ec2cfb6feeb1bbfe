"""Handlers for the guardrail SCP: enable SCPs on the root, create/update the policy, attach it.

The policy is found by name (``ListPolicies``). Its live content equal to ours reads ``OK``;
different reads ``DIFFERS``, and the write updates it only when it carries trailwarden's tag
(``managed-by=trailwarden``, set when trailwarden created it): a policy of the same name someone
else made is never overwritten, the step fails with a one-line reason instead. ``AttachPolicy``
reads the policy's targets (``ListTargetsForPolicy``); its ``PolicyId`` is the
``${scp:NAME}`` placeholder, resolved by name once the policy exists. ``EnablePolicyType``
finishes in the background: an ``AttachPolicy`` refused because the type is not enabled yet (or
because another organisation change is in progress) is retried, bounded (``apply.waiting``).
"""

from __future__ import annotations

import json
from typing import Any

from trailwarden.apply.context import AccountContext, UnresolvedReference
from trailwarden.apply.operations import State, _params, handler, setting_handler
from trailwarden.plan.model import Step
from trailwarden.policies.permissions import ORGANIZATION_GUARDRAIL, grant
from trailwarden.policies.scp import MANAGED_TAG, SCP_TYPE, compact

FIND_POLICY = grant(ORGANIZATION_GUARDRAIL, "organizations:ListPolicies")


def _orgs(ctx: AccountContext, step: Step) -> Any:
    return ctx.client(step.region, "organizations")


# --- EnablePolicyType -----------------------------------------------------------------------------


def _scp_enabled(ctx: AccountContext, step: Step) -> State:
    pages = _orgs(ctx, step).get_paginator("list_roots").paginate()
    for root in (r for page in pages for r in page.get("Roots", [])):
        if root.get("Id") == step.params["RootId"]:
            types = root.get("PolicyTypes") or []
            # PENDING_ENABLE: enabled a moment ago; enabling again would fail, not help.
            on = any(
                t.get("Type") == step.params["PolicyType"]
                and t.get("Status") in ("ENABLED", "PENDING_ENABLE")
                for t in types
            )
            return State.OK if on else State.MISSING
    raise RuntimeError(f"root {step.params['RootId']} is not this organisation's; plan again")


handler(
    "organizations",
    "EnablePolicyType",
    grant(ORGANIZATION_GUARDRAIL, "organizations:ListRoots", "organizations:EnablePolicyType"),
)(setting_handler(_scp_enabled))


# --- CreatePolicy / UpdatePolicy ------------------------------------------------------------------


def _live_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    """The live SCP named like ours: its summary and its document."""
    try:
        policy_id = ctx.scp_id(step.params["Name"])
    except UnresolvedReference:  # none of that name
        return None
    got = _orgs(ctx, step).describe_policy(PolicyId=policy_id)["Policy"]
    return {"Id": policy_id, "Content": json.loads(got.get("Content") or "{}")}


def _wanted(ctx: AccountContext, step: Step) -> dict[str, Any]:
    """The document with any ``${kms-alias:...}`` key resolved to the key's ARN."""
    document: dict[str, Any] = ctx.resolve(step.params["Content"])
    return document


def _policy_state(ctx: AccountContext, step: Step) -> State:
    live = _live_policy(ctx, step)
    if live is None:
        return State.MISSING
    return State.OK if live["Content"] == _wanted(ctx, step) else State.DIFFERS


def _ours(ctx: AccountContext, step: Step, policy_id: str) -> bool:
    pages = _orgs(ctx, step).get_paginator("list_tags_for_resource")
    tags = [t for page in pages.paginate(ResourceId=policy_id) for t in page.get("Tags", [])]
    return any(
        t.get("Key") == MANAGED_TAG["Key"] and t.get("Value") == MANAGED_TAG["Value"] for t in tags
    )


def _write_policy(ctx: AccountContext, step: Step) -> str:
    name = step.params["Name"]
    content = compact(_wanted(ctx, step))
    live = _live_policy(ctx, step)
    orgs = _orgs(ctx, step)
    if live is None:
        params = _params(ctx, step)
        params["Content"] = content
        created = orgs.create_policy(**params)["Policy"]["PolicySummary"]
        ctx.forget("scp")
        return f"created SCP {name} ({created['Id']})"
    if not _ours(ctx, step, live["Id"]):
        raise RuntimeError(
            f"an SCP named {name} ({live['Id']}) exists and is not trailwarden's (no"
            f" {MANAGED_TAG['Key']}={MANAGED_TAG['Value']} tag): trailwarden never overwrites"
            " it; rename or remove that policy, or give the guardrail another name"
        )
    orgs.update_policy(PolicyId=live["Id"], Content=content, Description=step.params["Description"])
    return f"updated SCP {name} ({live['Id']})"


GUARDRAIL_POLICY = (
    FIND_POLICY,
    grant(
        ORGANIZATION_GUARDRAIL,
        "organizations:DescribePolicy",
        "organizations:CreatePolicy",
        "organizations:TagResource",  # Tags on create
        "organizations:ListTagsForResource",
        "organizations:UpdatePolicy",
    ),
)
# A CreatePolicy step finding the policy made meanwhile updates it (if ours), and the reverse.
handler("organizations", "CreatePolicy", *GUARDRAIL_POLICY)(
    setting_handler(_policy_state, _write_policy)
)
handler("organizations", "UpdatePolicy", *GUARDRAIL_POLICY)(
    setting_handler(_policy_state, _write_policy)
)


# --- AttachPolicy ---------------------------------------------------------------------------------


def _attached(ctx: AccountContext, step: Step) -> State:
    policy_id = ctx.resolve(step.params["PolicyId"])  # UnresolvedReference: MISSING
    pages = _orgs(ctx, step).get_paginator("list_targets_for_policy")
    targets = {
        t["TargetId"] for page in pages.paginate(PolicyId=policy_id) for t in page["Targets"]
    }
    return State.OK if step.params["TargetId"] in targets else State.MISSING


# "Not yet" answers to AttachPolicy (docs/aws-facts/scp.md#pending): the policy type is still
# being enabled on the root (EnablePolicyType finishes in the background), or another change to
# the organisation is in progress. Every other error fails the step at once.
ATTACH_NOT_YET = {
    "PolicyTypeNotEnabledException": f"{SCP_TYPE} to be enabled on the root (ListRoots shows"
    " PENDING_ENABLE until it is)",
    "ConcurrentModificationException": "another change to the organisation to finish",
}


def _attach(ctx: AccountContext, step: Step) -> str:
    params = _params(ctx, step)
    orgs = _orgs(ctx, step)
    not_yet = {
        code: f"{what} before attaching SCP {params['PolicyId']} to {params['TargetId']}"
        for code, what in ATTACH_NOT_YET.items()
    }
    ctx.patience.retry(lambda: orgs.attach_policy(**params), not_yet)
    return f"attached SCP {params['PolicyId']} to {params['TargetId']}"


handler(
    "organizations",
    "AttachPolicy",
    FIND_POLICY,
    grant(
        ORGANIZATION_GUARDRAIL, "organizations:ListTargetsForPolicy", "organizations:AttachPolicy"
    ),
)(setting_handler(_attached, _attach))
