"""Shared constants for the plan_iac tests."""

from __future__ import annotations

from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.plan.baseline import CisControlLike

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ORG_ID = "o-a1b2c3d4e5"


def load_controls() -> list[CisControlLike]:
    return list(CIS_CONTROLS)
