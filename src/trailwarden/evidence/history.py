"""The trail's own logging history, read from its logs: who created, changed, stopped, started or
deleted it, when and from where.

CloudTrail records these calls in the trail's home Region of the account that owns it, like any
management event, so only that account's and Region's log files are read, and only on the days
asked for. Pure: reads through the trail store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from trailwarden.trailstore import layout
from trailwarden.trailstore.files import TrailFiles
from trailwarden.trailstore.records import ReadStats, event_time, iter_file_records

CONFIG_EVENTS = frozenset(
    {
        "CreateTrail",
        "UpdateTrail",
        "StartLogging",
        "StopLogging",
        "PutEventSelectors",
        "PutInsightSelectors",
        "DeleteTrail",
    }
)
# Delivery lags the call by up to ~15 minutes, sometimes more: files a little after are read.
SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class ConfigEvent:
    time: datetime
    event: str
    trail: str  # the name or ARN the call gave
    who: str
    source_ip: str | None
    user_agent: str | None
    account: str
    region: str
    error: str | None  # the call failed (an AccessDenied StopLogging stopped nothing)
    event_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "time": layout.fmt_display(self.time),
            "event": self.event,
            "trail": self.trail,
            "who": self.who,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "account": self.account,
            "region": self.region,
            "error": self.error,
            "event_id": self.event_id,
        }

    def line(self) -> str:
        failed = f" (failed: {self.error})" if self.error else ""
        where = f" from {self.source_ip}" if self.source_ip else ""
        return f"{layout.fmt_display(self.time)} {self.event}{failed} by {self.who}{where}"


def _trail_named(params: dict[str, Any]) -> str:
    value = params.get("name") or params.get("trailName") or ""
    return str(value)


def names_trail(given: str, trail_name: str | None) -> bool:
    """Whether a call's name-or-ARN parameter names the trail (None: any trail)."""
    if trail_name is None:
        return True
    return given == trail_name or given.endswith(f":trail/{trail_name}")


def config_event(record: dict[str, Any], trail_name: str | None) -> ConfigEvent | None:
    """The record as a configuration event of the trail, or None."""
    if record.get("eventSource") != "cloudtrail.amazonaws.com":
        return None
    name = record.get("eventName")
    if name not in CONFIG_EVENTS:
        return None
    params = record.get("requestParameters") or {}
    trail = _trail_named(params) if isinstance(params, dict) else ""
    when = event_time(record)
    if when is None or not names_trail(trail, trail_name):
        return None
    identity = record.get("userIdentity") or {}
    who = str(
        identity.get("arn")
        or identity.get("invokedBy")
        or identity.get("principalId")
        or identity.get("type")
        or "unknown"
    )
    return ConfigEvent(
        when,
        str(name),
        trail,
        who,
        record.get("sourceIPAddress"),
        record.get("userAgent"),
        str(record.get("recipientAccountId") or identity.get("accountId") or ""),
        str(record.get("awsRegion") or ""),
        record.get("errorCode"),
        record.get("eventID"),
    )


class AroundTimes:
    """A key filter: one account's log files in one Region, delivered near some times (or over
    a whole window)."""

    def __init__(
        self, account: str, region: str, windows: Iterable[tuple[datetime, datetime]]
    ) -> None:
        self.account, self.region = account, region
        self.windows = [(lo - SLACK, hi + SLACK) for lo, hi in windows]

    def wants_account(self, account: str) -> bool:
        return account == self.account

    def wants_region(self, region: str) -> bool:
        return region == self.region

    def wants_key(self, key: str) -> bool:
        info = layout.parse_key(key)
        if info is None or info.kind != layout.LOGS:
            return False
        if info.account != self.account or info.region != self.region:
            return False
        when = info.delivered or datetime(info.day.year, info.day.month, info.day.day, tzinfo=UTC)
        slack = timedelta(0) if info.delivered else timedelta(days=1)
        return any(lo - slack <= when <= hi for lo, hi in self.windows)

    def days(self) -> list[date] | None:
        days: set[date] = set()
        for lo, hi in self.windows:
            day = lo.date()
            while day <= hi.date():
                days.add(day)
                day += timedelta(days=1)
        return sorted(days)


def read_history(
    files: TrailFiles,
    account: str,
    region: str,
    trail_name: str | None,
    windows: Iterable[tuple[datetime, datetime]],
    stats: ReadStats | None = None,
) -> list[ConfigEvent]:
    """The trail's configuration events in the log files of ``account`` and ``region`` delivered
    within the windows, oldest first."""
    want = AroundTimes(account, region, windows)
    if not want.windows:
        return []
    found: dict[tuple[str | None, datetime, str], ConfigEvent] = {}
    for _ref, records in iter_file_records(
        files,
        want,
        stats or ReadStats(),
        prefilter=lambda data: b"cloudtrail.amazonaws.com" in data,
    ):
        for record in records:
            event = config_event(record, trail_name)
            if event is not None:
                found[(event.event_id, event.time, event.event)] = event
    return sorted(found.values(), key=lambda e: e.time)


def explains(event: ConfigEvent, start: datetime, end: datetime) -> bool:
    """Whether an event may explain a gap [start, end): logging stopped or the trail changed or
    went away near its start, or logging started or the trail was created near its end."""
    near_start = start - SLACK <= event.time <= start + SLACK
    near_end = end - SLACK <= event.time <= end + SLACK
    inside = start <= event.time <= end
    return near_start or near_end or inside
