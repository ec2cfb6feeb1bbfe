"""``verify --canary``: cause a harmless event a CIS filter matches and time it to the page.

For each planned account: read the live chain (the log group's metric filters, the alarms on the
matching filter's metric, their SNS topics and subscribers), refuse if the topics page people and
``yes`` is not given, snapshot the trail, make the canary calls (``verify.canaries``), then poll
every chain's next link (``verify.chain``) until all arrive or ``timeout_s`` passes, and compare
the trail's state with the snapshot. A chain that does not finish names its broken link.

Progress goes through ``on_progress(arrived, total)``; the CLI draws it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.apply.context import AccountContext, CountingAccess, Facts
from trailwarden.aws.errors import error_code
from trailwarden.errors import UsageError
from trailwarden.filterpattern import FilterPatternError
from trailwarden.filterpattern.cis import is_exact
from trailwarden.plan.model import AccountPlan, Plan
from trailwarden.verify.canaries import WITHOUT_CANARY, Target, choose, matches
from trailwarden.verify.chain import (
    ALARM,
    ENDPOINT,
    EVENT,
    FILTER,
    LOGS,
    METRIC,
    PRECONDITION,
    SNS,
    Chain,
    Link,
    poll_alarm,
    poll_endpoint,
    poll_logs,
    poll_metric,
    poll_publish,
)
from trailwarden.verify.pages import CanaryRefused, paging_subscribers, refusal
from trailwarden.verify.trail_state import trail_state, what_changed

DEFAULT_CANARY = "CloudWatch.5"


@dataclass
class CanaryReport:
    chains: list[Chain]
    without_canary: dict[str, str]  # control -> why no harmless event exists
    trail_changes: dict[str, list[str]] = field(default_factory=dict)  # account -> what changed
    pages: list[str] = field(default_factory=list)  # what each paging alarm will say

    @property
    def ok(self) -> bool:
        return (
            bool(self.chains)
            and all(c.ok for c in self.chains)
            and not any(self.trail_changes.values())
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "chains": [c.to_json() for c in self.chains],
            "without_canary": self.without_canary,
            "trail_unchanged": {a: not changes for a, changes in self.trail_changes.items()},
            "trail_changes": self.trail_changes,
            "pages": self.pages,
        }


@dataclass
class _Account:
    ctx: AccountContext
    plan: AccountPlan
    target: Target
    chains: list[Chain]
    subscriptions: list[str] = field(default_factory=list)  # our endpoint's, to remove

    @property
    def log_group(self) -> str:
        assert self.plan.baseline is not None
        return self.plan.baseline.cloudwatch.log_group


def _paginate(client: Any, method: str, key: str, **params: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator(method).paginate(**params)
    return [item for page in pages for item in page.get(key, [])]


def _target(account: AccountPlan) -> Target:
    b = account.baseline
    assert b is not None
    return Target(
        account.account,
        b.trail.home_region,
        b.trail.name,
        b.trail_arn,
        b.bucket.name,
        str(uuid.uuid4()),
    )


def _wire(acct: _Account, chain: Chain, filters: list[dict[str, Any]], alarms: list[Any]) -> None:
    """Find the live filter, metric, alarm and topics this chain's event should trip."""
    record = chain.candidate.record(acct.target)
    hits = []
    for f in filters:
        try:
            if matches(str(f.get("filterPattern", "")), record):
                hits.append(f)
        except FilterPatternError:
            continue  # a filter CloudWatch accepted but we cannot read is not one we can follow
    if not hits:
        chain.fail_before(
            FILTER, f"no metric filter on {acct.log_group} matches {record['eventName']}"
        )
        return
    hits.sort(key=lambda f: not is_exact(str(f.get("filterPattern", "")), chain.control_id))
    chosen = hits[0]
    transform = chosen["metricTransformations"][0]
    chain.filter_name = chosen["filterName"]
    chain.namespace, chain.metric = transform["metricNamespace"], transform["metricName"]
    watching = [
        a
        for a in alarms
        if a.get("MetricName") == chain.metric and a.get("Namespace") == chain.namespace
    ]
    if not watching:
        chain.fail_before(ALARM, f"no alarm watches {chain.namespace}/{chain.metric}")
        return
    chain.alarm = watching[0]
    if chain.alarm.get("StateValue") == "ALARM":
        chain.fail_before(
            ALARM,
            f"{chain.alarm_name} is already in ALARM (since "
            f"{chain.alarm.get('StateUpdatedTimestamp')}): no new state change can be seen; "
            "run again once it is back to OK",
        )
        return
    chain.topics = [a for a in chain.alarm.get("AlarmActions", []) if ":sns:" in a]
    if not chain.topics or not chain.alarm.get("ActionsEnabled", True):
        chain.fail_before(SNS, f"{chain.alarm_name} has no enabled SNS action")


def _precondition(acct: _Account, chain: Chain) -> str | None:
    """Why the canary would not be harmless right now, or None."""
    need = chain.candidate.precondition
    if need == "trail logging":
        status = acct.ctx.client(acct.target.region, "cloudtrail").get_trail_status(
            Name=acct.target.trail_arn
        )
        if not status.get("IsLogging"):
            return f"{acct.target.trail_name} is not logging: StartLogging would change it"
    if need == "bucket without CORS":
        s3 = acct.ctx.client(acct.plan.baseline.bucket.region, "s3")  # type: ignore[union-attr]
        try:
            s3.get_bucket_cors(Bucket=acct.target.bucket)
        except ClientError as exc:
            if error_code(exc) == "NoSuchCORSConfiguration":
                return None
            return f"cannot read the CORS rules of {acct.target.bucket}: {error_code(exc)}"
        return f"{acct.target.bucket} has CORS rules: DeleteBucketCors would remove them"
    return None


class CanaryRun:
    """Preflight, cause, follow: the three phases over every planned account."""

    def __init__(
        self,
        access: CountingAccess,
        plan: Plan,
        which: str,
        *,
        endpoint: str | None,
        now: Callable[[], datetime],
    ) -> None:
        self.access = access
        self.plan = plan
        self.which = which
        self.endpoint = endpoint
        self.now = now
        self.accounts: list[_Account] = []
        self.without: dict[str, str] = {}

    def preflight(self) -> None:
        for account in self.plan.accounts:
            b = account.baseline
            if b is None:
                continue
            ctx = AccountContext(self.access, account.account, Facts())
            target = _target(account)
            chains = []
            for choice in choose(self.which, target):
                if choice.candidate is None:
                    self.without[choice.control.control_id] = WITHOUT_CANARY.get(
                        choice.control.control_id, "no harmless API call matches its pattern"
                    )
                    continue
                chains.append(
                    Chain(target, choice.control.control_id, choice.candidate, choice.also_matches)
                )
            acct = _Account(ctx, account, target, chains)
            if b.alarms is None:
                for chain in chains:
                    chain.fail_before(ALARM, "the plan has no alarms for this account")
            else:
                self._wire_all(acct)
            self.accounts.append(acct)

    def _wire_all(self, acct: _Account) -> None:
        logs = acct.ctx.client(acct.target.region, "logs")
        cloudwatch = acct.ctx.client(acct.target.region, "cloudwatch")
        filters = _paginate(
            logs, "describe_metric_filters", "metricFilters", logGroupName=acct.log_group
        )
        alarms = _paginate(cloudwatch, "describe_alarms", "MetricAlarms")
        for chain in acct.chains:
            _wire(acct, chain, filters, alarms)
            if not chain.links:
                reason = _precondition(acct, chain)
                if reason is not None:
                    chain.fail_before(PRECONDITION, reason)

    def ready(self) -> list[tuple[_Account, Chain]]:
        return [(a, c) for a in self.accounts for c in a.chains if not c.links]

    def check_pages(self, yes: bool, caller: str) -> list[str]:
        """What each alarm will say; CanaryRefused when it pages people and ``yes`` is False."""
        ready = self.ready()
        topics = sorted({t for a, c in ready for t in c.topics})
        by_topic = {t: paging_subscribers(self._ctx_for(t, ready), t) for t in topics}
        pages, text = refusal(ready, by_topic, caller)
        if text and not yes:
            raise CanaryRefused(text)
        return pages

    @staticmethod
    def _ctx_for(topic: str, ready: list[tuple[_Account, Chain]]) -> Any:
        acct, chain = next((a, c) for a, c in ready if topic in c.topics)
        return acct.ctx.client(chain.target.region, "sns")

    def subscribe_endpoint(self) -> None:
        if self.endpoint is None:
            return
        parts = self.endpoint.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise UsageError(f"--canary-endpoint {self.endpoint!r} is not an SQS queue ARN")
        region, owner, name = parts[3], parts[4], parts[5]
        for acct in self.accounts:
            sqs = acct.ctx.client(region, "sqs")
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
            sns = acct.ctx.client(acct.target.region, "sns")
            for topic in sorted({t for c in acct.chains if not c.links for t in c.topics}):
                sub = sns.subscribe(
                    TopicArn=topic,
                    Protocol="sqs",
                    Endpoint=self.endpoint,
                    ReturnSubscriptionArn=True,
                )["SubscriptionArn"]
                acct.subscriptions.append(sub)
            for chain in acct.chains:
                chain.queue_url = url

    def unsubscribe_endpoint(self) -> None:
        for acct in self.accounts:
            sns = acct.ctx.client(acct.target.region, "sns")
            for sub in acct.subscriptions:
                sns.unsubscribe(SubscriptionArn=sub)

    def cause(self, acct: _Account, chain: Chain) -> None:
        """Make the canary call; a refused call is still an event CloudTrail records."""
        cand = chain.candidate
        client = acct.ctx.client(cand.region(acct.target), cand.service)
        if cand.service == "s3":
            client = acct.ctx.client(acct.plan.baseline.bucket.region, "s3")  # type: ignore[union-attr]
        chain.caused_at = self.now()
        try:
            response = getattr(client, cand.method)(**cand.params(acct.target))
            chain.answer = "ok"
        except ClientError as exc:
            response = exc.response
            chain.answer = error_code(exc)
        except BotoCoreError as exc:
            chain.fail_before(EVENT, f"{cand.operation} did not reach AWS: {exc}")
            return
        chain.request_id = response.get("ResponseMetadata", {}).get("RequestId")
        names = [LOGS, METRIC, ALARM, SNS] + ([ENDPOINT] if chain.queue_url else [])
        chain.links = [Link(name) for name in names]

    def advance(self, acct: _Account, chain: Chain) -> None:
        """Poll the chain's next links in order, as far as they have arrived."""
        for i, link in enumerate(chain.links):
            if link.status != "WAIT":
                continue
            if not self._poll(acct, chain, i, link) or chain.done:
                return

    def _poll(self, acct: _Account, chain: Chain, i: int, link: Link) -> bool:
        ctx = acct.ctx
        if link.name == LOGS:
            return poll_logs(ctx, chain, acct.log_group)
        if link.name == METRIC:
            return poll_metric(ctx, chain, link, self.now())
        if link.name == ALARM:
            return poll_alarm(ctx, chain, link)
        if link.name == SNS:
            alarm_at = chain.links[i - 1].at
            assert alarm_at is not None
            return poll_publish(ctx, chain, link, alarm_at)
        region = (self.endpoint or "").split(":")[3]
        return poll_endpoint(ctx, chain, link, region)


def run_canary(
    access: CountingAccess,
    plan: Plan,
    which: str = DEFAULT_CANARY,
    *,
    yes: bool = False,
    timeout_s: float = 900.0,
    poll_s: float = 5.0,
    endpoint: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CanaryReport:
    """Cause the canary event(s) of ``which`` (a control id, or ``all``) and follow each chain."""
    if not any(a.baseline is not None for a in plan.accounts):
        raise UsageError("the plan has no account with a baseline to send a canary through")
    run = CanaryRun(access, plan, which, endpoint=endpoint, now=now)
    run.preflight()
    ready = run.ready()
    caller = ""
    if ready:
        acct, chain = ready[0]
        sts = acct.ctx.client(chain.target.region, "sts")
        caller = str(sts.get_caller_identity().get("Arn", ""))
    pages = run.check_pages(yes, caller) if ready else []
    before = {a.target.account: trail_state(a.ctx, a.target) for a in run.accounts}
    report = CanaryReport([c for a in run.accounts for c in a.chains], run.without, pages=pages)
    try:
        run.subscribe_endpoint()
        for acct, chain in ready:
            run.cause(acct, chain)
        _follow(run, timeout_s, poll_s, on_progress, sleep, clock)
    finally:
        run.unsubscribe_endpoint()
    for acct in run.accounts:
        after = trail_state(acct.ctx, acct.target)
        report.trail_changes[acct.target.account] = what_changed(before[acct.target.account], after)
    return report


def _follow(
    run: CanaryRun,
    timeout_s: float,
    poll_s: float,
    on_progress: Callable[[int, int], None] | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    chains = [(a, c) for a in run.accounts for c in a.chains]
    total = sum(len(c.links) for _, c in chains)
    deadline = clock() + timeout_s
    while True:
        for acct, chain in chains:
            if not chain.done:
                run.advance(acct, chain)
        if on_progress is not None:
            on_progress(
                sum(1 for _, c in chains for link in c.links if link.status == "PASS"), total
            )
        left = deadline - clock()
        if all(c.done for _, c in chains) or left <= 0:
            break
        sleep(min(poll_s, left))
    for _, chain in chains:
        waiting = next((link for link in chain.links if link.status == "WAIT"), None)
        if waiting is not None:
            waiting.fail(f"did not arrive within {_duration(timeout_s)} of the event")


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds >= 60 else f"{seconds:g}s"
