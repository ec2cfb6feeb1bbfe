"""Monthly cost of a baseline change, from the facts in docs/aws-facts/cost.md, each labelled with
its confidence.

Prices are AWS's published ones (docs/aws-facts/cost.md), not looked up: a figure is only as good as
its weakest input, so every line carries the confidence of the facts it used (``AWS`` = AWS pricing
page, ``UNCONFIRMED`` = commonly quoted but not confirmed against AWS here) and every volume the
caller guessed is listed under ``assumptions``. Usage volumes come from the caller (plan knows the
snapshot); no AWS calls here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trailwarden.plan.baseline import Baseline

Confidence = Literal["AWS", "UNCONFIRMED"]
_RANK: dict[Confidence, int] = {"AWS": 0, "UNCONFIRMED": 1}


class Price(BaseModel):
    model_config = ConfigDict(frozen=True)
    usd: float
    per: int
    unit: str
    confidence: Confidence
    source: str


PRICING_PAGE = "aws.amazon.com/cloudtrail/pricing"
PRICES: dict[str, Price] = {
    # The first copy of management events per Region is free; each additional copy is billed.
    "management_copy": Price(
        usd=2.00, per=100_000, unit="events", confidence="AWS", source=PRICING_PAGE
    ),
    # Data events are billed for every copy, including the first.
    "data_event": Price(
        usd=0.10, per=100_000, unit="events", confidence="AWS", source=PRICING_PAGE
    ),
    "kms_key": Price(
        usd=1.00,
        per=1,
        unit="key-month",
        confidence="UNCONFIRMED",
        source="aws.amazon.com/kms/pricing (not checked)",
    ),
    "kms_request": Price(
        usd=0.03,
        per=10_000,
        unit="requests",
        confidence="UNCONFIRMED",
        source="commonly quoted KMS request price (not checked)",
    ),
    "logs_ingest": Price(
        usd=0.50,
        per=1,
        unit="GB",
        confidence="UNCONFIRMED",
        source="third-party quotes of us-east-1 standard ingestion",
    ),
    "alarm": Price(
        usd=0.10,
        per=1,
        unit="alarm-month",
        confidence="UNCONFIRMED",
        source="commonly quoted standard alarm price",
    ),
}
LOGS_FREE_GB = 5.0  # [AWS] aws.amazon.com/cloudwatch/pricing: ingestion+archive+Insights
ALARMS_FREE = 10  # [AWS] same page: 10 standard alarm metrics
LOG_FILES_PER_REGION_MONTH = 12 * 24 * 30  # CloudTrail delivers about every 5 minutes per Region
DEFAULT_EVENT_BYTES = 1500  # assumption: a typical CloudTrail record, uncompressed JSON


class CostInputs(BaseModel):
    """Monthly usage the change adds. ``paid_management_copies`` is 0 when the baseline repairs
    the trail that already holds the free copy, 1 when it adds a trail next to one."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    management_events_per_month: int = Field(ge=0)
    paid_management_copies: int = Field(0, ge=0)
    data_events_per_month: int = Field(0, ge=0)
    data_event_copies: int = Field(0, ge=0)
    new_kms_keys: int = Field(0, ge=0)
    kms_requests_per_month: int = Field(0, ge=0)
    cloudwatch_events_per_month: int = Field(0, ge=0)
    average_event_bytes: int = Field(DEFAULT_EVENT_BYTES, ge=1)
    cloudwatch_free_gb_remaining: float = Field(LOGS_FREE_GB, ge=0)
    new_alarms: int = Field(0, ge=0)
    existing_alarms: int = Field(0, ge=0)
    assumptions: tuple[str, ...] = ()


class CostLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    item: str
    quantity: float
    unit: str
    usd_per_month: float
    confidence: Confidence
    basis: str


class CostEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)
    lines: tuple[CostLine, ...]
    total_usd_per_month: float
    confidence: Confidence  # the weakest confidence among the lines that cost money
    assumptions: tuple[str, ...]


def _line(item: str, quantity: float, billable: float, key: str, free_note: str = "") -> CostLine:
    price = PRICES[key]
    usd = round(billable / price.per * price.usd, 2)
    # A line that stays inside a free tier rests only on the free-tier fact (an [AWS] one).
    confidence: Confidence = price.confidence if billable > 0 else "AWS"
    basis = f"{billable:,.0f} {price.unit} x ${price.usd}/{price.per:,} ({price.source})"
    return CostLine(
        item=item,
        quantity=quantity,
        unit=price.unit,
        usd_per_month=usd,
        confidence=confidence,
        basis=basis + free_note,
    )


def estimate(inputs: CostInputs) -> CostEstimate:
    lines: list[CostLine] = []
    if inputs.paid_management_copies:
        events = inputs.management_events_per_month * inputs.paid_management_copies
        lines.append(_line("extra management-event copies", events, events, "management_copy"))
    if inputs.data_event_copies and inputs.data_events_per_month:
        events = inputs.data_events_per_month * inputs.data_event_copies
        lines.append(_line("data events", events, events, "data_event"))
    if inputs.new_kms_keys:
        lines.append(_line("KMS keys", inputs.new_kms_keys, inputs.new_kms_keys, "kms_key"))
    if inputs.kms_requests_per_month:
        n = inputs.kms_requests_per_month
        lines.append(_line("KMS requests (GenerateDataKey per log file)", n, n, "kms_request"))
    if inputs.cloudwatch_events_per_month:
        gb = inputs.cloudwatch_events_per_month * inputs.average_event_bytes / 1e9
        billable = max(0.0, gb - inputs.cloudwatch_free_gb_remaining)
        note = f"; first {inputs.cloudwatch_free_gb_remaining:g} GB free [AWS]"
        lines.append(
            _line("CloudWatch Logs ingestion", round(gb, 3), billable, "logs_ingest", note)
        )
    if inputs.new_alarms:
        free_left = max(0, ALARMS_FREE - inputs.existing_alarms)
        billable_alarms = max(0, inputs.new_alarms - free_left)
        note = f"; {ALARMS_FREE} alarms free per account [AWS], {inputs.existing_alarms} in use"
        lines.append(_line("CloudWatch alarms", inputs.new_alarms, billable_alarms, "alarm", note))
    paid = [line for line in lines if line.usd_per_month > 0]
    weakest: Confidence = max(
        (line.confidence for line in paid), key=lambda c: _RANK[c], default="AWS"
    )
    return CostEstimate(
        lines=tuple(lines),
        total_usd_per_month=round(sum(line.usd_per_month for line in lines), 2),
        confidence=weakest,
        assumptions=inputs.assumptions,
    )


def inputs_for_baseline(
    baseline: Baseline,
    *,
    management_events_per_month: int,
    regions: int,
    creates_paid_copy: bool,
    existing_alarms: int = 0,
    new_alarms: int | None = None,
    creates_key: bool | None = None,
    events_estimated: bool = True,
) -> CostInputs:
    """The usage a baseline adds to an account with ``regions`` enabled Regions.

    ``management_events_per_month`` counts the account's management events in all Regions (they
    all reach the one multi-Region trail and its log group). ``creates_paid_copy`` is true when
    another trail already records management events, so this trail's copy is the billed one.
    """
    kms = baseline.kms.mode != "none"
    alarms = len(baseline.alarms.alarms) if baseline.alarms else 0
    assumptions = [
        f"{LOG_FILES_PER_REGION_MONTH:,} log files per Region per month (one about every 5 min)",
        f"{DEFAULT_EVENT_BYTES} bytes per event sent to CloudWatch Logs",
    ]
    if events_estimated:
        assumptions.insert(0, f"{management_events_per_month:,} management events per month")
    return CostInputs(
        management_events_per_month=management_events_per_month,
        paid_management_copies=1 if creates_paid_copy else 0,
        new_kms_keys=int(baseline.kms.mode == "new" if creates_key is None else creates_key),
        kms_requests_per_month=LOG_FILES_PER_REGION_MONTH * regions if kms else 0,
        cloudwatch_events_per_month=management_events_per_month,
        new_alarms=alarms if new_alarms is None else new_alarms,
        existing_alarms=existing_alarms,
        assumptions=tuple(assumptions),
    )
