"""Alarm replay: would the metric-filter alarms have fired on this history, when, and on what?

Each alarm is a filter pattern (evaluated by ``trailwarden.filterpattern``) feeding a metric
(one per matching event) and a CloudWatch alarm on it: ``statistic`` Sum over ``period`` seconds,
``threshold`` with >=, ``evaluation_periods`` consecutive breaching periods. Periods are aligned
to multiples of ``period`` since the epoch, as CloudWatch aggregates datapoints; periods without
events are not breaching (CIS: treatMissingData notBreaching). A firing is a transition from OK
to ALARM; the alarm returns to OK at the first period that does not breach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from trailwarden.errors import UsageError
from trailwarden.filterpattern import compile_pattern, parse
from trailwarden.filterpattern.compiler import Predicate
from trailwarden.jsonfile import parse_yaml, read_limited
from trailwarden.trailstore.records import Record, event_time

# A patterns file lists metric filters (at most 1,024 characters each): a few hundred KB at most.
PATTERNS_BYTES = 16 * 2**20


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    pattern: str
    period: int = 300
    threshold: float = 1.0
    evaluation_periods: int = 1


@dataclass
class Firing:
    alarm: str
    start: datetime  # first breaching period's start
    end: datetime  # last breaching period's end, or when the alarm went back to OK
    count: int = 0
    event_ids: list[str] = field(default_factory=list)
    event_names: set[str] = field(default_factory=set)


def cis_specs() -> list[AlarmSpec]:
    from trailwarden.filterpattern.cis import CIS_CONTROLS

    return [
        AlarmSpec(
            f"{c.control_id} {c.metric_name}",
            c.pattern,
            c.period,
            c.threshold,
            c.evaluation_periods,
        )
        for c in CIS_CONTROLS
    ]


def load_specs(path: Path) -> list[AlarmSpec]:
    """A JSON or YAML list of {name|control|filterName, pattern|filterPattern, period?, ...}."""
    data = read_limited(path, "patterns", PATTERNS_BYTES)
    try:
        doc = parse_yaml(data.decode())  # YAML is a superset of JSON
    except (yaml.YAMLError, ValueError) as exc:
        raise UsageError(f"cannot read patterns file {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, list) or not doc:
        raise UsageError(f"{path}: expected a non-empty list of {{name, pattern}} objects")
    specs = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise UsageError(f"{path}: item {i + 1} is not an object")
        pattern = item.get("pattern", item.get("filterPattern"))
        if not isinstance(pattern, str):
            raise UsageError(f"{path}: item {i + 1} has no pattern")
        name = item.get("name") or item.get("control") or item.get("filterName") or f"#{i + 1}"
        try:
            specs.append(
                AlarmSpec(
                    str(name),
                    pattern,
                    int(item.get("period", 300)),
                    float(item.get("threshold", 1)),
                    int(item.get("evaluation_periods", 1)),
                )
            )
        except (TypeError, ValueError):
            raise UsageError(f"{path}: item {i + 1} has a non-numeric alarm setting") from None
    return specs


def replay(records: Iterable[Record], specs: list[AlarmSpec]) -> list[Firing]:
    """Evaluate every spec over the records; return the firings, oldest first."""
    compiled: list[tuple[AlarmSpec, Predicate]] = []
    for spec in specs:
        if spec.period <= 0 or spec.evaluation_periods <= 0:
            raise UsageError(f"alarm {spec.name}: period and evaluation periods must be positive")
        compiled.append((spec, compile_pattern(parse(spec.pattern))))
    # alarm name -> period index -> (count, [(time, eventID, eventName)])
    buckets: dict[str, dict[int, list[tuple[datetime, str, str]]]] = {s.name: {} for s in specs}
    for rec in records:
        hits = [spec for spec, pred in compiled if pred(rec)]
        if not hits:
            continue
        when = event_time(rec)
        if when is None:
            continue  # an event without a time cannot be placed in a period
        for spec in hits:
            idx = int(when.timestamp()) // spec.period
            buckets[spec.name].setdefault(idx, []).append(
                (when, str(rec.get("eventID", "")), str(rec.get("eventName", "")))
            )
    firings: list[Firing] = []
    for spec in specs:
        firings.extend(_fire(spec, buckets[spec.name]))
    firings.sort(key=lambda f: (f.start, f.alarm))
    return firings


def _fire(spec: AlarmSpec, periods: dict[int, list[tuple[datetime, str, str]]]) -> list[Firing]:
    out: list[Firing] = []
    current: Firing | None = None
    streak: list[int] = []
    for idx in sorted(periods):
        if streak and idx != streak[-1] + 1:
            streak, current = [], None  # a gap is a non-breaching period: back to OK
        if len(periods[idx]) < spec.threshold:
            streak, current = [], None
            continue
        streak.append(idx)
        if current is None and len(streak) >= spec.evaluation_periods:
            start = _at(streak[-spec.evaluation_periods] * spec.period)
            current = Firing(spec.name, start, start)
            out.append(current)
            pending = streak[-spec.evaluation_periods :]
        elif current is not None:
            pending = [idx]
        else:
            continue
        for p in pending:
            for _when, eid, name in sorted(periods[p]):
                current.count += 1
                current.event_ids.append(eid)
                current.event_names.add(name)
        current.end = _at((idx + 1) * spec.period)
    return out


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def firing_rows(firings: list[Firing]) -> list[dict[str, Any]]:
    return [
        {
            "alarm": f.alarm,
            "firedAt": f.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "until": f.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "events": f.count,
            "eventNames": ",".join(sorted(f.event_names)),
            "eventIDs": f.event_ids,
        }
        for f in firings
    ]


def dumps_ids(ids: list[str], limit: int = 3) -> str:
    """Event ids for a table cell: the first few, then how many more."""
    head = ", ".join(ids[:limit])
    return head + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")
