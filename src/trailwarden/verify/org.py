"""``verify --org``: coverage proved per account.

For every ACTIVE account of the organisation: which trail covers it, and whether a log file for
it has landed in each expected Region under ``BUCKET/[PREFIX/]AWSLogs/o-ORGID/ACCOUNT/CloudTrail/
REGION/`` since the organisation trail's StartLoggingTime; then the organisation-level checks
(``verify.org_checks``). Nothing is read in the member accounts: the account list, the SCP and
the pack with the caller's own credentials (the management account or a delegated
administrator), the organisation trail in its owner account, the rule in the management account,
the files in the bucket's account (the log-archive account when the plan names one); an account
other than the caller's is reached through AssumeRole like everywhere else.

Each account costs one ListObjectsV2 call per Region (one bounded page that starts at
StartLoggingTime's key, ``trailstore.layout.logs_since``), with up to ``max_workers`` listings in
flight, so thousands of accounts take as many calls and a few round trips each.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trailwarden.apply.context import CountingAccess
from trailwarden.concurrency import Pool, ordered
from trailwarden.errors import UsageError
from trailwarden.plan.model import OrgPlan, Plan
from trailwarden.trailstore import layout
from trailwarden.trailstore.s3 import S3Source, access_clients
from trailwarden.verify import poll
from trailwarden.verify.checks import Check, Status
from trailwarden.verify.org_checks import (
    ORGANISATION,
    READ_ERRORS,
    OrgChecks,
    run_check,
    unreadable,
)

VERIFY_ORG_SCHEMA = "trailwarden.verify-org/1"
# Keys asked for in an account-Region's one listing: enough to step over a stray object or two
# sorted among the log files, small enough that the answer stays a few hundred bytes.
PROBE_KEYS = 8
COVERAGE = "log files under the organisation prefix"
NO_ORGANISATION = "the plan has no organization section: make one with plan --org-trail"


@dataclass(frozen=True)
class Member:
    account: str
    name: str
    joined: datetime | None


@dataclass
class Coverage:
    """One account's row: the trail that covers it and the Regions its files arrived in."""

    member: Member
    covered_by: str
    expected: list[str]
    with_files: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # Region -> error
    scp: str = ""
    pack: str | None = None
    api_calls: int = 0
    note: str = ""
    status: Status = "NOT_AVAILABLE"
    evidence: str = ""

    @property
    def check(self) -> Check:
        return Check(self.member.account, COVERAGE, self.status, self.evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.member.account,
            "name": self.member.name,
            "joined": self.member.joined.isoformat() if self.member.joined else None,
            "covered_by": self.covered_by,
            "status": self.status,
            "evidence": self.evidence,
            "note": self.note,
            "regions_expected": self.expected,
            "regions_with_files": self.with_files,
            "regions_unreadable": self.unreadable,
            "scp": self.scp,
            "conformance_pack": self.pack,
            "api_calls": self.api_calls,
        }


@dataclass
class OrgVerifyReport:
    checks: list[Check]  # the organisation-level checks
    accounts: list[Coverage]
    regions: list[str]
    notes: list[str] = field(default_factory=list)
    attempts: int = 1
    api_calls: dict[str, int] = field(default_factory=dict)  # by the account the call went to

    @property
    def all_checks(self) -> list[Check]:
        return self.checks + [c.check for c in self.accounts]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status == "PASS" for c in self.all_checks)

    def to_json(self) -> dict[str, Any]:
        counts = Counter(c.status for c in self.all_checks)
        return {
            "schema": VERIFY_ORG_SCHEMA,
            "ok": self.ok,
            "attempts": self.attempts,
            "regions": self.regions,
            "counts": {s: counts.get(s, 0) for s in ("PASS", "FAIL", "NOT_AVAILABLE")},
            "checks": [{"account": c.account, **c.to_json()} for c in self.checks],
            "accounts": [c.to_json() for c in self.accounts],
            "notes": self.notes,
            "api_calls": {
                "by_account_called": self.api_calls,
                "per_member_account": {c.member.account: c.api_calls for c in self.accounts},
            },
        }


def organization_of(plan: Plan) -> OrgPlan:
    """The plan's organisation section; a plan without one is a one-line UsageError."""
    if plan.organization is None:
        raise UsageError(NO_ORGANISATION)
    return plan.organization


def list_members(organizations: Any, page_size: int | None = None) -> list[Member]:
    """Every ACTIVE account (ListAccounts, every page), with when it joined."""
    found: list[Member] = []
    config = {"PageSize": page_size} if page_size else {}
    for page in organizations.get_paginator("list_accounts").paginate(PaginationConfig=config):
        for account in page.get("Accounts", []):
            if account.get("Status", "ACTIVE") != "ACTIVE":
                continue
            joined = account.get("JoinedTimestamp")
            found.append(
                Member(
                    str(account["Id"]),
                    str(account.get("Name", "")),
                    joined if isinstance(joined, datetime) else None,
                )
            )
    return sorted(found, key=lambda m: m.account)


class OrgVerifier:
    """One round of ``verify --org``."""

    def __init__(
        self, access: CountingAccess, org: OrgPlan, regions: list[str], max_workers: int
    ) -> None:
        self.access = access
        self.org = org
        self.regions = regions
        self.max_workers = max_workers
        self.caller = access.caller_account()

    def clients(self, account: str, region: str, service: str) -> Any:
        return self.access.client(account, region, service)

    def run(self) -> OrgVerifyReport:
        org_checks = OrgChecks(self.clients, self.org, self.access.default_region, self.caller)
        members: list[Member] = []

        def listed() -> str:
            organizations = self.clients(self.caller, self.access.default_region, "organizations")
            members.extend(list_members(organizations))
            return f"{len(members)} ACTIVE account(s) (ListAccounts)"

        # The organisation-level reads do not wait for each other, nor for the listings: each
        # is a few sequential round trips, so side by side they cost the longest, not the sum.
        with Pool(4, "verify-org-checks") as side:
            trail = side.submit(org_checks.trail_checks)
            listing = side.submit(run_check, ORGANISATION, "organisation accounts listed", listed)
            archive = side.submit(self._archive)
            guardrail = side.submit(org_checks.guardrail_checks)
            checks = [*trail.result(), listing.result()]
            drift = side.submit(org_checks.drift_checks, [m.account for m in members])
            archive_check, source = archive.result()
            rows = [
                Coverage(
                    m,
                    covered_by=org_checks.trail.name if org_checks.trail.is_org_trail else "none",
                    expected=list(self.regions),
                )
                for m in members
            ]
            self._prove(rows, org_checks, archive_check, source)
            checks += [archive_check] if archive_check is not None else []
            checks += guardrail.result() + drift.result()
        for row in rows:
            row.scp = org_checks.scp_column(row.member.account)
            row.pack = org_checks.pack_status.get(row.member.account)
        return OrgVerifyReport(checks, rows, list(self.regions), sorted(org_checks.notes))

    @property
    def archive_account(self) -> str:
        return self.org.log_archive_account or self.org.management_account

    def _archive(self) -> tuple[Check | None, S3Source]:
        """The bucket's reader; with a log-archive account, a check that its role is assumed."""
        account = self.archive_account
        source = S3Source(access_clients(self.access, account), 0)
        if self.org.log_archive_account is None:
            return None, source

        def assumed() -> str:
            self.access.credentials(account)
            how = "own credentials" if account == self.caller else "AssumeRole"
            return f"log-archive account {account} reached ({how}), bucket {self.org.bucket}"

        return run_check(ORGANISATION, "log-archive account readable", assumed), source

    def _prove(
        self,
        rows: list[Coverage],
        org_checks: OrgChecks,
        archive_check: Check | None,
        source: S3Source,
    ) -> None:
        trail = org_checks.trail
        blocked: tuple[Status, str] | None = None
        if trail.started is None:
            # Not read is not the same as not logging: only the second is a finding.
            blocked = (
                "NOT_AVAILABLE" if trail.unread else "FAIL",
                f"no file can be proved: {trail.why_not}",
            )
        elif archive_check is not None and archive_check.status != "PASS":
            blocked = (
                "NOT_AVAILABLE",
                f"log-archive account {self.archive_account} not readable: "
                f"{archive_check.evidence}",
            )
        if blocked is not None:
            for row in rows:
                row.status, row.evidence = blocked
            return
        assert trail.started is not None
        started = trail.started
        for row in rows:
            # StartLoggingTime has whole seconds: an account that joined in that second did
            # not join after it.
            joined = row.member.joined
            if joined is not None and joined.replace(microsecond=0) > started:
                row.note = "joined after the trail started logging: covered without any step"
        by_account = {row.member.account: row for row in rows}
        probes = ((row.member.account, region) for row in rows for region in self.regions)

        def probe(item: tuple[str, str]) -> bool:
            account, region = item
            folder, start_after = layout.logs_since(
                trail.prefix, self.org.org_id, account, region, started
            )
            keys = source.first_keys(self.org.bucket, folder, start_after, PROBE_KEYS)
            return any(_is_log_since(k, account, region, started) for k in keys)

        with Pool(self.max_workers, "verify-org") as pool:
            for (account, region), future in ordered(pool, probe, probes, self.max_workers * 4):
                row = by_account[account]
                row.api_calls += 1
                try:
                    if future.result():
                        row.with_files.append(region)
                except READ_ERRORS as exc:
                    row.unreadable[region] = unreadable(exc)
        for row in rows:
            _judge(row, self._where(trail.prefix, row.member.account), started)

    def _where(self, prefix: str, account: str) -> str:
        root = layout.root(prefix, self.org.org_id)
        return f"s3://{self.org.bucket}/{root}{account}/{layout.LOGS}/REGION/"


def _is_log_since(key: str, account: str, region: str, started: datetime) -> bool:
    info = layout.parse_key(key)
    if info is None or info.kind != layout.LOGS:
        return False
    if info.account != account or info.region != region:
        return False
    minute = started.replace(second=0, microsecond=0)
    return info.delivered is not None and info.delivered >= minute


def _judge(row: Coverage, where: str, started: datetime) -> None:
    since = layout.fmt_display(started)
    missing = [r for r in row.expected if r not in row.with_files and r not in row.unreadable]
    if missing:
        row.status = "FAIL"
        row.evidence = f"no log file since {since} in {', '.join(missing)} under {where}"
        if row.unreadable:
            row.evidence += f"; unreadable: {', '.join(row.unreadable)}"
    elif row.unreadable:
        region, error = next(iter(row.unreadable.items()))
        row.status = "NOT_AVAILABLE"
        row.evidence = f"{', '.join(row.unreadable)} not read ({region}: {error})"
    else:
        row.status = "PASS"
        row.evidence = (
            f"a log file since {since} in each of {len(row.expected)} Region(s) under {where}"
        )


def verify_org(
    access: CountingAccess,
    plan: Plan,
    *,
    regions: list[str] | None = None,
    max_workers: int = 32,
    wait_s: float = 0.0,
    interval_s: float = 30.0,
    on_attempt: Callable[[list[Check]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> OrgVerifyReport:
    """Every check; with ``wait_s``, again every ``interval_s`` until all pass or time is up.
    Regions: ``regions``, else the plan's, else the organisation trail's home Region."""
    org = organization_of(plan)
    expected = regions or org.regions or [org.home_region]
    before = access.snapshot_counts()

    def once() -> OrgVerifyReport:
        report = OrgVerifier(access, org, list(expected), max_workers).run()
        if on_attempt is not None:
            on_attempt(report.all_checks)
        return report

    report, attempts = poll(once, lambda r: r.ok, wait_s, interval_s, sleep, clock)
    report.attempts = attempts
    report.api_calls = access.per_account(before)
    return report
