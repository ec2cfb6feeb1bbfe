"""What to validate and how: the request the validator and the --strict checks both read.

A leaf module (layout only), so that ``validator`` and ``strict`` can both use it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trailwarden.integrity.layout import Trail


@dataclass
class Scope:
    """What to validate: a bucket/prefix, optionally one trail, accounts and Regions."""

    bucket: str
    prefix: str = ""
    trail: Trail | None = None  # None: every trail whose digests are found
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None


@dataclass
class Options:
    start: datetime
    end: datetime
    strict: bool = False
    max_workers: int = 16
    expected_until: datetime | None = None  # --strict: digests expected hourly until then
    # --strict: GetTrailStatus LatestDigestDeliveryTime, and the (account, home Region) chain
    # it describes; that chain's newest digest must be about that recent.
    latest_delivery: datetime | None = None
    trail_account: str | None = None
