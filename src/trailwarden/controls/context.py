"""One account's slice of the snapshot, with the lookups every control needs (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from trailwarden.arns import partition_for_region
from trailwarden.controls.causes import MissingTrail, RegionNotScanned, RootCause, TrailCause
from trailwarden.controls.model import ControlMeta, ControlParams, Finding, Gap, Status, Verdict
from trailwarden.snapshot.model import (
    ACCOUNT_TIMEOUT,
    AccountScan,
    ApiError,
    Bucket,
    KmsKey,
    LogGroup,
    RegionScan,
    RegionState,
    Snapshot,
    Trail,
    TrailClass,
)


@dataclass
class AccountView:
    snapshot: Snapshot
    scan: AccountScan
    regions: list[RegionScan] = field(default_factory=list)
    params: ControlParams = field(default_factory=ControlParams)
    # The snapshot's errors of this account (None: picked out of them here). Every unknown's
    # reason looks them up: scanning the whole list each time made a thousand accounts with one
    # error per Region (17,000 errors) cost minutes of evaluation.
    own_errors: list[ApiError] | None = None

    @classmethod
    def all(cls, snapshot: Snapshot, params: ControlParams | None = None) -> list[AccountView]:
        params = params or ControlParams()
        errors: dict[str, list[ApiError]] = {a.account: [] for a in snapshot.accounts}
        for error in snapshot.errors:
            errors.get(error.account, []).append(error)
        views = {
            a.account: cls(snapshot, a, params=params, own_errors=errors[a.account])
            for a in snapshot.accounts
        }
        for region in snapshot.regions:
            if region.account in views:
                views[region.account].regions.append(region)
        return list(views.values())

    @property
    def account(self) -> str:
        return self.scan.account

    @property
    def partition(self) -> str:
        """The partition of the account's Regions (one scan never spans two partitions)."""
        return partition_for_region(self.regions[0].region if self.regions else "")

    @property
    def scanned_regions(self) -> list[RegionScan]:
        return [r for r in self.regions if r.state != RegionState.NOT_OPTED_IN]

    def __post_init__(self) -> None:
        if self.own_errors is None:
            self.own_errors = [e for e in self.snapshot.errors if e.account == self.account]
        self._errors: list[ApiError] = self.own_errors
        self._trails = {t.arn: t for t in self.scan.trails}
        # One object for each repeated text and root cause of the account's findings: a
        # thousand accounts' scan has ~280,000 findings, most of them repeating the account's
        # resource, an organisation trail's cause and the same reason in every Region.
        self._texts: dict[str, str] = {}
        self._causes: dict[tuple[RootCause, str | None], RootCause] = {}

    def trail(self, arn: str) -> Trail | None:
        return self._trails.get(arn)

    def visible_trails(self, region: RegionScan) -> list[Trail]:
        """Every trail DescribeTrails showed in the Region (shadows and org trails included)."""
        found = (self.trail(s.arn) for s in region.trails)
        return [t for t in found if t is not None]

    def owned_trails(self) -> list[Trail]:
        return [t for t in self.scan.trails if t.account == self.account]

    def foreign_trails(self) -> list[Trail]:
        return [t for t in self.scan.trails if t.account != self.account]

    def classification(self, region: RegionScan, arn: str) -> TrailClass | None:
        return next((s.classification for s in region.trails if s.arn == arn), None)

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.scan.buckets if b.name == name), None)

    def key(self, arn: str) -> KmsKey | None:
        return next((k for k in self.scan.kms_keys if k.arn == arn), None)

    def log_group(self, arn: str) -> LogGroup | None:
        return next((g for g in self.scan.log_groups if g.arn == arn), None)

    def errors(self, region: str | None = None, prefix: str = "") -> list[ApiError]:
        return [
            e
            for e in self._errors
            if (region is None or e.region == region) and e.operation.startswith(prefix)
        ]

    def why(self, region: str | None, *operations: str) -> str:
        """The recorded failures behind an unknown, for its reason: `` (cloudtrail:GetTrailStatus:
        AccessDenied)``. Operations match by prefix; ``region`` None matches any Region."""
        found = [e for e in self.errors(region) if e.operation.startswith(operations)]
        # An account the scan gave up on (--account-timeout): that explains every unknown in it.
        late = [e.error for e in self.errors() if e.code == ACCOUNT_TIMEOUT]
        if not found and not late:
            return " (no error recorded)"
        texts = dict.fromkeys(f"{e.operation}: {e.code or e.error[:80]}" for e in found)
        return f" ({'; '.join([*late, *list(texts)[:3]])})"

    def unlisted_regions(self, meta: ControlMeta) -> Iterator[Finding]:
        """Per-trail controls: a Region whose DescribeTrails failed may hold trails homed there
        that nothing else shows, so it is a scope that could not be read, never silence."""
        for region in self.scanned_regions:
            if region.state == RegionState.ERROR:
                yield self.not_scanned(
                    meta,
                    region.region,
                    "DescribeTrails failed in this Region: trails homed here are unknown"
                    + self.why(region.region, "cloudtrail:DescribeTrails"),
                )

    def finding(
        self,
        meta: ControlMeta,
        status: Status,
        *,
        region: str,
        resource: str,
        reason: str,
        root_cause: RootCause,
        gap: Gap | None = None,
    ) -> Finding:
        if (gap is None) == (status == Status.FAILED):
            # Grouping and fix texts rely on it: a FAILED finding says what is missing.
            raise ValueError(f"{meta.id} {status}: a gap goes with FAILED and only FAILED")
        texts = self._texts
        # TrailCause compares by ARN alone: its owner is part of the key, so a shared cause is
        # always the very one the control named.
        key = (root_cause, getattr(root_cause, "owner", None))
        return Finding(
            control=meta.id,
            status=status,
            severity=meta.severity,
            account=self.account,
            region=region,
            resource_type=meta.resource_type,
            resource=texts.setdefault(resource, resource),
            reason=texts.setdefault(reason, reason),
            gap=gap,
            root_cause=self._causes.setdefault(key, root_cause),
            remediation=meta.remediation.detail,
            compliance=meta.compliance,
        )

    def graded(
        self,
        meta: ControlMeta,
        verdict: Verdict,
        *,
        region: str,
        resource: str,
        root_cause: RootCause,
        reads: tuple[str, ...] = (),
        reads_region: str | None = None,
    ) -> Finding:
        """A check's verdict as a finding; an unknown's reason names the recorded failures of the
        ``reads`` behind it (``why``), so every control explains NOT_AVAILABLE the same way."""
        status, reason, gap = verdict
        if status == Status.NOT_AVAILABLE and reads:
            reason += self.why(reads_region, *reads)
        return self.finding(
            meta,
            status,
            region=region,
            resource=resource,
            reason=reason,
            root_cause=root_cause,
            gap=gap,
        )

    def not_scanned(
        self, meta: ControlMeta, region: str, reason: str, status: Status = Status.NOT_AVAILABLE
    ) -> Finding:
        """Nothing is known in the Region, so never PASSED (NO_DATA where that is by design)."""
        return self.finding(
            meta,
            status,
            region=region,
            resource=account_resource(self.account),
            reason=reason,
            root_cause=RegionNotScanned(self.account, region),
        )

    def unlisted(self, meta: ControlMeta, region: str) -> Finding:
        return self.not_scanned(
            meta,
            region,
            "DescribeTrails failed in this Region" + self.why(region, "cloudtrail:DescribeTrails"),
        )


def trail_cause(trail: Trail) -> TrailCause:
    return TrailCause(trail.arn, owner=trail.account)


def account_resource(account: str) -> str:
    return f"AWS::::Account:{account}"


def repair_target(view: AccountView, trails: list[Trail]) -> RootCause:
    """The trail whose single change would clear the account-level control: prefer our own
    multi-Region trail, then any own trail, then an organisation trail, else a missing trail."""
    owned = view.owned_trails()  # also those homed in other Regions: one can be made multi-Region
    for pool in ([t for t in owned if t.is_multi_region], owned, trails):
        if pool:
            return trail_cause(sorted(pool, key=lambda t: t.arn)[0])
    return MissingTrail(view.account)
