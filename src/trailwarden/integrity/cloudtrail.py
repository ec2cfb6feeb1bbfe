"""The CloudTrail side of validation: ListPublicKeys and the trail's details (bucket, status).

Clients come from a ``ClientFactory`` (``trailstore.s3.access_clients``), so the caller's
``AwsAccess`` decides credentials and the botocore config. AccessDenied and friends stop the run
with one clear line (the AWS CLI aborts too, exit 255 there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.aws.errors import describe
from trailwarden.errors import AccessError, UsageError
from trailwarden.integrity.keys import PublicKey
from trailwarden.trailstore.s3 import ClientFactory


def public_key_loader(
    clients: ClientFactory,
) -> Callable[[str], Callable[[datetime, datetime], list[PublicKey]]]:
    """``loader(region)(start, end)``: CloudTrail ListPublicKeys in that Region, all pages.

    Answers are cached per (Region, range): every account's chain in a Region asks the same.
    """
    cache: dict[tuple[str, datetime, datetime], list[PublicKey]] = {}

    def for_region(region: str) -> Callable[[datetime, datetime], list[PublicKey]]:
        client = clients("cloudtrail", region)

        def load(start: datetime, end: datetime) -> list[PublicKey]:
            if (region, start, end) not in cache:
                cache[(region, start, end)] = _list_public_keys(client, region, start, end)
            return cache[(region, start, end)]

        return load

    return for_region


def _list_public_keys(client: Any, region: str, start: datetime, end: datetime) -> list[PublicKey]:
    keys: list[PublicKey] = []
    args: dict[str, Any] = {"StartTime": start, "EndTime": end}
    try:
        while True:
            resp = client.list_public_keys(**args)
            keys += [
                PublicKey(
                    k["Fingerprint"],
                    bytes(k["Value"]),
                    k.get("ValidityStartTime"),
                    k.get("ValidityEndTime"),
                )
                for k in resp.get("PublicKeyList", [])
            ]
            if not resp.get("NextToken"):
                return keys
            args["NextToken"] = resp["NextToken"]
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(
            f"cannot list CloudTrail public keys in {region}: {describe(exc)}"
        ) from exc


@dataclass(frozen=True)
class TrailInfo:
    bucket: str
    prefix: str
    is_org: bool
    latest_digest: datetime | None  # GetTrailStatus LatestDigestDeliveryTime


def describe_trail(clients: ClientFactory, arn: str) -> TrailInfo:
    """Bucket, prefix and status of a trail, asked in its home Region."""
    client = clients("cloudtrail", arn.split(":")[3])
    try:
        trails = client.describe_trails(trailNameList=[arn], includeShadowTrails=True)
        found = [t for t in trails.get("trailList", []) if t.get("TrailARN") == arn]
        if not found:
            raise UsageError(f"A trail could not be found for {arn}")
        trail = found[0]
        status = client.get_trail_status(Name=arn)
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(f"cannot describe trail {arn}: {describe(exc)}") from exc
    return TrailInfo(
        bucket=trail["S3BucketName"],
        prefix=trail.get("S3KeyPrefix") or "",
        is_org=bool(trail.get("IsOrganizationTrail")),
        latest_digest=status.get("LatestDigestDeliveryTime"),
    )
