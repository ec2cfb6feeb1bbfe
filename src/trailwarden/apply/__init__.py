"""Apply a plan with boto3 (issue 4 part 3): check, write what differs, journal, resume."""

from __future__ import annotations

from trailwarden.apply.context import CountingAccess, Facts
from trailwarden.apply.runner import ApplyReport, Journal, Runner, StepResult, probe

__all__ = ["ApplyReport", "CountingAccess", "Facts", "Journal", "Runner", "StepResult", "probe"]
