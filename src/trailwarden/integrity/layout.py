"""A digest chain's place in the key layout, and how the AWS CLI reads digest names.

Pure string logic (no I/O). The layout itself is ``trailstore.layout``; here are what validation
adds to it: chains, the CLI's name offsets and key filter. Spec
docs/aws-facts/digests.md#s3-key-layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trailwarden.trailstore import layout
from trailwarden.trailstore.layout import (
    ACCOUNT_RE,
    DISPLAY_TS,
    KEY_TS,
    ORG_RE,
    fmt_display,
    fmt_key_ts,
)

__all__ = ["ACCOUNT_RE", "DISPLAY_TS", "KEY_TS", "ORG_RE", "fmt_display", "fmt_key_ts"]

BACKFILL_SUFFIX = "_backfill.json.gz"
TRAIL_ARN_RE = re.compile(r"arn:.+:cloudtrail:.+:\d{12}:trail/.+")


def is_backfill(key: str) -> bool:
    return key.endswith(BACKFILL_SUFFIX)


def key_timestamp(key: str) -> str:
    """The CLI takes a digest's end time from fixed offsets of its name, not from its JSON."""
    return key[-33:-17] if is_backfill(key) else key[-24:-8]


def parse_key_timestamp(key: str) -> datetime:
    return datetime.strptime(key_timestamp(key), KEY_TS).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Trail:
    """What the key layout needs to know about a trail: its name and home Region."""

    name: str
    home: str
    arn: str | None = None

    @classmethod
    def from_arn(cls, arn: str) -> Trail:
        if not TRAIL_ARN_RE.match(arn):
            raise ValueError(f"Invalid trail ARN provided: {arn}")
        return cls(name=arn.split("/")[-1], home=arn.split(":")[3], arn=arn)


@dataclass(frozen=True)
class Chain:
    """One digest chain: one trail's digests for one account and one source Region."""

    bucket: str
    prefix: str  # trail S3KeyPrefix without the trailing "/", "" when there is none
    org_id: str | None
    account: str
    region: str
    trail: Trail

    @property
    def digest_folder(self) -> str:
        """The CLI's listing prefix (no trailing slash)."""
        return layout.folder(self.prefix, self.org_id, self.account, layout.DIGESTS, self.region)

    @property
    def log_folder(self) -> str:
        return layout.folder(self.prefix, self.org_id, self.account, layout.LOGS, self.region)

    def digest_key(self, end: datetime, backfill: bool = False) -> str:
        """The key CloudTrail would give a digest ending at ``end``."""
        return layout.digest_key(
            self.prefix,
            self.org_id,
            self.account,
            self.region,
            self.trail.name,
            self.trail.home,
            end,
            backfill,
        )

    def marker(self, start: datetime) -> str:
        """The CLI lists after the key of a digest ending one minute before ``start``."""
        return self.digest_key(start - timedelta(minutes=1))

    def key_regex(self) -> re.Pattern[str]:
        """The CLI's filter for this trail's digests (ORG is not escaped, as in the CLI)."""
        acct, region = re.escape(self.account), re.escape(self.region)
        name, home = re.escape(self.trail.name), re.escape(self.trail.home)
        org = f"{self.org_id}/" if self.org_id else ""
        body = (
            rf"AWSLogs/{org}{acct}/CloudTrail\-Digest/{region}/\d+/\d+/\d+/"
            rf"{acct}_CloudTrail\-Digest_{region}_{name}_{home}_.+(?:_backfill)?\.json\.gz"
        )
        head = re.escape(self.prefix) + "/" if self.prefix else ""
        return re.compile(f"^{head}{body}$")

    def log_day_folder(self, day: datetime) -> str:
        return layout.day_folder(self.log_folder, day)


def digest_name_trail(folder_key: str, account: str, region: str) -> Trail | None:
    """Recover (trail name, home Region) from a digest file name, for bucket-only discovery.

    Name: ACCT_CloudTrail-Digest_R_NAME_HOME_TS[_backfill].json.gz. A Region never holds "_", so the
    home Region is the last field before the timestamp and the name is everything before it.
    """
    base = folder_key.rsplit("/", 1)[-1]
    head = f"{account}_CloudTrail-Digest_{region}_"
    if not base.startswith(head) or not base.endswith(".json.gz"):
        return None
    rest = base[len(head) : -len(".json.gz")]
    if rest.endswith("_backfill"):
        rest = rest[: -len("_backfill")]
    parts = rest.rsplit("_", 2)
    if len(parts) != 3 or not parts[0]:
        return None
    return Trail(name=parts[0], home=parts[1])


def log_key_minute(key: str) -> datetime | None:
    """Delivery minute from a log file name (ACCT_CloudTrail_R_YYYYMMDDTHHmmZ_UNIQUE.json.gz)."""
    return layout.name_minute(key.rsplit("/", 1)[-1])
