"""Findings, signals and control metadata: what the controls stage produces (pure data).

A leaf: it imports nothing else from the package but the root causes, so every other controls
module (and the reports) can import it without a cycle.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from trailwarden.controls.causes import RootCause


class Status(enum.StrEnum):
    """Security Hub's compliance statuses, plus its "No data" kept apart from unknowns.

    NOT_AVAILABLE means a read failed (or could not decide) and needs a person; NO_DATA means
    Security Hub evaluates nothing there by design: another Region than the trail's home for
    CloudWatch.x, an organisation trail's resource controls seen from a member, a bucket graded in
    its own account, an opt-in Region not enabled (docs/aws-facts/controls.md#no-data).
    """

    PASSED = "PASSED"
    FAILED = "FAILED"
    WARNING = "WARNING"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    NO_DATA = "NO_DATA"


class Severity(enum.StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank


class Gap(enum.StrEnum):
    """What a FAILED finding found missing or wrong, so nothing has to read its reason's wording.

    Only FAILED findings carry one: a finding that passed has no gap, and one that could not be
    decided (NOT_AVAILABLE, WARNING) has no known gap.
    """

    NO_TRAIL = "no-trail"  # nothing covers the Region
    NO_QUALIFYING_TRAIL = "no-qualifying-trail"  # CloudTrail.1: no ONE trail meets every condition
    NOT_MULTI_REGION = "not-multi-region"
    NOT_LOGGING = "not-logging"
    INCOMPLETE_SELECTORS = "incomplete-selectors"  # misses read or write management events
    NOT_ENCRYPTED = "not-encrypted"
    NO_LOG_FILE_VALIDATION = "no-log-file-validation"
    NO_CLOUDWATCH_LOGS = "no-cloudwatch-logs"
    UNTAGGED = "untagged"
    MISSING_REQUIRED_TAGS = "missing-required-tags"
    BUCKET_MISSING = "bucket-missing"
    BUCKET_PUBLIC = "bucket-public"
    NO_ACCESS_LOGGING = "no-access-logging"
    NO_CUSTOMER_MANAGED_KEY = "no-customer-managed-key"  # CloudTrail.10
    # CloudWatch.x: the first missing link of trail -> log group -> filter -> alarm -> subscriber.
    FOREIGN_LOG_GROUP = "foreign-log-group"
    LOG_GROUP_MISSING = "log-group-missing"
    NO_METRIC_FILTER = "no-metric-filter"
    NO_ALARM = "no-alarm"
    NO_SNS_ACTION = "no-sns-action"
    NO_CONFIRMED_SUBSCRIBER = "no-confirmed-subscriber"


# A control's verdict on one resource: the status, the reason and, when FAILED, the gap.
Verdict = tuple[Status, str, Gap | None]


@dataclass(frozen=True, kw_only=True)
class Remediation:
    """How to clear a control: the one source of its remediation wording."""

    detail: str  # the full instruction, written into every finding of the control
    step: str  # the same as one step of a change to the root cause, for the grouped report
    # Narrower steps when every failure the step clears stopped at the same gap.
    by_gap: Mapping[Gap, str] = field(default_factory=dict)
    covered_by: str | None = None  # a control whose fix also clears this one


@dataclass(frozen=True, kw_only=True)
class ControlMeta:
    id: str
    title: str
    severity: Severity
    resource_type: str
    remediation: Remediation
    compliance: dict[str, list[str]] = field(default_factory=dict)


# not frozen: tens of thousands are built per scan, frozen init is slow
@dataclass(slots=True, kw_only=True)
class Finding:
    control: str
    status: Status
    severity: Severity
    account: str
    region: str
    resource_type: str
    resource: str
    reason: str
    gap: Gap | None  # set exactly when FAILED
    root_cause: RootCause  # what one change must touch to clear this
    remediation: str
    compliance: dict[str, list[str]]


@dataclass(frozen=True, kw_only=True)
class Signal:
    """Health beyond Security Hub's verdicts: things a user must know that no control checks."""

    kind: str
    severity: Severity
    account: str
    region: str
    resource: str
    message: str


@dataclass(frozen=True)
class ControlParams:
    """Security Hub's control parameters, where a control has them."""

    required_tag_keys: tuple[str, ...] = ()  # CloudTrail.9 requiredTagKeys
