"""The scan's collection: accounts -> Regions -> trails -> per-trail details, all in one pool.

Every call that fails is recorded (account, Region, operation, error) and leaves its field ``None``
(unknown); the scan always completes. Work fans out as follow-up tasks so the pool stays busy: an
account's Regions are listed, each Region's trails described, and once the last Region of an account
is done each distinct trail is read once, in its home Region, by ARN.

At most ``max_workers`` accounts are in flight at once (a new one starts as one finishes its own
reads), so an account's reads run close together whatever the size of the organisation: its
clients go early, its time bound (``account_timeout``) measures its own work rather than its place
in the queue, and finished accounts reach the progress file (``resume``) as the scan goes. An
account still reading when its time is up is abandoned: the scan goes on without it, its Regions
not listed are recorded as errors, and one ``AccountTimeout`` error explains every unknown in it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from trailwarden.arns import arn_account
from trailwarden.aws.accounts import organisation_accounts
from trailwarden.aws.errors import AWS_ERRORS
from trailwarden.aws.regions import enabled_regions
from trailwarden.aws.session import AwsAccess
from trailwarden.collect import details, shards
from trailwarden.collect.organization import (
    OrganizationReader,
    organisation_error,
    recorder_errors,
    recording,
)
from trailwarden.collect.progress import AccountSink, Finished, Progress, open_progress
from trailwarden.collect.reads import Read, ReadContext, api_error, declare
from trailwarden.concurrency import ProgressFn, TaskGroup
from trailwarden.errors import AccessError
from trailwarden.policies.permissions import SCAN_ORGANISATION
from trailwarden.snapshot.model import (
    ACCOUNT_TIMEOUT,
    ACCOUNT_TIMEOUT_OPERATION,
    AccountScan,
    ApiError,
    Bucket,
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


DEFAULT_ACCOUNT_TIMEOUT = 600.0  # seconds: minutes more than a large account needs at 50 ms a call


@dataclass(frozen=True)
class ScanOptions:
    accounts: list[str] | None = None  # None: the caller's account (or the org with ``org``)
    org: bool = False
    regions: list[str] | None = None  # None: every Region enabled for each account
    max_workers: int = 32
    on_progress: ProgressFn | None = None  # (finished, submitted) calls, as they finish
    account_timeout: float | None = DEFAULT_ACCOUNT_TIMEOUT  # None: no bound per account
    account_timeout_text: str = "10m"  # as the user wrote it, for the error that names it
    resume: Path | None = None  # progress file: finished accounts are written, and skipped
    processes: int | None = None  # worker processes (None: one per core where that pays)
    # With --org, the Regions whose Config recorders are read (None: every scanned Region; plan
    # --org-trail needs only its home Region's, where the conformance pack goes).
    config_regions: list[str] | None = None
    shard: shards.ShardLink | None = None  # set in a worker process: the parent it reports to


@dataclass
class _AccountState:
    scan: AccountScan
    regions_left: int = 0
    trails: dict[str, Trail] = field(default_factory=dict)
    regions: list[RegionScan] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    central_buckets: list[Bucket] = field(default_factory=list)
    reached: bool = False  # credentials obtained and Regions known
    listed: bool = False  # every Region's trails described (or nothing more to list)
    own_done: bool = False  # the account's own reads are finished (and written)
    central: str = "waiting"  # the central-bucket look: waiting | submitted | done
    errors_written: int = 0
    written_all: bool = False  # the progress file holds all of it (own reads and central look)
    clock: float | None = None  # when the account's current stage of work began (monotonic)
    abandoned: Finished | None = None  # the account as it stood when its time ran out


class Collector(ReadContext):
    def __init__(self, access: AwsAccess, options: ScanOptions) -> None:
        super().__init__(access)
        self.options = options
        self.accounts: dict[str, _AccountState] = {}
        self.runner = TaskGroup(options.max_workers, self._tick)
        self.accounts_listing = 0  # accounts whose trails are not all described yet
        self._pending: Counter[str] = Counter()  # an account's tasks submitted, not finished
        self._waiting: deque[str] = deque()  # accounts not started yet
        self._active = 0  # accounts started whose own reads are not finished
        self._progress: Progress | None = None
        self._sink: AccountSink | None = options.shard  # where finished accounts go
        self._deliveries: list[shards.Delivery] | None = None  # every process's (--processes)
        self._write_lock = threading.Lock()
        self._organization: Organization | None = None
        self._recorder_unread: set[str] = set()  # with --org: a Region's recorder read failed

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
        if self.options.resume is not None:
            self._progress = self._sink = open_progress(self.options.resume, self._scope(caller))
        self.prepare(targets, self._progress.finished if self._progress else {})
        try:
            processes = shards.processes_for(
                self.options.processes, len(self._waiting), self.options.max_workers
            )
            if processes > 1:
                self._read_in_processes(processes)
            else:
                self.read()
        finally:
            if self._progress is not None:
                self._progress.close()
        return self._snapshot(caller, organization)

    def prepare(self, targets: list[tuple[str, str]], earlier: dict[str, Finished]) -> None:
        """The accounts to scan; those an earlier run finished (``earlier``) are not read again."""
        for account, name in targets:
            state = _AccountState(AccountScan(account=account, name=name))
            if account in earlier:
                _restore(state, earlier[account])
            else:
                self._waiting.append(account)
            self.accounts[account] = state
        self.accounts_listing = len(self._waiting)

    def read(self) -> None:
        """Read every account ``prepare`` named, in this process."""
        if not self.accounts_listing:
            self._start_central()
        self._admit()
        self.runner.run([])  # more accounts start as others finish (``_admit``)

    def _snapshot(self, caller: str, organization: Organization | None) -> Snapshot:
        accounts, regions = [], []
        for state in self.accounts.values():
            scan, found, errors = self._final(state)
            accounts.append(scan)
            regions.extend(found)
            self.errors.extend(errors)
        if organization is not None:
            # Each account carries its own (so --resume keeps it); one given up on is absent.
            organization.config_recorders = {
                a.account: a.config_recording
                for a in sorted(accounts, key=lambda a: a.account)
                if a.config_recording is not None
            }
            organization.errors.extend(recorder_errors(self.errors))
        return Snapshot(
            generated_at=self._progress.started if self._progress else datetime.now(UTC),
            caller_account=caller,
            accounts=sorted(accounts, key=lambda a: a.account),
            regions=sorted(regions, key=lambda r: (r.account, r.region)),
            errors=sorted(self.errors, key=lambda e: (e.account, e.region, e.operation, e.error)),
            organization=organization,
        )

    # -- --processes: the parent's side ------------------------------------------------------

    def _read_in_processes(self, processes: int) -> None:
        """Read the waiting accounts in ``processes`` worker processes (collect/shards.py), each
        account merged here as its worker sends it, as a progress file's lines are on resume."""
        waiting = set(self._waiting)
        # Read by an earlier run (--resume), their central-bucket look still to do.
        resumed = [
            a for a, s in self.accounts.items() if s.central == "waiting" and a not in waiting
        ]
        handed = waiting.union(resumed)
        others = [state for a, state in self.accounts.items() if a not in handed]
        known = [d for state in others for d in _deliveries(state.trails)]
        split = shards.split([*self._waiting, *resumed], processes)
        tasks = [
            shards.ShardTask(
                index=index,
                access=self.access.options,
                accounts=[(a, self.accounts[a].scan.name) for a in part if a in waiting],
                earlier=[_finished(self.accounts[a]) for a in part if a not in waiting],
                regions=self.options.regions,
                max_workers=max(1, self.options.max_workers // processes),
                account_timeout=self.options.account_timeout,
                account_timeout_text=self.options.account_timeout_text,
                # Recorders are read with --org only: none at all otherwise.
                config_regions=[] if self._organization is None else self.options.config_regions,
            )
            for index, part in enumerate(split)
        ]
        errors, circuits, calls = shards.run_shards(
            read_shard, tasks, known, self._merge, self.options.on_progress
        )
        self.errors.extend(errors)
        self.access.breaker.absorb(circuits)
        self.access.absorb_counts(calls)

    def _merge(self, message: shards.AccountMessage) -> None:
        """One account's record from a worker process: kept, and written to the progress file."""
        state = self.accounts[message.account]
        if state.abandoned is not None:  # its worker gave up on it: what it sent then stands
            return
        if message.abandoned is not None:
            state.abandoned = message.abandoned
        elif message.scan is not None:
            _restore(state, Finished(message.scan, message.regions, message.errors, False))
            if self._progress is not None:
                self._progress.account(message.scan, message.regions, message.errors)
        else:
            state.central_buckets = message.buckets
            state.errors.extend(message.errors)
            state.central = "done"
            if self._progress is not None:
                self._progress.central(message.account, message.buckets, message.errors)

    def _scope(self, caller: str) -> dict[str, Any]:
        """What a progress file must have been written for to be resumed by this scan."""
        scope = {
            "caller": caller,
            "accounts": self.options.accounts,
            "org": self.options.org,
            "regions": self.options.regions,
            "role": self.access.options.role_name,
        }
        if self.options.config_regions is not None:  # so older files (every Region's) still fit
            scope["config"] = self.options.config_regions
        return scope

    def _admit(self) -> None:
        """Start waiting accounts while fewer than ``max_workers`` are reading their own."""
        while True:
            with self.lock:
                if not self._waiting or self._active >= max(1, self.options.max_workers):
                    return
                account = self._waiting.popleft()
                self._active += 1
                self.accounts[account].clock = time.monotonic()
            self._submit(account, self._account_task(account))

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
                self._listed(account)
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
                            state.regions.append(scan)
            state.scan.regions_enabled = list(regions)
            state.regions_left = len(regions)
            state.reached = True
            if not regions:
                self._listed(account)
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
            if self._reads_recorder(region):
                self._config_recorder(account, region)
            # No other task of this account runs in this Region until its last Region is listed
            # (trail reads come after): its Region's clients can go now, not at the end of the
            # scan; the few a trail read needs again are rebuilt.
            self.access.release(account, region)
            with self.lock:
                state.regions.append(scan)
                state.regions_left -= 1
                last = state.regions_left == 0
            if last:
                trails = list(state.trails.values())
                for trail in trails:
                    self._submit(account, self._trail_task(account, trail))
                for arn, chain in log_group_needs(account, trails).items():
                    self._submit(account, self._log_group_task(account, arn, chain))
                self._listed(account)

        return task

    def _reads_recorder(self, region: str) -> bool:
        if self._organization is None and self.options.shard is None:
            return False  # not --org (a worker is told by its Regions: none without --org)
        wanted = self.options.config_regions
        return wanted is None or region in wanted

    def _config_recorder(self, account: str, region: str) -> None:
        """Config rules do nothing where no recorder records: the organisation plan names those
        accounts (read here, while the Region's clients are at hand)."""
        found = recording(self, account, region)
        with self.lock:
            scan = self.accounts[account].scan
            if found is None or account in self._recorder_unread:
                self._recorder_unread.add(account)  # one Region unread: the account is unknown
                scan.config_recording = None
                return
            regions = {*(scan.config_recording or []), *([region] if found else [])}
            scan.config_recording = sorted(regions)

    def _listed(self, account: str) -> None:
        """Once every account's trails are described, each account looks for the buckets other
        accounts' trails deliver to that it owns (a central log bucket is graded where it is)."""
        with self.lock:
            state = self.accounts[account]
            if state.listed:  # an abandoned account's task may still get here
                return
            state.listed = True
            self.accounts_listing -= 1
            done = self.accounts_listing == 0
        if done:
            self._start_central()

    def _start_central(self) -> None:
        if self.options.shard is not None and self._deliveries is None:
            # A worker process: the look needs every process's trails. One task waits for them
            # (keeping the run alive), the others go on with their trails' reads meanwhile.
            self.runner.submit(self._await_deliveries)
            return
        for account, state in self.accounts.items():
            with self.lock:
                wanted = (
                    state.scan.reachable and state.abandoned is None and state.central == "waiting"
                )
                if wanted:
                    state.central = "submitted"
            if wanted:
                self._submit(account, self._central_buckets_task(account))

    def _await_deliveries(self) -> None:
        assert self.options.shard is not None
        with self.lock:
            own = [d for s in self.accounts.values() for d in _deliveries(s.trails)]
        self._deliveries = self.options.shard.deliveries(own)
        self._start_central()

    # -- an account's tasks: tracked, written when done, abandoned when too slow --------------

    def _tracked(self, account: str, task: Callable[[], None]) -> Callable[[], None]:
        with self.lock:
            self._pending[account] += 1

        def run() -> None:
            try:
                if self.accounts[account].abandoned is None:
                    task()
            finally:
                with self.lock:
                    self._pending[account] -= 1
                self._settle(account)

        return run

    def _submit(self, account: str, task: Callable[[], None]) -> None:
        self.runner.submit(self._tracked(account, task), key=account)

    def _settle(self, account: str) -> None:
        """An account with no task left: its own reads are done (written to the progress file,
        and the next account starts), or its central-bucket look is; either way its clients go
        (bounded memory: a later stage simply builds the few it needs again)."""
        with self.lock:
            state = self.accounts[account]
            if state.abandoned is not None or self._pending[account] or not state.listed:
                return
            if state.central == "submitted":
                state.central = "done"
            own = not state.own_done
            complete = state.central == "done" or not state.scan.reachable
            central = complete and not state.written_all
            if own:
                state.own_done = True
                self._active -= 1
                state.scan.trails = sorted(state.trails.values(), key=lambda t: t.arn)
            state.written_all = state.written_all or central
            errors = list(state.errors[state.errors_written :])
            state.errors_written = len(state.errors)
            state.clock = None  # waiting for the other accounts is not this account's time
            # Taken before the scan lock is let go: lines reach the file in the order decided.
            self._write_lock.acquire()
        try:
            if self._sink is not None and own:
                self._sink.account(state.scan, _ordered(state.regions), errors)
            if self._sink is not None and central:
                self._sink.central(account, state.central_buckets, [] if own else errors)
        finally:
            self._write_lock.release()
        self.access.release(account)
        if own:
            self._admit()

    def record(self, account: str, region: str, read: Read, exc: BaseException) -> None:
        """A failed call, kept with its account (whose progress line carries it)."""
        error = api_error(account, region, read.label, exc)
        with self.lock:
            state = self.accounts.get(account)
            (state.errors if state is not None else self.errors).append(error)

    def _tick(self, finished: int, submitted: int) -> None:
        """The task group's heartbeat (on ``run``'s thread): abandon accounts out of time."""
        if self.options.on_progress is not None:
            self.options.on_progress(finished, submitted)
        limit = self.options.account_timeout
        if limit is None:
            return
        now = time.monotonic()
        with self.lock:
            late = [
                a
                for a, s in self.accounts.items()
                if s.clock is not None and s.abandoned is None and now - s.clock > limit
            ]
        for account in late:
            self._abandon(account)

    def _abandon(self, account: str) -> None:
        """Give up on an account still reading: what it read stays, what it did not is unknown
        (Regions not listed become errors) and one AccountTimeout error says why; the scan goes
        on with its workers, and its tasks still running finish in the background unheeded."""
        timeout = ApiError(
            account=account,
            region="-",
            operation=ACCOUNT_TIMEOUT_OPERATION,
            error=(
                f"the account's reads did not finish within --account-timeout "
                f"{self.options.account_timeout_text}; what was not read is unknown"
            ),
            code=ACCOUNT_TIMEOUT,
        )
        with self.lock:
            state = self.accounts[account]
            if state.abandoned is not None:
                return
            state.abandoned = _incomplete(state, timeout)
            if not state.own_done:
                self._active -= 1
            state.clock = None
        if self._sink is not None:
            self._sink.abandoned(account, state.abandoned)
        self.runner.abandon(account)
        self._listed(account)
        self.access.release(account)
        self._admit()

    def _central_buckets_task(self, account: str) -> Callable[[], None]:
        def task() -> None:
            with self.lock:
                # A stage of its own, timed from when it starts: every account's look is queued
                # at once, and the wait in that queue is not the account's.
                self.accounts[account].clock = time.monotonic()
                every = self._deliveries
                if every is None:  # one process: every account is here
                    every = [d for s in self.accounts.values() for d in _deliveries(s.trails)]
            own = {bucket for owner, bucket in every if owner == account}
            others = {bucket for _, bucket in every} - own
            for name in sorted(n for n in others if n):
                if not self.claim((account, "bucket", name)):
                    continue
                bucket = details.read_central_bucket(self, account, name)
                if bucket is not None:
                    with self.lock:
                        self.accounts[account].central_buckets.append(bucket)

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

    def _final(self, state: _AccountState) -> tuple[AccountScan, list[RegionScan], list[ApiError]]:
        """The account as the snapshot holds it, every list in a fixed order (a resumed scan
        and an uninterrupted one write the same bytes)."""
        if state.abandoned is not None:
            done = state.abandoned
            scan, regions, errors, central = done.scan, done.regions, done.errors, []
        else:
            scan, regions, errors = state.scan, state.regions, state.errors
            central = state.central_buckets
            scan.trails = sorted(state.trails.values(), key=lambda t: t.arn)
        scan.buckets = sorted([*scan.buckets, *central], key=lambda b: b.name)
        scan.kms_keys = sorted(scan.kms_keys, key=lambda k: k.arn)
        scan.log_groups = sorted(scan.log_groups, key=lambda g: g.arn)
        return scan, regions, errors


def _deliveries(trails: dict[str, Trail]) -> list[shards.Delivery]:
    """(the trail's account, its bucket) for each trail that names a bucket."""
    return [(arn_account(t.arn), t.s3_bucket_name) for t in trails.values() if t.s3_bucket_name]


def _finished(state: _AccountState) -> Finished:
    """An account restored from a progress file, as a worker process is handed it."""
    return Finished(state.scan, state.regions, state.errors, False, state.central_buckets)


def _ordered(regions: list[RegionScan]) -> list[RegionScan]:
    return sorted(regions, key=lambda r: r.region)


def _restore(state: _AccountState, done: Finished) -> None:
    """An account an earlier run finished, as its progress lines hold it: nothing to read again
    (unless the central-bucket look was still to come)."""
    state.scan = done.scan
    state.trails = {t.arn: t for t in done.scan.trails}
    state.regions = done.regions
    state.errors = done.errors
    state.errors_written = len(done.errors)
    state.central_buckets = done.central_buckets
    state.reached = state.listed = state.own_done = True
    state.central = "done" if done.complete else "waiting"
    state.written_all = done.complete


def _incomplete(state: _AccountState, timeout: ApiError) -> Finished:
    """A copy of what an account being abandoned has read, with its unknowns made explicit: an
    account whose Regions were not yet known is unreachable, a Region not listed is an error."""
    scan = state.scan.model_copy(deep=True)
    scan.trails = sorted(
        (t.model_copy(deep=True) for t in state.trails.values()), key=lambda t: t.arn
    )
    regions = [r.model_copy(deep=True) for r in state.regions]
    if not state.reached:
        scan.reachable = False
    listed = {r.region for r in regions}
    for region in scan.regions_enabled:
        if region not in listed:
            regions.append(RegionScan(account=scan.account, region=region, state=RegionState.ERROR))
    return Finished(scan, _ordered(regions), [*state.errors, timeout], complete=False)


def incomplete_accounts(snapshot: Snapshot) -> list[str]:
    """One line per account the scan gave up on, for the output to say once."""
    return [
        f"account {e.account} is incomplete: {e.error}"
        for e in snapshot.errors
        if e.code == ACCOUNT_TIMEOUT
    ]


def read_shard(task: shards.ShardTask, out: Any, into: Any) -> None:
    """A worker process of ``--processes`` (collect/shards.py): read ``task``'s accounts, each
    sent to the parent as it finishes, then the errors that belong to no account."""
    # Ctrl-C is the parent's to act on (blocked since the start where signal masks exist).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    link = shards.ShardLink(task, out, into)
    try:
        access = AwsAccess(task.access)
        options = ScanOptions(
            accounts=[a for a, _ in task.accounts],
            regions=task.regions,
            max_workers=task.max_workers,
            on_progress=link.progress,
            account_timeout=task.account_timeout,
            account_timeout_text=task.account_timeout_text,
            config_regions=task.config_regions,
            shard=link,
        )
        collector = Collector(access, options)
        collector.prepare(
            [*task.accounts, *((f.scan.account, f.scan.name) for f in task.earlier)],
            {f.scan.account: f for f in task.earlier},
        )
        collector.read()
        link.end(collector.errors, access.breaker.circuits(), access.snapshot_counts())
    except BaseException as exc:  # the parent says it, in one line
        link.failed(exc)


def collect(access: AwsAccess, options: ScanOptions) -> Snapshot:
    """Scan the accounts and Regions ``options`` name and return the snapshot."""
    return Collector(access, options).run()
