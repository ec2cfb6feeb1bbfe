"""Covered hours and gaps from digest end times, and the trail history's matching: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trailwarden.evidence.coverage import SCHEMA, Coverage, chain_coverage, covered_hour
from trailwarden.evidence.history import AroundTimes, config_event, explains

T0 = datetime(2025, 6, 1, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_digest_counts_for_the_hour_it_mostly_covers() -> None:
    assert covered_hour(T0 + H + timedelta(minutes=0, seconds=12)) == T0
    assert covered_hour(T0 + timedelta(minutes=34)) == T0
    assert covered_hour(T0 + timedelta(minutes=29)) == T0 - H


def test_gaps_are_runs_of_hours_without_a_digest() -> None:
    ends = [T0 + h * H + timedelta(minutes=34) for h in range(24) if not 5 <= h < 9]
    chain = chain_coverage("111111111111", "us-east-1", "t@us-east-1", ends, T0, T0 + 24 * H)
    assert chain.covered_hours == 20 and len(chain.hours) == 24
    assert [(g.start, g.end, g.hours) for g in chain.gaps] == [(T0 + 5 * H, T0 + 9 * H, 4)]
    assert chain.first_delivered == T0 and chain.last_delivered == T0 + 23 * H
    assert chain.percent == round(100 * 20 / 24, 2)


def test_a_chain_without_digests_is_one_gap_over_the_period() -> None:
    chain = chain_coverage("111111111111", "eu-west-1", None, [], T0, T0 + 48 * H)
    assert [g.hours for g in chain.gaps] == [48]
    assert chain.first_delivered is None and not chain.complete
    doc = Coverage("b", "", None, T0, T0 + 48 * H, [chain]).to_json()
    assert doc["schema"] == SCHEMA == "trailwarden.coverage/1"
    assert doc["summary"] == {
        "chains": 1,
        "chains_complete": 0,
        "period_hours": 48,
        "covered_hours": 0,
        "gaps": 1,
    }


def test_digests_outside_the_period_do_not_count() -> None:
    ends = [T0 - 3 * H + timedelta(minutes=34), T0 + timedelta(minutes=34)]
    chain = chain_coverage("111111111111", "us-east-1", None, ends, T0, T0 + 2 * H)
    assert chain.covered_hours == 1 and chain.gaps[0].start == T0 + H


def _record(name: str, params: dict[str, str], when: datetime) -> dict[str, object]:
    return {
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requestParameters": params,
        "userIdentity": {"arn": "arn:aws:iam::111111111111:user/mallory"},
        "sourceIPAddress": "198.51.100.7",
        "recipientAccountId": "111111111111",
        "awsRegion": "us-east-1",
        "eventID": "e1",
    }


def test_config_events_name_the_trail_by_name_or_arn() -> None:
    arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
    stop = config_event(_record("StopLogging", {"name": arn}, T0), "main")
    assert stop is not None and stop.who.endswith("user/mallory")
    assert stop.source_ip == "198.51.100.7"
    assert config_event(_record("PutEventSelectors", {"trailName": "main"}, T0), "main")
    assert config_event(_record("StopLogging", {"name": "other"}, T0), "main") is None
    assert config_event(_record("LookupEvents", {"name": "main"}, T0), "main") is None
    assert explains(stop, T0 + timedelta(minutes=20), T0 + 5 * H)
    assert not explains(stop, T0 + 5 * H, T0 + 6 * H)


def test_history_reads_only_the_owner_home_region_near_the_times() -> None:
    want = AroundTimes("111111111111", "us-east-1", [(T0 + 5 * H, T0 + 5 * H)])
    base = "AWSLogs/111111111111/CloudTrail/us-east-1/2025/06/01/"
    near = base + "111111111111_CloudTrail_us-east-1_20250601T0540Z_abc.json.gz"
    far = base + "111111111111_CloudTrail_us-east-1_20250601T1540Z_abc.json.gz"
    other = near.replace("us-east-1", "eu-west-1")
    assert want.wants_key(near) and not want.wants_key(far) and not want.wants_key(other)
    assert want.days() == [T0.date()]


def test_periods_by_months_and_in_the_future() -> None:
    import pytest

    from trailwarden.cli.evidence import months_back, resolve_period
    from trailwarden.errors import UsageError

    assert months_back(datetime(2025, 3, 31, 12, tzinfo=UTC), 1) == datetime(
        2025, 2, 28, 12, tzinfo=UTC
    )
    assert months_back(datetime(2025, 1, 15, tzinfo=UTC), 12) == datetime(2024, 1, 15, tzinfo=UTC)
    now = datetime(2025, 6, 10, tzinfo=UTC)
    start, end, notes = resolve_period("2025-06-01", "2025-07-01", None, now)
    assert (start, end) == (datetime(2025, 6, 1, tzinfo=UTC), now) and "future" in notes[0]
    assert resolve_period(None, None, 3, now)[:2] == (datetime(2025, 3, 10, tzinfo=UTC), now)
    with pytest.raises(UsageError, match="future"):
        resolve_period("2025-06-11", None, None, now)
    with pytest.raises(UsageError, match="not both"):
        resolve_period("2025-06-01", None, 3, now)
