"""Handlers for the organisation trail's own steps (``plan --org-trail``).

``organizations:EnableAWSServiceAccess`` turns on trusted access for a service principal (checked
with ListAWSServiceAccessForOrganization). ``cloudtrail:StopLogging`` retires a member's duplicate
trail: never a delete, and only once the organisation trail logs and a log file of that member has
landed under ``AWSLogs/o-ORGID/MEMBER/`` (docs/org.md#migration); until then the step fails with
one line and a rerun of apply tries again. The organisation trail itself goes through the trail
handlers (CreateTrail/UpdateTrail with ``IsOrganizationTrail``).
"""

from __future__ import annotations

from typing import Any

from trailwarden.apply.context import AccountContext
from trailwarden.apply.operations import State, handler, setting_handler
from trailwarden.plan.model import Step
from trailwarden.policies.permissions import LOG_BUCKETS, ORGANIZATION_TRAIL, TRAIL, grant


def _enabled_principals(ctx: AccountContext, step: Step) -> set[str]:
    orgs = ctx.client(step.region, "organizations")
    found: set[str] = set()
    for page in orgs.get_paginator("list_aws_service_access_for_organization").paginate():
        found.update(str(p["ServicePrincipal"]) for p in page.get("EnabledServicePrincipals", []))
    return found


def _trusted_access(ctx: AccountContext, step: Step) -> State:
    enabled = step.params["ServicePrincipal"] in _enabled_principals(ctx, step)
    return State.OK if enabled else State.MISSING


def _enable(ctx: AccountContext, step: Step) -> str:
    principal = step.params["ServicePrincipal"]
    ctx.client(step.region, "organizations").enable_aws_service_access(ServicePrincipal=principal)
    return f"enabled trusted access for {principal}"


handler(
    "organizations",
    "EnableAWSServiceAccess",
    grant(
        ORGANIZATION_TRAIL,
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:EnableAWSServiceAccess",
    ),
)(setting_handler(_trusted_access, _enable))


def _member_logging(ctx: AccountContext, step: Step) -> State:
    status = ctx.client(step.region, "cloudtrail").get_trail_status(Name=step.params["Name"])
    return State.DIFFERS if status.get("IsLogging") else State.OK


def _other(ctx: AccountContext, account: str, region: str, service: str) -> Any:
    return ctx.access.client(account, region, service)


def _stop(ctx: AccountContext, step: Step) -> str:
    p = step.params
    org_trail = _other(
        ctx, p["OrganizationTrailAccount"], p["OrganizationTrailRegion"], "cloudtrail"
    ).get_trail_status(Name=p["OrganizationTrail"])
    where = f"s3://{p['LogBucket']}/{p['MemberLogPrefix']}"
    if not org_trail.get("IsLogging"):
        raise RuntimeError(
            f"refusing to stop {p['Name']}: organisation trail {p['OrganizationTrail']} is not"
            " logging yet; rerun apply once it is"
        )
    listed = _other(ctx, p["LogBucketAccount"], p["LogBucketRegion"], "s3").list_objects_v2(
        Bucket=p["LogBucket"], Prefix=p["MemberLogPrefix"], MaxKeys=1
    )
    if not listed.get("KeyCount") and not listed.get("Contents"):
        raise RuntimeError(
            f"refusing to stop {p['Name']}: no log file of account {ctx.account} under {where}"
            " yet (the organisation trail delivers within about 15 minutes); rerun apply then"
        )
    ctx.client(step.region, "cloudtrail").stop_logging(Name=p["Name"])
    return f"stopped logging of {p['Name']} (not deleted; undo: StartLogging)"


handler(
    "cloudtrail",
    "StopLogging",
    grant(TRAIL, "cloudtrail:GetTrailStatus", "cloudtrail:StopLogging"),
    grant(LOG_BUCKETS, "s3:ListBucket"),  # ListObjectsV2 under the member's prefix
)(setting_handler(_member_logging, _stop))
