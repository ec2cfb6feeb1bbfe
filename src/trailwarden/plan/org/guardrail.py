"""The guardrail SCP's part of an organisation plan (being built on its own branch; this file
only fixes the signature the organisation plan calls)."""

from __future__ import annotations

from trailwarden.plan.model import Guardrail, Step
from trailwarden.plan.org.context import GuardrailOptions, OrgTarget


def plan_guardrail(target: OrgTarget, options: GuardrailOptions) -> tuple[Guardrail, list[Step]]:
    raise NotImplementedError("the guardrail SCP is not built yet")
