"""CloudTrail's S3 key layout, pure string logic: parse a key, build folders and keys.

``[prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail[-Digest|-Insight]/REGION/YYYY/MM/DD/file``
(docs/aws-facts/digests.md#s3-key-layout, docs/aws-facts/digests.md#s3-key-layout). Log files are
named ``ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz``, digests
``ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOME_YYYYMMDDTHHMMSSZ[_backfill].json.gz``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from trailwarden.errors import UsageError

LOGS = "CloudTrail"
DIGESTS = "CloudTrail-Digest"
INSIGHTS = "CloudTrail-Insight"
ROOT = "AWSLogs"

KEY_TS = "%Y%m%dT%H%M%SZ"  # the timestamp in a digest's name
DISPLAY_TS = "%Y-%m-%dT%H:%M:%SZ"  # how CloudTrail writes times in records and digests
ACCOUNT_RE = re.compile(r"^\d{12}$")
ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")

_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/(?P<kind>CloudTrail[A-Za-z-]*)/"
    r"(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)$"
)
_LOG_STAMP = re.compile(r"_(\d{8}T\d{4})Z_")


@dataclass(frozen=True)
class KeyInfo:
    """What a key in the layout tells about its file before it is read."""

    prefix: str  # what precedes AWSLogs/, without the trailing "/" ("" when nothing)
    org: str | None
    account: str
    kind: str  # CloudTrail, CloudTrail-Digest, CloudTrail-Insight
    region: str
    day: date
    name: str  # the file name
    delivered: datetime | None  # a log file's delivery minute, from its name

    @property
    def is_digest(self) -> bool:
        return self.kind == DIGESTS

    @property
    def is_insight(self) -> bool:
        return self.kind == INSIGHTS


def parse_key(key: str) -> KeyInfo | None:
    """Parse a key (or a relative path) in the layout; None when it is not one."""
    text = key.replace("\\", "/")
    m = _KEY.search(text)
    if m is None:
        return None
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    prefix = text[: m.start()].strip("/") if m.start() else ""
    name = m["name"]
    return KeyInfo(
        prefix, m["org"], m["account"], m["kind"], m["region"], day, name, name_minute(name)
    )


def name_minute(name: str) -> datetime | None:
    """The delivery minute in a log file's name (``_YYYYMMDDTHHmmZ_``), or None."""
    stamp = _LOG_STAMP.search(name)
    if stamp is None:
        return None
    try:
        return datetime.strptime(stamp.group(1), "%Y%m%dT%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def fmt_display(when: datetime) -> str:
    return when.astimezone(UTC).strftime(DISPLAY_TS)


def fmt_key_ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime(KEY_TS)


def root(prefix: str = "", org: str | None = None) -> str:
    """``[prefix/]AWSLogs/[org/]`` (ends in "/")."""
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"{head}{ROOT}/{org}/" if org else f"{head}{ROOT}/"


def folder(prefix: str, org: str | None, account: str, kind: str, region: str) -> str:
    """A Region's folder of one kind of file, without the trailing "/"."""
    return f"{root(prefix, org)}{account}/{kind}/{region}"


def day_folder(folder_key: str, day: date | datetime) -> str:
    """A day's folder under a Region folder (ends in "/")."""
    return f"{folder_key}/{day:%Y/%m/%d}/"


def logs_since(
    prefix: str, org: str | None, account: str, region: str, since: datetime
) -> tuple[str, str]:
    """(folder, start-after) for one listing of a Region's log files delivered since ``since``.

    Keys sort by day folder and then by the file name's delivery minute, so every log file of
    ``since``'s minute or later sorts after ``start-after`` and every earlier one before it:
    ListObjectsV2 with these two answers "a file since then?" in its first page. The minute is
    the name's resolution, so a file delivered earlier in that same minute counts too."""
    base = folder(prefix, org, account, LOGS, region)
    when = since.astimezone(UTC)
    return base + "/", f"{day_folder(base, when)}{account}_{LOGS}_{region}_{when:%Y%m%dT%H%M}"


def log_key(
    prefix: str, org: str | None, account: str, region: str, delivered: datetime, unique: str
) -> str:
    """The key CloudTrail gives a log file delivered at ``delivered``."""
    base = folder(prefix, org, account, LOGS, region)
    name = f"{account}_{LOGS}_{region}_{delivered.astimezone(UTC):%Y%m%dT%H%M}Z_{unique}.json.gz"
    return day_folder(base, delivered.astimezone(UTC)) + name


def digest_key(
    prefix: str,
    org: str | None,
    account: str,
    region: str,
    trail: str,
    home: str,
    end: datetime,
    backfill: bool = False,
) -> str:
    """The key CloudTrail gives a digest ending at ``end``."""
    tail = "_backfill" if backfill else ""
    name = f"{account}_{DIGESTS}_{region}_{trail}_{home}_{fmt_key_ts(end)}{tail}.json.gz"
    return day_folder(folder(prefix, org, account, DIGESTS, region), end.astimezone(UTC)) + name


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket[/prefix]`` -> (bucket, prefix without surrounding slashes)."""
    m = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?", url)
    if m is None:
        raise UsageError(f"invalid S3 URL {url!r}: expected s3://bucket[/prefix]")
    return m.group(1), (m.group(2) or "").strip("/")
