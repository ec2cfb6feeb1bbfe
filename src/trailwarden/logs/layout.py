"""Which files and records a question is about: decided from a key alone, then from event times.

The key layout itself is ``trailstore.layout``. Pruning happens on keys so that accounts, Regions
and days outside the question are never downloaded. The name's timestamp is the delivery batch
time, not the event time, so time pruning keeps a slack on both ends and the records are
filtered again on ``eventTime``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from trailwarden.errors import UsageError
from trailwarden.trailstore import layout
from trailwarden.trailstore.layout import parse_key
from trailwarden.trailstore.records import is_insight_file

# Delivery usually lags the event by up to ~15 minutes; late deliveries exist, so be generous.
SLACK = timedelta(minutes=30)


@dataclass(frozen=True)
class Scope:
    """Which accounts, Regions and times a question is about (None = all)."""

    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    start: datetime | None = None
    end: datetime | None = None

    def wants_account(self, account: str) -> bool:
        return self.accounts is None or account in self.accounts

    def wants_region(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    def wants_day(self, day: date) -> bool:
        # A file delivered on ``day`` holds events from shortly before it: widen by the slack.
        lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
        hi = lo + timedelta(days=1)
        if self.start is not None and hi + SLACK < self.start:
            return False
        return not (self.end is not None and lo - SLACK > self.end)

    def wants_time(self, when: datetime | None) -> bool:
        """Whether an event at ``when`` is inside the window.

        A record without a time (None) is in no window, as SQL's ``NULL >= start`` is false: the
        same answer on files, on the database and on Athena; commands count such records.
        """
        if when is None:
            return self.start is None and self.end is None
        if self.start is not None and when < self.start:
            return False
        return not (self.end is not None and when > self.end)

    def wants_key(self, key: str) -> bool:
        """Decide from the key alone; keys outside the layout are read unless named as
        Insights or digest files."""
        info = parse_key(key)
        if info is None:
            # Outside the layout (a flat folder of downloads) the name still tells: Insights
            # and digest files hold no API calls.
            name = key.rsplit("/", 1)[-1]
            return not (is_insight_file(name) or "_CloudTrail-Digest_" in name)
        if info.kind != layout.LOGS:
            return False  # digests and Insights hold no events
        if not (self.wants_account(info.account) and self.wants_region(info.region)):
            return False
        if not self.wants_day(info.day):
            return False
        if info.delivered is not None:
            if self.start is not None and info.delivered + SLACK < self.start:
                return False
            if self.end is not None and info.delivered - SLACK > self.end:
                return False
        return True

    def days(self) -> list[date] | None:
        """The delivery days to list, or None when the window is open or too wide to enumerate."""
        if self.start is None or self.end is None:
            return None
        first = (self.start - SLACK).date()
        last = (self.end + SLACK).date()
        count = (last - first).days + 1
        if count > 366:
            return None
        return [first + timedelta(days=i) for i in range(count)]


def parse_time(text: str, *, end: bool = False) -> datetime:
    """Parse a --start/--end value: a date (an end date means the whole day) or an ISO time."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            when = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return when + timedelta(days=1, microseconds=-1) if end else when
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"invalid time {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def make_scope(
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Scope:
    """Build a Scope from CLI values, rejecting a window that ends before it starts."""
    s = parse_time(start) if start else None
    e = parse_time(end, end=True) if end else None
    if s is not None and e is not None and e < s:
        raise UsageError(f"--end-time {end} is before --start-time {start}")
    for acct in accounts or []:
        if not re.fullmatch(r"\d{12}", acct):
            raise UsageError(f"invalid account id {acct!r}: expected 12 digits")
    return Scope(
        frozenset(accounts) if accounts else None,
        frozenset(regions) if regions else None,
        s,
        e,
    )
