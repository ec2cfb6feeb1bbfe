"""Write records in CloudTrail's S3 delivery layout (tests, demo and benchmark inputs).

Files group records by account, Region and 5-minute delivery batch, are named as CloudTrail names
them, and hold one gzipped ``{"Records": [...]}`` document on a single line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trailwarden.logs.readers import Record, event_time


def _when(rec: Record) -> datetime:
    when = event_time(rec)
    return when if when is not None else datetime(1970, 1, 1, tzinfo=UTC)


def layout_key(account: str, region: str, delivered: datetime, unique: str, org: str | None) -> str:
    org_part = f"{org}/" if org else ""
    return (
        f"AWSLogs/{org_part}{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%M}Z_{unique}.json.gz"
    )


def group_for_delivery(records: list[Record], org: str | None = None) -> dict[str, list[Record]]:
    """Key -> records, batching like CloudTrail: per account, Region and 5-minute window."""
    groups: dict[tuple[str, str, datetime], list[Record]] = defaultdict(list)
    for rec in records:
        when = _when(rec)
        batch = when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)
        account = str(rec.get("recipientAccountId") or "000000000000")
        groups[(account, str(rec.get("awsRegion") or "us-east-1"), batch)].append(rec)
    out: dict[str, list[Record]] = {}
    for (account, region, batch), recs in sorted(groups.items()):
        ids = "".join(str(r.get("eventID")) for r in recs)
        unique = hashlib.sha256(ids.encode()).hexdigest()[:16].upper()
        out[layout_key(account, region, batch + timedelta(minutes=5), unique, org)] = recs
    return out


def write_layout(
    records: list[Record], root: Path, org: str | None = None, compresslevel: int = 6
) -> list[Path]:
    """Write ``records`` under ``root`` in the delivery layout; return the files written."""
    written = []
    for key, recs in group_for_delivery(records, org).items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"Records": recs}, separators=(",", ":")).encode()
        path.write_bytes(gzip.compress(body, compresslevel=compresslevel, mtime=0))
        written.append(path)
    return written
