"""ARN parsing and trail classification (pure)."""

from __future__ import annotations

from trailwarden.snapshot.model import TrailClass


def arn_parts(arn: str) -> list[str]:
    """``arn:partition:service:region:account:resource...`` split into at most 6 fields."""
    return arn.split(":", 5)


def arn_account(arn: str) -> str:
    parts = arn_parts(arn)
    return parts[4] if len(parts) > 4 else ""


def arn_region(arn: str) -> str:
    parts = arn_parts(arn)
    return parts[3] if len(parts) > 3 else ""


def log_group_name(arn: str) -> str:
    """``arn:aws:logs:<r>:<acct>:log-group:<name>:*`` -> ``<name>`` (names may contain ':')."""
    rest = arn.split(":", 6)
    if len(rest) < 7 or rest[5] != "log-group":
        return ""
    name = rest[6]
    return name[:-2] if name.endswith(":*") else name


def classify(trail_arn: str, home_region: str, account: str, region: str) -> TrailClass:
    """owned-home / owned-shadow / org-foreign, from the ARN's account and the HomeRegion."""
    if arn_account(trail_arn) != account:
        return TrailClass.ORG_FOREIGN
    return TrailClass.OWNED_HOME if home_region == region else TrailClass.OWNED_SHADOW
