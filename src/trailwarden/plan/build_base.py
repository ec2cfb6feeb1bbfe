"""What the step builders share (pure): options, constants, ``StepBuilder.add``/``merge_step``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trailwarden.plan.baseline import Baseline
from trailwarden.plan.model import MERGE, Action, Step
from trailwarden.plan.repair import TrailChoice
from trailwarden.policies import merge_statements
from trailwarden.snapshot.model import AccountScan, LogGroup, Trail

CLOUDWATCH_CONTROLS = [f"CloudWatch.{n}" for n in range(1, 15)]
CREATE_TRAIL_CONTROLS = [f"CloudTrail.{n}" for n in (1, 2, 3, 4, 5, 9)]
TRAIL_FIELDS = (
    "S3BucketName",
    "S3KeyPrefix",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "EnableLogFileValidation",
    "KmsKeyId",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
    "IsOrganizationTrail",  # only in an organisation plan's parameters
)


@dataclass(frozen=True)
class PlanOptions:
    """``baseline``: the ``Baseline.from_options`` keyword arguments the user gave (no account)."""

    baseline: Mapping[str, Any] = field(default_factory=dict)
    allow_data_events: bool = False
    events_per_month: int = 300_000
    accounts: tuple[str, ...] | None = None  # None: every reachable account in the snapshot


def log_group_of(scan: AccountScan, baseline: Baseline) -> LogGroup | None:
    """The baseline's log group as the snapshot saw it (only known when a trail uses it)."""
    return next(
        (
            g
            for g in scan.log_groups
            if g.name == baseline.cloudwatch.log_group
            and g.region == baseline.trail.home_region
            and g.account == scan.account
        ),
        None,
    )


class StepBuilder:
    """Accumulates one account's steps; the mixins add them in the order of
    docs/aws-facts/trail-setup.md#setup-order."""

    def __init__(
        self, scan: AccountScan, baseline: Baseline, choice: TrailChoice, options: PlanOptions
    ) -> None:
        self.scan = scan
        self.b = baseline
        self.trail: Trail | None = choice.trail
        self.bucket_owned = choice.bucket_owned
        self.options = options
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.home = baseline.trail.home_region
        self.group = log_group_of(scan, baseline)

    def add(
        self,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        action: Action,
        reason: str,
        controls: list[str],
        target: str,
        covered_by: str | None = None,
    ) -> None:
        self.steps.append(
            Step(
                id=f"{self.scan.account}:{len(self.steps) + 1:02d}",
                account=self.scan.account,
                region=region,
                action=action,
                service=service,
                operation=operation,
                params=params,
                reason=reason,
                controls=controls,
                target=target,
                covered_by=covered_by,
            )
        )

    def merge_step(
        self,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        existing: dict[str, Any] | None,
        required: list[dict[str, Any]],
        what: str,
        controls: list[str],
        target: str,
    ) -> None:
        """A read-modify-write of a policy: the live document gets our statements merged in."""
        sids = ", ".join(str(s["Sid"]) for s in required)
        action: Action = "update"
        if existing is not None:
            action = "update" if merge_statements(existing or None, required).changed else "noop"
        reason = f"merge statements {sids} into {what}; every other statement is kept"
        self.add(
            region,
            service,
            operation,
            {**params, MERGE: required},
            action,
            reason,
            controls,
            target,
        )
