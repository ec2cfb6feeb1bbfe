"""Controls: owns the verdicts - findings, root causes, gaps and signals - from a snapshot.
Imports only the snapshot model, filterpattern and its own modules; never boto3, never report/.

Each control is a pure function in one registry (registry.py) with its metadata; model.py and
causes.py are the leaf data types every other module here (and report/) imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trailwarden.controls import buckets as _buckets  # noqa: F401  (registers controls)
from trailwarden.controls import cloudtrail as _cloudtrail  # noqa: F401
from trailwarden.controls import cloudwatch as _cloudwatch  # noqa: F401
from trailwarden.controls.causes import RegionNotScanned, RootCause, UnreachableAccount
from trailwarden.controls.context import AccountView, account_resource
from trailwarden.controls.model import (
    ControlMeta,
    ControlParams,
    Finding,
    Gap,
    Severity,
    Signal,
    Status,
)
from trailwarden.controls.registry import REGISTRY, control_sort_key
from trailwarden.controls.signals import account_signals
from trailwarden.snapshot.model import Snapshot

__all__ = [
    "REGISTRY",
    "ControlParams",
    "Evaluation",
    "Finding",
    "Gap",
    "RootCause",
    "Severity",
    "Signal",
    "Status",
    "evaluate",
]


@dataclass
class Evaluation:
    snapshot: Snapshot
    findings: list[Finding] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    def failed_at_or_above(self, threshold: Severity) -> list[Finding]:
        return [
            f for f in self.findings if f.status == Status.FAILED and f.severity.at_least(threshold)
        ]


def evaluate(
    snapshot: Snapshot, only: list[str] | None = None, params: ControlParams | None = None
) -> Evaluation:
    result = Evaluation(snapshot)
    ids = sorted(REGISTRY, key=control_sort_key)
    for view in AccountView.all(snapshot, params):
        for control_id in ids:
            if only and control_id not in only:
                continue
            control = REGISTRY[control_id]
            if not view.scan.reachable:
                # Nothing could be read: every control is unknown there, never PASSED.
                result.findings.append(
                    view.finding(
                        control.meta,
                        Status.NOT_AVAILABLE,
                        region="-",
                        resource=account_resource(view.account),
                        reason="the account could not be reached"
                        + view.why(None, "sts:AssumeRole"),
                        root_cause=UnreachableAccount(view.account),
                    )
                )
                continue
            if view.errors(prefix="ec2:DescribeRegions"):
                result.findings.append(_regions_unlisted(view, control.meta))
            result.findings.extend(control.evaluate(view, control.meta))
        result.signals.extend(account_signals(view))
    return result


def _regions_unlisted(view: AccountView, meta: ControlMeta) -> Finding:
    """DescribeRegions failed, so only the default Region was scanned: every other Region of the
    account is a scope that could not be read, and says so once per control."""
    scanned = ", ".join(r.region for r in view.regions) or "none"
    return view.finding(
        meta,
        Status.NOT_AVAILABLE,
        region="-",
        resource=account_resource(view.account),
        reason=f"could not list the account's Regions; only {scanned} scanned"
        + view.why(None, "ec2:DescribeRegions"),
        root_cause=RegionNotScanned(view.account, "-"),
    )
