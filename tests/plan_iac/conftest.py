"""Fixtures for the baseline/policy/IaC tests: CIS controls and ready-made baselines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trailwarden.plan.baseline import Baseline, CisControlLike

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


def _controls() -> list[CisControlLike]:
    """The shipped CIS data when present; otherwise the same 14 patterns from the dataset."""
    try:
        from trailwarden.filterpattern.cis import CIS_CONTROLS
    except ImportError:
        if not PATTERNS.is_file():
            pytest.skip("neither trailwarden.filterpattern.cis nor the CIS dataset is available")
        rows: list[dict[str, Any]] = json.loads(PATTERNS.read_text())
        return [
            _Control(row["control"], row["pattern"], row["control"].replace(".", "")) for row in rows
        ]
    return list(CIS_CONTROLS)


@pytest.fixture(scope="session")
def cis_controls() -> list[CisControlLike]:
    return _controls()


@pytest.fixture
def make_baseline(cis_controls: list[CisControlLike]) -> Any:
    """``make_baseline(**options)``: Baseline.from_options with test defaults."""

    def build(**options: Any) -> Baseline:
        options.setdefault("account_id", ACCOUNT)
        options.setdefault("home_region", REGION)
        options.setdefault("alarm_email", "secops@example.com")
        options.setdefault("cis_controls", cis_controls)
        return Baseline.from_options(**options)

    return build
