"""The demo's stand-in for CloudTrail delivery, and the one call the demo makes to fix accounts.

moto delivers nothing: no log file, no digest, no CloudWatch Logs event ever arrives, so ``verify``
could never pass in the demo. ``simulate_delivery`` writes what CloudTrail would write for a
trail that has just started logging, and labels all of it as the simulator's work: every S3
object carries ``x-amz-meta-trailwarden-simulated: demo``, every CloudWatch Logs event has
``"trailwardenSimulated": true``, and the report says so. Digest files are signed with a key pair
generated here (``trailwarden.trailstore.fixtures``), whose public key is handed to ``verify``
in place of CloudTrail's ListPublicKeys (which moto does not implement either).

``fix_accounts`` is what ``trailwarden demo`` calls after its first scan: plan -> apply ->
(confirm the alarm e-mails as the recipient would) -> simulated delivery -> verify -> the
CloudWatch.5 canary through the simulated alerting chain (``demo/alerting.py``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from trailwarden.apply import CountingAccess, Runner, probe
from trailwarden.apply.runner import ApplyReport
from trailwarden.aws.session import AwsAccess
from trailwarden.integrity.keys import PublicKey
from trailwarden.plan.model import AccountPlan, Plan
from trailwarden.plan.steps import PlanOptions, build_plan
from trailwarden.snapshot.model import Snapshot
from trailwarden.trailstore.fixtures import FixtureKey, s3_sink, write_trail_delivery
from trailwarden.verify import VerifyReport, verify_plan
from trailwarden.verify.canary import CanaryReport, run_canary
from trailwarden.verify.checks import Check

SIMULATED = {"trailwarden-simulated": "demo"}
# AWS takes minutes per link; the demo's simulated chain takes this long so the demo stays short.
CANARY_LINK_DELAY_S = 0.1


@dataclass
class Delivery:
    """What the simulator wrote for one account (all of it labelled as simulated)."""

    account: str
    bucket: str
    log_files: list[str] = field(default_factory=list)
    digest_files: list[str] = field(default_factory=list)
    log_events: int = 0
    public_key: PublicKey | None = None


def simulate_delivery(
    access: AwsAccess,
    account: AccountPlan,
    *,
    key: FixtureKey | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Write one hour of log files + a signed digest, and a few events to the log group."""
    b = account.baseline
    if b is None:
        raise ValueError(f"account {account.account} has no baseline to deliver for")
    now = now or datetime.now(UTC)
    key = key or FixtureKey.generate()
    s3 = access.client(account.account, b.bucket.region, "s3")
    sink = s3_sink(s3, b.bucket.name)
    report = Delivery(account.account, b.bucket.name, public_key=key.public())

    def labelled(obj_key: str, body: bytes, metadata: dict[str, str]) -> None:
        sink(obj_key, body, {**metadata, **SIMULATED})
        folder = report.digest_files if "/CloudTrail-Digest/" in obj_key else report.log_files
        folder.append(obj_key)

    # One hour ending about half an hour ago: the digest covers it, as CloudTrail's would.
    start = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    write_trail_delivery(
        labelled,
        account.account,
        [b.trail.home_region],
        start,
        1,
        key,
        b.org_id,
        bucket=b.bucket.name,
        trail_name=b.trail.name,
        home_region=b.trail.home_region,
        prefix=b.bucket.prefix or "",
        logs_per_hour=2,
        records_per_log=5,
    )
    report.log_events = _put_events(access, account, now)
    mark_delivered(b.trail_arn, now)
    return report


def mark_delivered(trail_arn: str, now: datetime) -> None:
    """GetTrailStatus after a good delivery: fresh times, no error (an old seeded one clears)."""
    from trailwarden.demo.motogaps import seed_trail_status

    seed_trail_status(
        trail_arn,
        LatestDeliveryTime=now,
        LatestDigestDeliveryTime=now,
        LatestCloudWatchLogsDeliveryTime=now,
        LatestDeliveryError=None,
        LatestDigestDeliveryError=None,
        LatestCloudWatchLogsDeliveryError=None,
    )


def _put_events(access: AwsAccess, account: AccountPlan, now: datetime) -> int:
    b = account.baseline
    assert b is not None
    logs = access.client(account.account, b.trail.home_region, "logs")
    stream = f"{account.account}_CloudTrail_{b.trail.home_region}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=b.cloudwatch.log_group, logStreamName=stream)
    events = []
    for i, name in enumerate(("ConsoleLogin", "DescribeTrails", "GetTrailStatus")):
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "eventSource": "signin.amazonaws.com" if i == 0 else "cloudtrail.amazonaws.com",
            "eventName": name,
            "awsRegion": b.trail.home_region,
            "recipientAccountId": account.account,
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "trailwardenSimulated": True,
        }
        events.append({"timestamp": int(now.timestamp() * 1000) + i, "message": json.dumps(record)})
    logs.put_log_events(logGroupName=b.cloudwatch.log_group, logStreamName=stream, logEvents=events)
    return len(events)


@dataclass
class FixReport:
    plan: Plan
    apply: ApplyReport
    deliveries: list[Delivery]
    verification: VerifyReport
    confirmed_subscriptions: list[str]
    canary: CanaryReport | None = None
    canary_calls: dict[str, int] = field(default_factory=dict)

    @property
    def api_calls(self) -> dict[str, dict[str, int]]:
        """Per account: calls to check the plan, to apply it, and to verify it."""
        out: dict[str, dict[str, int]] = {}
        for account, calls in self.plan.api_calls.items():
            out.setdefault(account, {}).update(calls)
        for account, n in self.apply.api_calls.items():
            out.setdefault(account, {})["apply"] = n
        for account, n in self.verification.api_calls.items():
            out.setdefault(account, {})["verify"] = n
        for account, n in self.canary_calls.items():
            out.setdefault(account, {})["canary"] = n
        return out


# (done, total or None when unknown, what is being done): ``cli.progress.Bar`` fits it.
PhaseProgress = Callable[[int, int | None, str], None]


def fix_accounts(
    access: AwsAccess,
    snapshot: Snapshot,
    baseline_options: Mapping[str, Any],
    account_ids: Sequence[str],
    on_progress: PhaseProgress | None = None,
) -> FixReport:
    """Plan, apply, confirm subscriptions, simulate delivery and verify, on the demo server.

    ``baseline_options`` are ``Baseline.from_options`` keywords (without ``account_id``), e.g.
    ``{"home_region": "us-east-1", "alarm_email": ["security@example.com"]}``. ``on_progress``
    hears every phase as ``(done, total or None, what is being done)``: the whole takes
    half a minute, and the phases are different kinds of work.
    """
    say: PhaseProgress = on_progress or (lambda done, total, what: None)
    from trailwarden.demo.motogaps import confirm_subscription_for_demo

    counting = access if isinstance(access, CountingAccess) else CountingAccess(access.options)
    options = PlanOptions(baseline=dict(baseline_options), accounts=tuple(account_ids))
    before = counting.snapshot_counts()
    say(0, None, "plan: reading each account's live state")
    plan = probe(counting, build_plan(snapshot, options))
    for account, n in counting.per_account(before).items():
        plan.api_calls[account] = {"plan checks": n}
    applied = Runner(
        counting, plan, on_progress=lambda n, total, step: say(n, total, f"apply: {step}")
    ).run()
    confirmed = [arn for facts in applied.facts.values() for arn in facts.subscriptions]
    for arn in confirmed:
        confirm_subscription_for_demo(arn)  # as if the recipient clicked the link
    key = FixtureKey.generate()
    targets = [a for a in plan.accounts if a.baseline is not None and applied.failed is None]
    deliveries = []
    for number, target in enumerate(targets):
        say(number, len(targets), f"delivery (simulated): {target.account}")
        deliveries.append(simulate_delivery(counting, target, key=key))
    say(0, None, "verify: every check in every account")

    def checked(checks: list[Check]) -> None:
        passed = sum(1 for c in checks if c.status == "PASS")
        say(passed, len(checks), "verify: checks pass")

    verification = verify_plan(counting, plan, public_keys=[key.public()], on_attempt=checked)
    report = FixReport(plan, applied, deliveries, verification, confirmed)
    if applied.failed is None and deliveries:
        say(0, None, "canary: StartLogging -> alarm -> SNS (simulated)")
        report.canary, report.canary_calls = _canary(counting, plan, say)
    return report


def _canary(
    counting: CountingAccess, plan: Plan, say: PhaseProgress
) -> tuple[CanaryReport, dict[str, int]]:
    """``verify --canary --yes``, unchanged, with the simulated chain standing in for CloudWatch.

    --yes: the demo's only subscriber is the simulated security@example.com, which nobody reads.
    """
    from trailwarden.demo.alerting import simulated_alerting

    before = counting.snapshot_counts()
    with simulated_alerting(delay_s=CANARY_LINK_DELAY_S):
        canary = run_canary(
            counting,
            plan,
            yes=True,
            timeout_s=30,
            poll_s=0.05,
            on_progress=lambda done, total: say(done, total, "canary: links seen"),
        )
    return canary, counting.per_account(before)
