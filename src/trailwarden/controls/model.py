"""Findings, signals and control metadata: what the controls stage produces (pure data)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trailwarden.controls.context import AccountView


class Status(enum.StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    WARNING = "WARNING"
    NOT_AVAILABLE = "NOT_AVAILABLE"


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


@dataclass(frozen=True)
class ControlMeta:
    id: str
    title: str
    severity: Severity
    resource_type: str
    remediation: str
    compliance: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)  # not frozen: tens of thousands are built per scan, frozen init is slow
class Finding:
    control: str
    status: Status
    severity: Severity
    account: str
    region: str
    resource_type: str
    resource: str
    reason: str
    root_cause: str  # the trail ARN (or "no-trail:<account>") whose one change fixes this
    remediation: str
    compliance: dict[str, list[str]]


@dataclass(frozen=True)
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


ControlFn = Callable[["AccountView", ControlMeta], Iterable[Finding]]


@dataclass(frozen=True)
class Control:
    meta: ControlMeta
    evaluate: ControlFn
