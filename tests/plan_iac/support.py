"""Shared constants and CIS data for the plan_iac tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trailwarden.plan.baseline import CisControlLike

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ORG_ID = "o-a1b2c3d4e5"
PATTERNS = (
    Path(__file__).resolve().parents[2].parent
    / "shared/datasets/cis-cloudwatch-metric-filters/cis_patterns.json"
)


@dataclass(frozen=True)
class _Control:
    control_id: str
    pattern: str
    metric_name: str
    namespace: str = "CISBenchmark"
    statistic: str = "Sum"
    period: int = 300
    threshold: float = 1.0
    evaluation_periods: int = 1


def load_controls() -> list[CisControlLike]:
    """The shipped CIS data when present; otherwise the same 14 patterns from the dataset."""
    try:
        from trailwarden.filterpattern.cis import CIS_CONTROLS
    except ImportError:
        if not PATTERNS.is_file():
            pytest.skip("neither trailwarden.filterpattern.cis nor the CIS dataset is available")
        rows: list[dict[str, Any]] = json.loads(PATTERNS.read_text())
        return [
            _Control(row["control"], row["pattern"], row["control"].replace(".", ""))
            for row in rows
        ]
    return list(CIS_CONTROLS)
