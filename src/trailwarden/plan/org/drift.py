"""The drift-detection part of an organisation plan (being built on its own branch; this file
only fixes the signature the organisation plan calls)."""

from __future__ import annotations

from trailwarden.plan.model import Drift, Step
from trailwarden.plan.org.context import DriftOptions, OrgTarget


def plan_drift(target: OrgTarget, options: DriftOptions) -> tuple[Drift, list[Step]]:
    raise NotImplementedError("drift detection is not built yet")
