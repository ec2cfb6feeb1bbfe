"""Organisation coverage from one evaluation (``scan --org``): each account's worst status per
control, and the accounts whose CloudTrail.1 rests only on a trail of their own (pure).

"Worst over Regions": a control fails for an account if it fails anywhere, is unknown if nothing
failed but a read did not decide, and passes only where every graded Region passed. NO_DATA
(Security Hub grades nothing there by design) never hides a verdict from another Region.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trailwarden.controls.cloudtrail import meets_cloudtrail_1
from trailwarden.controls.context import AccountView
from trailwarden.controls.model import Finding, Status
from trailwarden.controls.registry import REGISTRY, control_sort_key
from trailwarden.snapshot.model import RegionState, Snapshot

# Worst first: the order in which a status wins over the others for one account and control.
SEVERITY_ORDER = (
    Status.FAILED,
    Status.NOT_AVAILABLE,
    Status.WARNING,
    Status.PASSED,
    Status.NO_DATA,
)
CT1 = "CloudTrail.1"


def worst(statuses: Iterable[Status]) -> Status | None:
    """The worst of the statuses; None when there is none (the control was not evaluated)."""
    found = set(statuses)
    return next((s for s in SEVERITY_ORDER if s in found), None)


@dataclass(frozen=True)
class AccountRow:
    account: str
    name: str
    statuses: dict[str, Status | None]  # control id -> worst status over Regions


@dataclass(frozen=True)
class OwnTrailOnly:
    """An account whose CloudTrail.1 passes only through trails it owns: no organisation trail
    that meets CloudTrail.1 covers it there, so deleting or stopping its own trail loses it."""

    account: str
    regions: list[str]
    trails: list[str]  # the account's own trail ARNs that carry it


def control_ids(findings: Sequence[Finding]) -> list[str]:
    """Every registered control, plus any other the findings name, in report order."""
    ids = set(REGISTRY) | {f.control for f in findings}
    return sorted(ids, key=control_sort_key)


def account_matrix(snapshot: Snapshot, findings: Sequence[Finding]) -> list[AccountRow]:
    seen: dict[tuple[str, str], set[Status]] = {}
    for f in findings:
        seen.setdefault((f.account, f.control), set()).add(f.status)
    ids = control_ids(findings)
    return [
        AccountRow(a.account, a.name, {c: worst(seen.get((a.account, c), ())) for c in ids})
        for a in snapshot.accounts
    ]


def own_trail_only(snapshot: Snapshot, findings: Sequence[Finding]) -> list[OwnTrailOnly]:
    passed = {
        (f.account, f.region) for f in findings if f.control == CT1 and f.status == Status.PASSED
    }
    out = []
    for view in AccountView.all(snapshot):
        regions: list[str] = []
        trails: set[str] = set()
        for region in view.scanned_regions:
            if region.state != RegionState.SCANNED or (view.account, region.region) not in passed:
                continue
            carrying = [t for t in view.visible_trails(region) if meets_cloudtrail_1(t)]
            if carrying and not any(t.is_organization_trail for t in carrying):
                regions.append(region.region)
                trails.update(t.arn for t in carrying if t.account == view.account)
        if regions:
            out.append(OwnTrailOnly(view.account, sorted(regions), sorted(trails)))
    return out
