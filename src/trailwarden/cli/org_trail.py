"""``plan --org-trail``: its options and the organisation flow of ``trailwarden plan``.

The scan runs with ``--org`` (the organisation's facts are read from the caller's account); a
caller that is not the management account or a CloudTrail delegated administrator, or no
organisation at all, ends the command with one line saying what is needed. The log-archive
account is reached once before planning, so a role that cannot be assumed is said now, not half
way through apply.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trailwarden.cli.options import option_group, split_list
from trailwarden.errors import AccessError, UsageError

if TYPE_CHECKING:
    from trailwarden.apply import CountingAccess
    from trailwarden.plan.model import Plan
    from trailwarden.plan.org.build import OrgPlanOptions
    from trailwarden.plan.steps import PlanOptions
    from trailwarden.snapshot import Snapshot

# Organizations ids: a root is r-<4-32>, an OU ou-<root part 4-32>-<8-32> (lower case, digits).
TARGET_RE = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})$")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")


def _opt(flag: str, text: str) -> Any:
    return typer.Option(flag, help=text)


@option_group
@dataclasses.dataclass(frozen=True)
class OrgTrailArgs:
    """What ``plan --org-trail`` takes; every option but the first needs it."""

    org_trail: Annotated[
        bool,
        _opt(
            "--org-trail",
            "Plan one organisation trail from the management (or CloudTrail delegated-admin)"
            " account, with its guardrail SCP and drift rules.",
        ),
    ] = False
    log_archive_account: Annotated[
        str | None,
        _opt("--log-archive-account", "Put the bucket and key in this account (Control Tower)."),
    ] = None
    retire_duplicate_trails: Annotated[
        bool,
        _opt(
            "--retire-duplicate-trails",
            "Stop logging members' trails the organisation trail duplicates (never deleted).",
        ),
    ] = False
    approved_roles: Annotated[
        list[str],
        _opt("--approved-role", "ARN pattern the guardrail SCP exempts (repeatable)."),
    ] = dataclasses.field(default_factory=list)
    target_ous: Annotated[
        list[str] | None,
        _opt("--target-ous", "Attach the SCP to these OUs or root (repeatable, or commas)."),
    ] = None
    no_guardrail: Annotated[bool, _opt("--no-guardrail", "Plan no guardrail SCP.")] = False
    no_drift: Annotated[bool, _opt("--no-drift", "Plan no Config/EventBridge drift rules.")] = False

    def given_without_org_trail(self) -> str | None:
        """The first option that needs ``--org-trail``, as the user spelt it."""
        checks = [
            ("--log-archive-account", self.log_archive_account is not None),
            ("--retire-duplicate-trails", self.retire_duplicate_trails),
            ("--approved-role", bool(self.approved_roles)),
            ("--target-ous", bool(self.target_ous)),
            ("--no-guardrail", self.no_guardrail),
            ("--no-drift", self.no_drift),
        ]
        return next((flag for flag, given in checks if given), None)

    def check(self) -> None:
        if not self.org_trail:
            flag = self.given_without_org_trail()
            if flag is not None:
                raise UsageError(f"{flag} only applies with --org-trail")
            return
        account = self.log_archive_account
        if account is not None and not ACCOUNT_RE.match(account):
            raise UsageError(f"--log-archive-account: {account!r} is not a 12-digit AWS account ID")
        for target in self.targets():
            if not TARGET_RE.match(target):
                raise UsageError(
                    f"--target-ous: {target!r} is not an OU id (ou-xxxx-xxxxxxxx) or a root id"
                    " (r-xxxx)"
                )
        if self.no_guardrail and (self.approved_roles or self.target_ous):
            flag = "--approved-role" if self.approved_roles else "--target-ous"
            raise UsageError(f"{flag} shapes the guardrail SCP, which --no-guardrail leaves out")

    def targets(self) -> list[str]:
        return split_list(self.target_ous, "target-ous") or []

    def options(self, plan: PlanOptions, role_name: str) -> OrgPlanOptions:
        from trailwarden.plan.org.build import OrgPlanOptions
        from trailwarden.plan.org.context import DriftOptions, GuardrailOptions

        return OrgPlanOptions(
            plan=plan,
            log_archive_account=self.log_archive_account,
            retire_duplicate_trails=self.retire_duplicate_trails,
            guardrail=GuardrailOptions(
                enabled=not self.no_guardrail,
                approved_roles=tuple(self.approved_roles),
                target_ous=tuple(self.targets()),
            ),
            drift=DriftOptions(enabled=not self.no_drift),
            role_name=role_name,
        )


def require_organization(snapshot: Snapshot) -> None:
    """One line and exit 2 when the snapshot holds no organisation to plan for."""
    if snapshot.organization is not None:
        return
    from trailwarden.collect.organization import organisation_error

    reason = organisation_error(snapshot.errors)
    raise AccessError(
        reason
        or "the snapshot has no organisation: scan with --org from the management account or"
        " a CloudTrail delegated administrator"
    )


def reach_log_archive(access: CountingAccess, account: str | None, role_name: str) -> None:
    """The log-archive account's role, assumed now: a role that cannot be is said at plan time."""
    if account is None:
        return
    try:
        access.credentials(account)
    except AccessError as exc:
        cause = exc.__cause__ or exc
        raise AccessError(
            f"--log-archive-account {account} cannot be assumed through role {role_name}"
            f" ({' '.join(str(cause).split())}); create the role there or pass --role-name"
        ) from None


def org_plan(access: CountingAccess | None, snapshot: Snapshot, options: OrgPlanOptions) -> Plan:
    """Build the organisation's plan (``plan`` then checks it against live AWS, as any plan)."""
    from trailwarden.plan.org.build import build_org_plan

    require_organization(snapshot)
    if access is not None:
        reach_log_archive(access, options.log_archive_account, options.role_name)
    return build_org_plan(snapshot, options)


def blocked(plan: Plan) -> None:
    """Exit 2 with the first prerequisite trailwarden cannot fix (the plan shows them all)."""
    if plan.organization is not None and plan.organization.blocked:
        raise AccessError(plan.organization.blocked[0])
