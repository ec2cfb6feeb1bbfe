"""Root causes: what one change must touch to clear a finding (pure data, imports nothing).

Every finding names one. The report groups FAILED findings by it, so a trail with eight failing
controls is one line of work, not eight. ``text`` is the form the findings JSON writes (/1 and /2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class TrailCause:
    """An existing trail: changing it clears the finding. Identity is the ARN alone."""

    arn: str
    # The account that can change the trail (an organisation trail's is the management account);
    # None when the snapshot has no record of the trail, so who owns it is unknown.
    owner: str | None = field(compare=False)

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]  # trail ARNs end in trail/<name>

    @property
    def text(self) -> str:
        return self.arn


@dataclass(frozen=True, slots=True)
class _OfAccount:
    account: str
    PREFIX: ClassVar[str]

    @property
    def text(self) -> str:
        return f"{self.PREFIX}:{self.account}"


@dataclass(frozen=True, slots=True)
class MissingTrail(_OfAccount):
    """The account has no trail that could be changed to clear it: one must be created."""

    PREFIX = "no-trail"


@dataclass(frozen=True, slots=True)
class RegionNotScanned(_OfAccount):
    """Nothing is known in the Region (DescribeTrails failed, or an opt-in Region is not enabled).

    findings/1 has always written it as the account's missing trail, so ``text`` still does."""

    region: str
    PREFIX = "no-trail"


@dataclass(frozen=True, slots=True)
class LakeStores(_OfAccount):
    """The account's CloudTrail Lake event data stores (not a trail: CloudTrail.10)."""

    PREFIX = "lake"


@dataclass(frozen=True, slots=True)
class UnreachableAccount(_OfAccount):
    """The account could not be reached at all (AssumeRole failed): nothing was read."""

    PREFIX = "unreachable"


@dataclass(frozen=True, slots=True)
class BucketCause:
    """A bucket this account owns that another account's trail delivers to (a central log
    bucket): the change is on the bucket, in this account, not on the trail."""

    account: str
    arn: str  # arn:<partition>:s3:::<name>

    @property
    def name(self) -> str:
        return self.arn.rsplit(":", 1)[-1]

    @property
    def text(self) -> str:
        return self.arn


RootCause = (
    TrailCause | MissingTrail | RegionNotScanned | LakeStores | UnreachableAccount | BucketCause
)
