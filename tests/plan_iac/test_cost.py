"""Cost estimate (docs/aws-facts/cost.md): the worked examples, free tiers, and honest confidence
labels."""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.plan.cost import (
    LOG_FILES_PER_REGION_MONTH,
    CostInputs,
    estimate,
    inputs_for_baseline,
)


def _line(result: Any, item: str) -> Any:
    return next(line for line in result.lines if line.item.startswith(item))


def test_spec_worked_example_management_copy() -> None:
    # docs/aws-facts/cost.md#cloudtrail-pricing: 150k management events delivered to 2 trails => the
    # second copy costs $3.
    result = estimate(CostInputs(management_events_per_month=150_000, paid_management_copies=1))
    line = _line(result, "extra management-event copies")
    assert line.usd_per_month == pytest.approx(3.00)
    assert line.confidence == "AWS"
    assert result.total_usd_per_month == pytest.approx(3.00) and result.confidence == "AWS"


def test_spec_worked_example_data_events() -> None:
    # docs/aws-facts/cost.md#cloudtrail-pricing: 2M data events => $2, billed for the first copy
    # too.
    result = estimate(
        CostInputs(
            management_events_per_month=0, data_events_per_month=2_000_000, data_event_copies=1
        )
    )
    assert _line(result, "data events").usd_per_month == pytest.approx(2.00)


def test_repairing_the_existing_trail_adds_no_event_charge() -> None:
    result = estimate(CostInputs(management_events_per_month=5_000_000, paid_management_copies=0))
    assert result.lines == () and result.total_usd_per_month == 0


def test_cloudwatch_ingestion_free_tier() -> None:
    small = estimate(
        CostInputs(management_events_per_month=0, cloudwatch_events_per_month=1_000_000)
    )
    line = _line(small, "CloudWatch Logs")
    assert line.quantity == pytest.approx(1.5) and line.usd_per_month == 0
    assert line.confidence == "AWS", "inside the free tier only the [AWS] free-tier fact is used"
    big = estimate(
        CostInputs(management_events_per_month=0, cloudwatch_events_per_month=10_000_000)
    )
    line = _line(big, "CloudWatch Logs")
    assert line.usd_per_month == pytest.approx((15 - 5) * 0.50)
    assert line.confidence == "UNCONFIRMED" and big.confidence == "UNCONFIRMED"


@pytest.mark.parametrize(("existing", "billable"), [(0, 4), (10, 14), (3, 7)])
def test_alarm_free_tier(existing: int, billable: int) -> None:
    result = estimate(
        CostInputs(management_events_per_month=0, new_alarms=14, existing_alarms=existing)
    )
    assert _line(result, "CloudWatch alarms").usd_per_month == pytest.approx(billable * 0.10)


def test_inputs_for_baseline(make_baseline: Any) -> None:
    baseline = make_baseline()
    inputs = inputs_for_baseline(
        baseline, management_events_per_month=300_000, regions=17, creates_paid_copy=True
    )
    assert inputs.new_kms_keys == 1 and inputs.new_alarms == 14
    assert inputs.kms_requests_per_month == 17 * LOG_FILES_PER_REGION_MONTH
    assert any("300,000 management events" in a for a in inputs.assumptions)
    result = estimate(inputs)
    items = {line.item.split(" ")[0] for line in result.lines}
    assert {"extra", "KMS", "CloudWatch"} <= items
    assert result.total_usd_per_month == pytest.approx(
        sum(line.usd_per_month for line in result.lines)
    )
    assert _line(result, "extra management-event copies").usd_per_month == pytest.approx(6.00)
    assert _line(result, "KMS keys").confidence == "UNCONFIRMED"

    plain = inputs_for_baseline(
        make_baseline(kms_key="none", alarms=False),
        management_events_per_month=300_000,
        regions=17,
        creates_paid_copy=False,
    )
    assert plain.new_kms_keys == 0 and plain.kms_requests_per_month == 0
    assert plain.new_alarms == 0 and plain.paid_management_copies == 0
