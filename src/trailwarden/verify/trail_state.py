"""The trail's state a canary must leave as it found it: its configuration, selectors and logging.

Compared before and after the canary events. Timestamps are not state: StartLogging on a trail
that is already logging may move ``StartLoggingTime`` (moto moves it; AWS documents nothing
either way), and delivery times move on their own, so GetTrailStatus contributes only
``IsLogging``.
"""

from __future__ import annotations

from typing import Any

from trailwarden.apply.context import AccountContext
from trailwarden.verify.canaries import Target


def trail_state(ctx: AccountContext, target: Target) -> dict[str, Any]:
    cloudtrail = ctx.client(target.region, "cloudtrail")
    trail = cloudtrail.get_trail(Name=target.trail_arn).get("Trail", {})
    selectors = cloudtrail.get_event_selectors(TrailName=target.trail_arn)
    selectors.pop("ResponseMetadata", None)
    status = cloudtrail.get_trail_status(Name=target.trail_arn)
    return {"trail": trail, "selectors": selectors, "IsLogging": status.get("IsLogging")}


def what_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The top-level fields that differ (trail settings by name), empty when identical."""
    changed = [k for k in ("selectors", "IsLogging") if before.get(k) != after.get(k)]
    old, new = before.get("trail", {}), after.get("trail", {})
    changed += sorted(f"trail.{k}" for k in set(old) | set(new) if old.get(k) != new.get(k))
    return changed
