"""The organisation trail's prerequisites (pure): each one line, fixed by a step where trailwarden
can, or said with its fix where it cannot (docs/org.md#prerequisites).

* all features enabled (not consolidated billing only): fixed in the console by a person;
* the caller is the management account or a CloudTrail delegated administrator (the collector
  already refused anyone else);
* trusted access for ``cloudtrail.amazonaws.com`` (and for AWS Config's two principals when drift
  detection is planned): ``organizations:EnableAWSServiceAccess``, a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trailwarden.plan.model import Step
from trailwarden.snapshot.model import Organization

CLOUDTRAIL = "cloudtrail.amazonaws.com"
CONFIG_PRINCIPALS = ("config.amazonaws.com", "config-multiaccountsetup.amazonaws.com")


@dataclass
class Prerequisites:
    lines: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # cannot be fixed by a step
    steps: list[Step] = field(default_factory=list)


def check_prerequisites(
    org: Organization, home_region: str, role_name: str, drift: bool
) -> Prerequisites:
    found = Prerequisites()
    management = org.management_account_id
    if org.feature_set == "ALL":
        found.lines.append(f"ok: organisation {org.id} has all features enabled")
    else:
        found.blocked.append(
            f"organisation {org.id} has {org.feature_set or 'unknown'} features only: an"
            " organisation trail needs all features; enable all features in Organizations"
            " (console: AWS Organizations > Settings) then rerun"
        )
    admins = org.cloudtrail_delegated_admins
    if org.caller_is_management:
        found.lines.append(f"ok: running from the management account {management}")
    else:
        found.lines.append(
            f"ok: running from CloudTrail delegated administrator {org.caller_account_id}; the"
            f" trail is owned by the management account {management} and built there through"
            f" role {role_name}"
        )
    if admins is None:
        found.lines.append(
            "unknown: CloudTrail's delegated administrators could not be read (see the scan's"
            " errors); trailwarden builds from the management account either way"
        )
    else:
        others = [a for a in admins if a != org.caller_account_id]
        if others:
            found.lines.append(
                f"note: CloudTrail delegated administrator {', '.join(others)} is not the caller;"
                " it may change this trail too (the guardrail's approved roles should include"
                " its role)"
            )
    principals = [CLOUDTRAIL, *(CONFIG_PRINCIPALS if drift else ())]
    for principal in principals:
        found.steps.append(_trusted_access_step(org, principal, home_region))
        enabled = org.service_access is not None and principal in org.service_access
        if enabled:
            found.lines.append(f"ok: trusted access for {principal} is enabled")
        elif org.service_access is None:
            found.lines.append(
                f"unknown: trusted access could not be read; a step enables {principal}"
                " (nothing changes if it already is)"
            )
        else:
            found.lines.append(f"fix: trusted access for {principal} is off; a step enables it")
    return found


def _trusted_access_step(org: Organization, principal: str, region: str) -> Step:
    enabled = org.service_access is not None and principal in org.service_access
    why = (
        "CloudTrail creates its service-linked role in every member and delivers their events"
        if principal == CLOUDTRAIL
        else "AWS Config deploys the organisation's rules and conformance pack to every member"
    )
    return Step(
        id=f"{org.management_account_id}:00",  # renumbered with the plan's other steps
        account=org.management_account_id,
        region=region,
        action="noop" if enabled else "update",
        service="organizations",
        operation="EnableAWSServiceAccess",
        params={"ServicePrincipal": principal},
        reason=f"trusted access for {principal}: {why} (undo: DisableAWSServiceAccess)",
        controls=["CloudTrail.1"] if principal == CLOUDTRAIL else [],
        target=principal,
    )
