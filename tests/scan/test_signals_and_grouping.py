"""Health signals beside the verdicts, and root-cause grouping of failures."""

from __future__ import annotations

from datetime import timedelta

from tests.scan.build import MGMT, NOW, make_snapshot, make_trail

from trailwarden.controls import evaluate
from trailwarden.controls.causes import TrailCause
from trailwarden.controls.grouping import group_failures
from trailwarden.snapshot.model import Bucket, KmsKey, LogGroup, TrailStatus


def kinds(snap: object) -> set[str]:
    return {s.kind for s in evaluate(snap).signals}  # type: ignore[arg-type]


def test_healthy_trail_has_no_signals() -> None:
    assert kinds(make_snapshot([make_trail()])) == set()


def test_not_logging_and_delivery_errors() -> None:
    trail = make_trail()
    trail.status = TrailStatus(
        is_logging=False,
        latest_delivery_error="AccessDenied",
        latest_digest_delivery_error="AccessDenied",
    )
    assert {"trail-not-logging", "delivery-error", "digest-delivery-error"} <= kinds(
        make_snapshot([trail])
    )


def test_stale_and_failing_cloudwatch_delivery() -> None:
    stale = make_trail()
    stale.status = TrailStatus(
        is_logging=True, latest_cloudwatch_logs_delivery_time=NOW - timedelta(hours=25)
    )
    fresh = make_trail()
    fresh.status = TrailStatus(
        is_logging=True, latest_cloudwatch_logs_delivery_time=NOW - timedelta(hours=23)
    )
    broken = make_trail()
    broken.status = TrailStatus(is_logging=True, latest_cloudwatch_logs_delivery_error="role")
    assert "cloudwatch-delivery-stale" in kinds(make_snapshot([stale]))
    assert kinds(make_snapshot([fresh])) == set()
    assert "cloudwatch-delivery-error" in kinds(make_snapshot([broken]))


def test_a_failing_delivery_says_how_long_since_the_last_one() -> None:
    failing = make_trail()
    failing.status = TrailStatus(
        is_logging=True,
        latest_cloudwatch_logs_delivery_time=NOW - timedelta(days=3),
        latest_cloudwatch_logs_delivery_error="AccessDeniedException",
    )
    [signal] = [s for s in evaluate(make_snapshot([failing])).signals if "cloudwatch" in s.kind]
    assert signal.kind == "cloudwatch-delivery-error"
    assert "failed: AccessDeniedException" in signal.message
    assert f"last delivered at {NOW - timedelta(days=3):%Y-%m-%d %H:%M}Z" in signal.message


def test_disabled_key_missing_bucket_and_log_group() -> None:
    trail = make_trail()
    snap = make_snapshot(
        [trail],
        keys={MGMT: [KmsKey(arn=str(trail.kms_key_id), key_state="Disabled")]},
        buckets={MGMT: [Bucket(name=str(trail.s3_bucket_name), owned=False, exists=False)]},
        groups={
            MGMT: [
                LogGroup(
                    arn=str(trail.cloudwatch_logs_log_group_arn),
                    name="ct",
                    region="us-east-1",
                    account=MGMT,
                    exists=False,
                )
            ]
        },
    )
    assert {"kms-key-unusable", "bucket-missing", "log-group-missing"} <= kinds(snap)


def test_extra_copies_of_management_events_are_flagged_per_region() -> None:
    snap = make_snapshot([make_trail("a"), make_trail("b", multi=False)])
    extra = [s for s in evaluate(snap).signals if s.kind == "extra-management-copy"]
    assert [s.region for s in extra] == ["us-east-1"]  # b is single-Region in us-east-1
    assert "a, b" in extra[0].message and "$2.00 per 100,000" in extra[0].message


def test_data_events_flagged_for_cost() -> None:
    trail = make_trail(
        basic=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ]
    )
    assert "data-events" in kinds(make_snapshot([trail]))


def test_failures_of_one_trail_group_into_one_root_cause_with_one_fix() -> None:
    bad = make_trail(multi=False, kms_key_id=None, log_file_validation_enabled=False, tags={})
    groups = group_failures(evaluate(make_snapshot([bad])).findings)
    by_cause = {g.root_cause: g for g in groups}
    group = by_cause[TrailCause(bad.arn, owner=MGMT)]
    assert [c for c in group.controls if c.startswith("CloudTrail.")] == [
        "CloudTrail.1",
        "CloudTrail.2",
        "CloudTrail.3",
        "CloudTrail.4",
        "CloudTrail.9",
    ]
    fix = group.fix()
    assert "multi-Region" in fix and "validation" in fix and "KMS" in fix and "tag" in fix
    # The Region the single-Region trail does not cover fails for the same trail, not separately.
    assert set(by_cause) == {TrailCause(bad.arn, owner=MGMT)}


def test_missing_trail_group_says_create_one() -> None:
    groups = group_failures(evaluate(make_snapshot([])).findings)
    assert len(groups) == 1 and groups[0].is_missing_trail
    assert groups[0].fix().startswith("create one multi-Region trail")
