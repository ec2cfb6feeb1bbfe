"""Which Regions to scan: those named, or every Region enabled for the account."""

from __future__ import annotations

from typing import Any

# Opt-in Regions that are not enabled answer every call with an auth error: never scan them.
_ENABLED = frozenset({"opt-in-not-required", "opted-in"})


def enabled_regions(ec2: Any) -> tuple[list[str], list[str]]:
    """Return (enabled, not_opted_in) from ec2:DescribeRegions(AllRegions=True)."""
    regions = ec2.describe_regions(AllRegions=True)["Regions"]
    enabled = sorted(r["RegionName"] for r in regions if r.get("OptInStatus") in _ENABLED)
    others = sorted(r["RegionName"] for r in regions if r.get("OptInStatus") not in _ENABLED)
    return enabled, others
