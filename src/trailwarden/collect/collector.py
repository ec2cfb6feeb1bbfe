"""The scan's collection: accounts -> Regions -> trails -> per-trail details, all in one pool.

Every call that fails is recorded (account, Region, operation, error) and leaves its field ``None``
(unknown); the scan always completes. Work fans out as follow-up tasks so the pool stays busy: an
account's Regions are listed, each Region's trails described, and once the last Region of an account
is done each distinct trail is read once, in its home Region, by ARN.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from trailwarden.arns import arn_account
from trailwarden.aws.accounts import organisation_accounts
from trailwarden.aws.errors import AWS_ERRORS
from trailwarden.aws.regions import enabled_regions
from trailwarden.aws.session import AwsAccess
from trailwarden.collect import details
from trailwarden.collect.organization import (
    OrganizationReader,
    organisation_error,
    recorder_errors,
    recording,
)
from trailwarden.collect.reads import ReadContext, declare
from trailwarden.concurrency import ProgressFn, TaskGroup
from trailwarden.errors import AccessError
from trailwarden.policies.permissions import SCAN_ORGANISATION
from trailwarden.snapshot.model import (
    AccountScan,
    EventDataStore,
    Organization,
    RegionScan,
    RegionState,
    Snapshot,
    Trail,
    TrailClass,
    TrailSighting,
)

LIST_ACCOUNTS = declare("organizations:ListAccounts", statement=SCAN_ORGANISATION)
ASSUME_ROLE = declare("sts:AssumeRole", statement=SCAN_ORGANISATION)
DESCRIBE_REGIONS = declare("ec2:DescribeRegions")
DESCRIBE_TRAILS = declare("cloudtrail:DescribeTrails")
LIST_EVENT_DATA_STORES = declare("cloudtrail:ListEventDataStores")
GET_EVENT_DATA_STORE = declare("cloudtrail:GetEventDataStore")


def classify(trail_arn: str, home_region: str, account: str, region: str) -> TrailClass:
    """owned-home / owned-shadow / org-foreign, from the ARN's account and the HomeRegion."""
    if arn_account(trail_arn) != account:
        return TrailClass.ORG_FOREIGN
    return TrailClass.OWNED_HOME if home_region == region else TrailClass.OWNED_SHADOW


def log_group_needs(account: str, trails: list[Trail]) -> dict[str, bool]:
    """Each log group the account's own trails deliver to, read once for what every one of them
    needs: the CloudWatch.x chain (filters, alarms, topics) if any of them is multi-Region. Read
    for whichever trail came first, a group shared with a single-Region trail lost its chain."""
    needs: dict[str, bool] = {}
    for trail in trails:
        arn = trail.cloudwatch_logs_log_group_arn
        if arn and arn_account(trail.arn) == account:
            needs[arn] = needs.get(arn, False) or trail.is_multi_region
    return needs


@dataclass(frozen=True)
class ScanOptions:
    accounts: list[str] | None = None  # None: the caller's account (or the org with ``org``)
    org: bool = False
    regions: list[str] | None = None  # None: every Region enabled for each account
    max_workers: int = 32
    on_progress: ProgressFn | None = None  # (finished, submitted) calls, as they finish


@dataclass
class _AccountState:
    scan: AccountScan
    regions_left: int = 0
    trails: dict[str, Trail] = field(default_factory=dict)


class Collector(ReadContext):
    def __init__(self, access: AwsAccess, options: ScanOptions) -> None:
        super().__init__(access)
        self.options = options
        self.region_scans: list[RegionScan] = []
        self.accounts: dict[str, _AccountState] = {}
        self.runner = TaskGroup(options.max_workers, options.on_progress)
        self.accounts_listing = 0  # accounts whose trails are not all described yet
        self._pending: Counter[str] = Counter()  # an account's tasks submitted, not finished
        self._last_submitted: set[str] = set()  # accounts that will get no more tasks
        # With --org: per account, the Regions where AWS Config records (None: a Region unread).
        self._recording: dict[str, list[str] | None] = {}
        self._organization: Organization | None = None

    # -- stages --------------------------------------------------------------------------------

    def run(self) -> Snapshot:
        caller = self.access.caller_account()
        organization = None
        if self.options.org:
            organization, org_errors = OrganizationReader(
                self, caller, self.access.default_region
            ).read()
            self.errors.extend(org_errors)
            self._organization = organization
        targets = self._targets(caller, organization)
        for account, name in targets:
            self.accounts[account] = _AccountState(AccountScan(account=account, name=name))
        self.accounts_listing = len(self.accounts)
        self.runner.run(
            [self._tracked(account, self._account_task(account)) for account, _ in targets]
        )
        accounts = []
        for state in self.accounts.values():
            state.scan.trails = sorted(state.trails.values(), key=lambda t: t.arn)
            accounts.append(state.scan)
        if organization is not None:
            organization.config_recorders = {
                a: sorted(r) for a, r in sorted(self._recording.items()) if r is not None
            }
            organization.errors.extend(recorder_errors(self.errors))
        return Snapshot(
            generated_at=datetime.now(UTC),
            caller_account=caller,
            accounts=sorted(accounts, key=lambda a: a.account),
            regions=sorted(self.region_scans, key=lambda r: (r.account, r.region)),
            errors=sorted(self.errors, key=lambda e: (e.account, e.region, e.operation)),
            organization=organization,
        )

    def _targets(self, caller: str, organization: Organization | None) -> list[tuple[str, str]]:
        if self.options.accounts:
            return [(a, "") for a in dict.fromkeys(self.options.accounts)]
        if not self.options.org:
            return [(caller, "")]
        if organization is not None and organization.accounts:  # already listed: no 2nd call
            return [(a.id, a.name) for a in organization.accounts if a.status == "ACTIVE"]
        orgs = self.client(caller, self.access.default_region, "organizations")
        try:
            return organisation_accounts(orgs)  # pages through LIST_ACCOUNTS
        except AWS_ERRORS as exc:
            # What the organisation read already found out says it best (no organisation, not
            # its management account); otherwise the listing's own error.
            said = organisation_error(self.errors)
            raise AccessError(
                f"{said}; or name the accounts with --accounts"
                if said
                else f"cannot list the organisation's accounts from {caller} ({exc}); run from the "
                "management or a delegated-admin account, or name them with --accounts"
            ) from exc

    def _account_task(self, account: str) -> Callable[[], None]:
        def task() -> None:
            state = self.accounts[account]
            try:
                self.access.credentials(account)
            except AccessError as exc:
                self.record(account, "-", ASSUME_ROLE, exc.__cause__ or exc)
                state.scan.reachable = False
                self._account_listed()
                return
            regions = self.options.regions
            if regions is None:
                ec2 = self.client(account, self.access.default_region, "ec2")
                found = self.call(
                    account,
                    self.access.default_region,
                    DESCRIBE_REGIONS,
                    lambda: enabled_regions(ec2),
                )
                if found is None:  # cannot list: scan the default Region, the error says why
                    regions = [self.access.default_region]
                else:
                    regions, state.scan.regions_not_opted_in = found
                    for region in state.scan.regions_not_opted_in:
                        scan = RegionScan(
                            account=account, region=region, state=RegionState.NOT_OPTED_IN
                        )
                        with self.lock:
                            self.region_scans.append(scan)
            state.scan.regions_enabled = list(regions)
            state.regions_left = len(regions)
            if not regions:
                self._account_listed()
            for region in regions:
                self._submit(account, self._region_task(account, region))

        return task

    def _region_task(self, account: str, region: str) -> Callable[[], None]:
        def task() -> None:
            state = self.accounts[account]
            cloudtrail = self.client(account, region, "cloudtrail")
            found = self.call(
                account,
                region,
                DESCRIBE_TRAILS,
                lambda: cloudtrail.describe_trails(includeShadowTrails=True)["trailList"],
            )
            scan = RegionScan(
                account=account,
                region=region,
                state=RegionState.ERROR if found is None else RegionState.SCANNED,
            )
            for raw in found or []:
                trail = details.trail_from_description(raw, region)
                scan.trails.append(
                    TrailSighting(
                        arn=trail.arn,
                        classification=classify(trail.arn, trail.home_region, account, region),
                    )
                )
                with self.lock:
                    known = state.trails.get(trail.arn)
                    if known is None or region == trail.home_region:
                        state.trails[trail.arn] = trail
            scan.event_data_stores = self._event_data_stores(account, region, cloudtrail)
            if self._organization is not None:
                self._config_recorder(account, region)
            # No other task of this account runs in this Region until its last Region is listed
            # (trail reads come after): its Region's clients can go now, not at the end of the
            # scan; the few a trail read needs again are rebuilt.
            self.access.release(account, region)
            with self.lock:
                self.region_scans.append(scan)
                state.regions_left -= 1
                last = state.regions_left == 0
            if last:
                trails = list(state.trails.values())
                for trail in trails:
                    self._submit(account, self._trail_task(account, trail))
                for arn, chain in log_group_needs(account, trails).items():
                    self._submit(account, self._log_group_task(account, arn, chain))
                self._account_listed()

        return task

    def _config_recorder(self, account: str, region: str) -> None:
        """Config rules do nothing where no recorder records: the organisation plan names those
        accounts (read here, while the Region's clients are at hand)."""
        found = recording(self, account, region)
        with self.lock:
            regions = self._recording.setdefault(account, [])
            if found is None or regions is None:
                self._recording[account] = None  # one Region unread: the account is unknown
            elif found:
                regions.append(region)

    def _account_listed(self) -> None:
        """Once every account's trails are described, each account looks for the buckets other
        accounts' trails deliver to that it owns (a central log bucket is graded where it is)."""
        with self.lock:
            self.accounts_listing -= 1
            done = self.accounts_listing == 0
        if done:
            for account, state in self.accounts.items():
                if state.scan.reachable:
                    self._submit(account, self._central_buckets_task(account))
                self._no_more_tasks(account)

    # -- an account's clients go when its last task has run ---------------------------------------

    def _tracked(self, account: str, task: Callable[[], None]) -> Callable[[], None]:
        with self.lock:
            self._pending[account] += 1

        def run() -> None:
            try:
                task()
            finally:
                with self.lock:
                    self._pending[account] -= 1
                self._maybe_release(account)

        return run

    def _submit(self, account: str, task: Callable[[], None]) -> None:
        self.runner.submit(self._tracked(account, task))

    def _no_more_tasks(self, account: str) -> None:
        with self.lock:
            self._last_submitted.add(account)
        self._maybe_release(account)

    def _maybe_release(self, account: str) -> None:
        """Bounded memory: once an account has no task left to run (its central-bucket look
        is the last), its clients are dropped rather than kept for the rest of the scan."""
        with self.lock:
            done = account in self._last_submitted and self._pending[account] == 0
            if done:
                self._last_submitted.discard(account)
        if done:
            self.access.release(account)

    def _central_buckets_task(self, account: str) -> Callable[[], None]:
        def task() -> None:
            with self.lock:
                every = [t for s in self.accounts.values() for t in s.trails.values()]
            own = {t.s3_bucket_name for t in every if arn_account(t.arn) == account}
            others = {t.s3_bucket_name for t in every if t.s3_bucket_name} - own
            for name in sorted(n for n in others if n):
                if not self.claim((account, "bucket", name)):
                    continue
                bucket = details.read_central_bucket(self, account, name)
                if bucket is not None:
                    with self.lock:
                        self.accounts[account].scan.buckets.append(bucket)

        return task

    def _event_data_stores(
        self, account: str, region: str, cloudtrail: Any
    ) -> list[EventDataStore] | None:
        listed = self.call(
            account,
            region,
            LIST_EVENT_DATA_STORES,
            lambda: cloudtrail.list_event_data_stores().get("EventDataStores", []),
        )
        if listed is None:
            return None
        stores = []
        for item in listed:
            arn = item["EventDataStoreArn"]
            got = self.call(
                account,
                region,
                GET_EVENT_DATA_STORE,
                partial(cloudtrail.get_event_data_store, EventDataStore=arn),
            )
            store = EventDataStore(arn=arn, name=item.get("Name", ""), described=got is not None)
            if got is not None:
                store.kms_key_id = got.get("KmsKeyId")
                if store.kms_key_id:
                    key = details.describe_key(self, account, region, store.kms_key_id)
                    store.key_manager = key.key_manager
            stores.append(store)
        return stores

    def _trail_task(self, account: str, trail: Trail) -> Callable[[], None]:
        def task() -> None:
            owned = arn_account(trail.arn) == account
            details.read_trail(self, account, trail, owned=owned)
            if not owned:
                return
            state = self.accounts[account]
            if trail.s3_bucket_name and self.claim((account, "bucket", trail.s3_bucket_name)):
                bucket = details.read_bucket(self, account, trail.s3_bucket_name)
                with self.lock:
                    state.scan.buckets.append(bucket)
            if trail.kms_key_id and self.claim((account, "key", trail.kms_key_id)):
                key = details.describe_key(self, account, trail.home_region, trail.kms_key_id)
                with self.lock:
                    state.scan.kms_keys.append(key)

        return task

    def _log_group_task(self, account: str, arn: str, with_alarm_chain: bool) -> Callable[[], None]:
        def task() -> None:
            group = details.read_log_group(self, account, arn, with_alarm_chain=with_alarm_chain)
            if group is not None:
                with self.lock:
                    self.accounts[account].scan.log_groups.append(group)

        return task


def collect(access: AwsAccess, options: ScanOptions) -> Snapshot:
    """Scan the accounts and Regions ``options`` name and return the snapshot."""
    return Collector(access, options).run()
