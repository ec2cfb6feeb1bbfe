"""Which hours of a period a trail's digests cover, per account x Region: from keys alone.

CloudTrail writes a digest every hour a trail logs, even when no log file was delivered
(docs/aws-facts/digests.md), and names it after its end time. A digest ending at ``T`` covers
the hour before it, so it is counted for the UTC hour holding ``T - 30 min``: the hour it mostly
covers, whatever minute the delivery drifted to. An hour with no digest is a gap: logging was
off, the trail did not exist yet, or the files were deleted. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from trailwarden.evidence.history import ConfigEvent
from trailwarden.trailstore.layout import fmt_display

SCHEMA = "trailwarden.coverage/1"
HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)


def floor_hour(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def period_hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours that overlap [start, end)."""
    hour, hours = floor_hour(start), []
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def covered_hour(digest_end: datetime) -> datetime:
    """The hour a digest ending at ``digest_end`` mostly covers."""
    return floor_hour(digest_end - HALF_HOUR)


@dataclass
class Gap:
    start: datetime
    end: datetime
    explained_by: list[ConfigEvent] = field(default_factory=list)

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / HOUR)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": fmt_display(self.start),
            "end": fmt_display(self.end),
            "hours": self.hours,
            "explained_by": [e.to_json() for e in self.explained_by],
        }


@dataclass
class Validation:
    """The integrity module's verdicts over the chain (all hours, or sampled ones)."""

    hours: list[datetime] | None  # None: the whole period
    digests_valid: int = 0
    digests_total: int = 0
    logs_valid: int = 0
    logs_total: int = 0
    invalid: list[dict[str, Any]] = field(default_factory=list)  # the validation items

    @property
    def ok(self) -> bool:
        return not self.invalid

    def to_json(self) -> dict[str, Any]:
        return {
            "sampled_hours": None if self.hours is None else [fmt_display(h) for h in self.hours],
            "digests_valid": self.digests_valid,
            "digests_total": self.digests_total,
            "logs_valid": self.logs_valid,
            "logs_total": self.logs_total,
            "invalid": self.invalid,
        }


@dataclass
class ChainCoverage:
    """One account x Region (x trail) over the period."""

    account: str
    region: str
    trail: str | None  # "name@home", None when no digest names one
    hours: list[datetime]  # the period's hours
    covered: set[datetime]
    digests: int
    first_delivered: datetime | None
    last_delivered: datetime | None
    gaps: list[Gap]
    validation: Validation | None = None

    @property
    def covered_hours(self) -> int:
        return len(self.covered)

    @property
    def percent(self) -> float:
        return round(100.0 * len(self.covered) / len(self.hours), 2) if self.hours else 100.0

    @property
    def complete(self) -> bool:
        return not self.gaps and (self.validation is None or self.validation.ok)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "trail": self.trail,
            "period_hours": len(self.hours),
            "covered_hours": self.covered_hours,
            "covered_percent": self.percent,
            "digests": self.digests,
            "first_delivered_hour": _display(self.first_delivered),
            "last_delivered_hour": _display(self.last_delivered),
            "gaps": [g.to_json() for g in self.gaps],
            "validation": self.validation.to_json() if self.validation else None,
        }

    def row(self) -> dict[str, Any]:
        """One flat row (table and CSV)."""
        row: dict[str, Any] = {
            "account": self.account,
            "region": self.region,
            "covered_hours": self.covered_hours,
            "period_hours": len(self.hours),
            "covered_pct": self.percent,
            "gaps": len(self.gaps),
            "gap_hours": sum(g.hours for g in self.gaps),
            "first_delivered": _display(self.first_delivered),
            "last_delivered": _display(self.last_delivered),
        }
        if self.validation is not None:
            v = self.validation
            row["digests_valid"] = f"{v.digests_valid}/{v.digests_total}"
            row["logs_valid"] = f"{v.logs_valid}/{v.logs_total}"
        return row


def _display(when: datetime | None) -> str | None:
    return fmt_display(when) if when else None


def chain_coverage(
    account: str,
    region: str,
    trail: str | None,
    digest_ends: Iterable[datetime],
    start: datetime,
    end: datetime,
) -> ChainCoverage:
    """Coverage of one chain from its digests' end times (as named in their keys)."""
    hours = period_hours(start, end)
    delivered = sorted({covered_hour(t) for t in digest_ends})
    in_period = set(hours)
    covered = {h for h in delivered if h in in_period}
    gaps: list[Gap] = []
    for hour in hours:
        if hour in covered:
            continue
        if gaps and gaps[-1].end == hour:
            gaps[-1].end = hour + HOUR
        else:
            gaps.append(Gap(hour, hour + HOUR))
    return ChainCoverage(
        account,
        region,
        trail,
        hours,
        covered,
        len(delivered),
        min(covered) if covered else None,
        max(covered) if covered else None,
        gaps,
    )


@dataclass
class Coverage:
    """The coverage proof: every chain of the trail (or bucket) over the period."""

    bucket: str
    prefix: str
    trail_arn: str | None
    start: datetime
    end: datetime
    chains: list[ChainCoverage]
    history: list[ConfigEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when any hour is uncovered or any validated file is invalid."""
        return 0 if self.chains and all(c.complete for c in self.chains) else 1

    def to_json(self) -> dict[str, Any]:
        total = sum(len(c.hours) for c in self.chains)
        covered = sum(c.covered_hours for c in self.chains)
        return {
            "schema": SCHEMA,
            "trail_arn": self.trail_arn,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "start": fmt_display(self.start),
            "end": fmt_display(self.end),
            "summary": {
                "chains": len(self.chains),
                "chains_complete": sum(1 for c in self.chains if c.complete),
                "period_hours": total,
                "covered_hours": covered,
                "gaps": sum(len(c.gaps) for c in self.chains),
            },
            "chains": [c.to_json() for c in self.chains],
            "history": [e.to_json() for e in self.history],
            "notes": list(self.notes),
        }

    def rows(self) -> list[dict[str, Any]]:
        return [c.row() for c in self.chains]
