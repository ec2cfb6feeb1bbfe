"""The proofs that a planned trail works (issue 4 part 4), each PASS or FAIL with its evidence.

"Logging, validated, alarming", not "trail created": the trail is logging; its selectors are the
planned ones; a log file and a digest file arrived after logging started, and the digest chain
validates (``trailwarden.integrity``, the AWS CLI's verdicts); events reach the log group;
GetTrailStatus reports no delivery error; the planned CIS filters and alarms are in place and
the topic has a confirmed subscriber. The planned-state checks reuse apply's live checks, so
"as planned" means the same thing in both commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.apply.context import AccountContext
from trailwarden.apply.operations import State
from trailwarden.apply.runner import check_step
from trailwarden.arns import key_prefix_path
from trailwarden.aws.errors import unreachable
from trailwarden.errors import TrailwardenError
from trailwarden.integrity.keys import PublicKey
from trailwarden.plan.model import AccountPlan, Step

# NOT_AVAILABLE: what could not be read (verify --org); never a PASS.
Status = Literal["PASS", "FAIL", "NOT_AVAILABLE"]
DELIVERY_ERRORS = (
    "LatestDeliveryError",
    "LatestDigestDeliveryError",
    "LatestCloudWatchLogsDeliveryError",
    "LatestNotificationError",
)


@dataclass(frozen=True)
class Check:
    account: str
    name: str
    status: Status
    evidence: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "evidence": self.evidence}


def _after(obj: dict[str, Any] | None, start: datetime) -> dict[str, Any] | None:
    """The object if it arrived after ``start`` (S3 LastModified has whole seconds)."""
    if obj is None or obj["LastModified"] < start.replace(microsecond=0):
        return None
    return obj


class _Fail(Exception):
    """A check that did not pass; the message is its evidence."""


def _check(account: str, name: str, run: Callable[[], str]) -> Check:
    try:
        return Check(account, name, "PASS", run())
    except _Fail as exc:
        return Check(account, name, "FAIL", str(exc))
    except (ClientError, BotoCoreError, TrailwardenError) as exc:
        # A hanging endpoint reads as its URL and the wait, like every other command says it.
        why = unreachable(exc) or " ".join(str(exc).split())
        return Check(account, name, "FAIL", "cannot read: " + why)


class AccountVerifier:
    """Runs the checks of one planned account; ``public_keys`` skips ListPublicKeys."""

    def __init__(
        self,
        ctx: AccountContext,
        account: AccountPlan,
        steps: Sequence[Step],
        public_keys: Sequence[PublicKey] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        assert account.baseline is not None
        self.ctx = ctx
        self.b = account.baseline
        self.account = account.account
        self.steps = list(steps)
        self.public_keys = public_keys
        self.now = now
        self.status: dict[str, Any] = {}

    def run(self) -> list[Check]:
        a = self.account
        checks = [
            _check(a, "logging", self.logging),
            _check(a, "selectors as planned", self.selectors),
            _check(a, "log file delivered", self.log_file),
            _check(a, "digest file validates", self.digest),
            _check(a, "events in CloudWatch Logs", self.cloudwatch_events),
            _check(a, "no delivery errors", self.delivery_errors),
        ]
        if self.b.alarms is not None and self.planned("PutMetricAlarm"):
            checks.append(_check(a, "CIS filters and alarms as planned", self.alarms))
            checks.append(_check(a, "confirmed subscriber", self.subscriber))
        return checks

    # --- helpers ------------------------------------------------------------------------------

    @property
    def home(self) -> str:
        return self.b.trail.home_region

    def trail_status(self) -> dict[str, Any]:
        if not self.status:
            ct = self.ctx.client(self.home, "cloudtrail")
            self.status = dict(ct.get_trail_status(Name=self.b.trail_arn))
        return self.status

    def started(self) -> datetime:
        start = self.trail_status().get("StartLoggingTime")
        if not isinstance(start, datetime):
            raise _Fail("GetTrailStatus has no StartLoggingTime: logging never started")
        return start

    def logs_root(self) -> str:
        owner = self.b.org_id or self.account
        middle = f"{owner}/{self.account}" if self.b.org_id else owner
        return f"{key_prefix_path(self.b.bucket.prefix)}AWSLogs/{middle}/"

    def newest(self, prefix: str) -> dict[str, Any] | None:
        s3 = self.ctx.client(self.b.bucket.region, "s3")
        newest: dict[str, Any] | None = None
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.b.bucket.name, Prefix=prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                if newest is None or obj["LastModified"] > newest["LastModified"]:
                    newest = obj
        return newest

    def planned(self, operation: str) -> list[Step]:
        return [s for s in self.steps if s.operation == operation]

    # --- the checks ---------------------------------------------------------------------------

    def logging(self) -> str:
        status = self.trail_status()
        if not status.get("IsLogging"):
            raise _Fail(f"{self.b.trail.name}: IsLogging is false")
        return f"{self.b.trail.name}: IsLogging true since {self.started():%Y-%m-%dT%H:%M:%SZ}"

    def selectors(self) -> str:
        (step,) = self.planned("PutEventSelectors")
        if check_step(self.ctx, step) is not State.OK:
            raise _Fail("GetEventSelectors differs from the planned selectors")
        kind = "advanced" if "AdvancedEventSelectors" in step.params else "basic"
        return f"GetEventSelectors matches the planned {kind} selectors"

    def log_file(self) -> str:
        start = self.started()
        prefix = self.logs_root() + "CloudTrail/"
        newest = _after(self.newest(prefix), start)
        if newest is None:
            raise _Fail(f"no log file under s3://{self.b.bucket.name}/{prefix} since {start}")
        return f"s3://{self.b.bucket.name}/{newest['Key']} ({newest['LastModified']})"

    def digest(self) -> str:
        start = self.started()
        prefix = self.logs_root() + "CloudTrail-Digest/"
        newest = _after(self.newest(prefix), start)
        if newest is None:
            where = f"s3://{self.b.bucket.name}/{prefix}"
            raise _Fail(f"no digest file under {where} since {start}")
        report = self.validate(start)
        valid, total = report.counts("digest")
        logs_valid, logs_total = report.counts("log")
        if report.invalid or valid == 0:
            bad = report.invalid[0].line() if report.invalid else "no digest in range"
            raise _Fail(f"{valid}/{total} digest(s) valid: {bad}")
        return (
            f"{valid}/{total} digest(s) and {logs_valid}/{logs_total} log file(s) valid,"
            f" newest {newest['Key']}"
        )

    def validate(self, start: datetime) -> Any:
        from trailwarden.integrity.cloudtrail import public_key_loader
        from trailwarden.integrity.layout import Trail
        from trailwarden.integrity.options import Options, Scope
        from trailwarden.integrity.validator import validate
        from trailwarden.trailstore.s3 import S3Source, access_clients

        clients = access_clients(self.ctx.access, self.account)
        keys = self.public_keys
        loader = (
            (lambda _region: lambda _s, _e: list(keys))
            if keys is not None
            else public_key_loader(clients)
        )
        scope = Scope(
            bucket=self.b.bucket.name,
            prefix=self.b.bucket.prefix or "",
            trail=Trail(self.b.trail.name, self.home, self.b.trail_arn),
            accounts=frozenset({self.account}),
        )
        options = Options(start=start - timedelta(hours=2), end=self.now(), max_workers=4)
        return validate(S3Source(clients, 4), scope, options, loader, self.b.trail_arn)

    def cloudwatch_events(self) -> str:
        start = self.started()
        logs = self.ctx.client(self.home, "logs")
        got = logs.filter_log_events(
            logGroupName=self.b.cloudwatch.log_group,
            startTime=int(start.timestamp() * 1000),
            limit=1,
        )
        events = got.get("events", [])
        if not events:
            raise _Fail(f"no event in {self.b.cloudwatch.log_group} since {start}")
        when = datetime.fromtimestamp(events[0]["timestamp"] / 1000, UTC)
        return f"{self.b.cloudwatch.log_group}/{events[0].get('logStreamName', '?')} at {when}"

    def delivery_errors(self) -> str:
        status = self.trail_status()
        errors = {k: status[k] for k in DELIVERY_ERRORS if status.get(k)}
        if errors:
            raise _Fail("; ".join(f"{k}: {v}" for k, v in errors.items()))
        return "GetTrailStatus reports no delivery error"

    def alarms(self) -> str:
        steps = self.planned("PutMetricFilter") + self.planned("PutMetricAlarm")
        wrong = [s.target for s in steps if check_step(self.ctx, s) is not State.OK]
        if wrong:
            raise _Fail(f"not as planned: {', '.join(wrong)}")
        return f"{len(self.planned('PutMetricFilter'))} filters and alarms as planned"

    def subscriber(self) -> str:
        assert self.b.alarms is not None
        topic = self.b.alarms.topic_arn
        pages = self.ctx.client(self.home, "sns").get_paginator("list_subscriptions_by_topic")
        subs = [s for page in pages.paginate(TopicArn=topic) for s in page.get("Subscriptions", [])]
        confirmed = [s for s in subs if str(s.get("SubscriptionArn", "")).startswith("arn:")]
        if not confirmed:
            raise _Fail(f"{topic}: {len(subs)} subscription(s), none confirmed")
        return f"{topic}: {len(confirmed)} confirmed ({confirmed[0].get('Endpoint', '?')})"
