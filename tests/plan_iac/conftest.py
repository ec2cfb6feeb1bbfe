"""Fixtures for the baseline/policy/IaC tests: CIS controls and ready-made baselines."""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.plan.baseline import Baseline, CisControlLike

from .support import ACCOUNT, REGION, load_controls


@pytest.fixture(scope="session")
def cis_controls() -> list[CisControlLike]:
    return load_controls()


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
