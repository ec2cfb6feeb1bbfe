"""The AWS side of validation, through boto3: an S3 source, ListPublicKeys, the trail's details.

AccessDenied and friends stop the run with one clear line (the CLI aborts too, exit 255 there);
only NoSuchKey is a verdict ("not found").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.errors import AccessError, UsageError
from trailwarden.integrity.keys import PublicKey
from trailwarden.integrity.source import CHUNK, ObjectNotFound, StoredObject

NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _why(exc: Exception) -> str:
    return _code(exc) if isinstance(exc, ClientError) else str(exc)


class S3Source:
    """Reads a trail bucket; one client per bucket Region, sized for ``max_workers`` GETs."""

    def __init__(self, session: boto3.session.Session, max_workers: int) -> None:
        self._session = session
        self._config = Config(
            max_pool_connections=max_workers + 4,
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._regions: dict[str, str] = {}

    def _client(self, bucket: str) -> Any:
        region = self._regions.get(bucket)
        if region is None:
            try:
                loc = self._client_in("us-east-1").get_bucket_location(Bucket=bucket)
            except ClientError as exc:
                raise AccessError(f"cannot read bucket {bucket}: {_code(exc)}") from exc
            except BotoCoreError as exc:
                raise AccessError(f"cannot read bucket {bucket}: {exc}") from exc
            region = loc.get("LocationConstraint") or "us-east-1"
            if region == "EU":
                region = "eu-west-1"
            self._regions[bucket] = region
        return self._client_in(region)

    def _client_in(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._session.client(
                "s3", region_name=region, config=self._config
            )
        return self._clients[region]

    def list_keys(self, bucket: str, prefix: str, start_after: str = "") -> Iterator[str]:
        pages = self._client(bucket).get_paginator("list_objects_v2")
        args = {"Bucket": bucket, "Prefix": prefix}
        if start_after:
            args["StartAfter"] = start_after
        try:
            for page in pages.paginate(**args):
                for obj in page.get("Contents", []):
                    yield obj["Key"]
        except (ClientError, BotoCoreError) as exc:
            raise AccessError(f"cannot list s3://{bucket}/{prefix}: {_why(exc)}") from exc

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        pages = self._client(bucket).get_paginator("list_objects_v2")
        out: list[str] = []
        try:
            for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                out += [
                    p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
                ]
        except (ClientError, BotoCoreError) as exc:
            raise AccessError(f"cannot list s3://{bucket}/{prefix}: {_why(exc)}") from exc
        return out

    def _get(self, bucket: str, key: str) -> dict[str, Any]:
        try:
            return self._client(bucket).get_object(Bucket=bucket, Key=key)  # type: ignore[no-any-return]
        except ClientError as exc:
            if _code(exc) in NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            raise AccessError(f"cannot read s3://{bucket}/{key}: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise AccessError(f"cannot read s3://{bucket}/{key}: {exc}") from exc

    def get_object(self, bucket: str, key: str) -> StoredObject:
        resp = self._get(bucket, key)
        return StoredObject(resp["Body"].read(), dict(resp.get("Metadata", {})))

    def open_object(self, bucket: str, key: str) -> Iterable[bytes]:
        body = self._get(bucket, key)["Body"]
        return _stream(body)


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def public_key_loader(
    session: boto3.session.Session,
) -> Callable[[str], Callable[[datetime, datetime], list[PublicKey]]]:
    """``loader(region)(start, end)``: CloudTrail ListPublicKeys in that Region, all pages.

    Answers are cached per (Region, range): every account's chain in a Region asks the same.
    """
    cache: dict[tuple[str, datetime, datetime], list[PublicKey]] = {}
    clients: dict[str, Any] = {}

    def for_region(region: str) -> Callable[[datetime, datetime], list[PublicKey]]:
        if region not in clients:
            clients[region] = session.client("cloudtrail", region_name=region)
        client = clients[region]

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
        raise AccessError(f"cannot list CloudTrail public keys in {region}: {_why(exc)}") from exc


@dataclass(frozen=True)
class TrailInfo:
    bucket: str
    prefix: str
    is_org: bool
    latest_digest: datetime | None  # GetTrailStatus LatestDigestDeliveryTime


def describe_trail(session: boto3.session.Session, arn: str) -> TrailInfo:
    """Bucket, prefix and status of a trail, asked in its home Region."""
    region = arn.split(":")[3]
    client = session.client("cloudtrail", region_name=region)
    try:
        trails = client.describe_trails(trailNameList=[arn], includeShadowTrails=True)
        found = [t for t in trails.get("trailList", []) if t.get("TrailARN") == arn]
        if not found:
            raise UsageError(f"A trail could not be found for {arn}")
        trail = found[0]
        status = client.get_trail_status(Name=arn)
    except ClientError as exc:
        raise AccessError(f"cannot describe trail {arn}: {_code(exc)}") from exc
    except BotoCoreError as exc:
        raise AccessError(f"cannot describe trail {arn}: {exc}") from exc
    return TrailInfo(
        bucket=trail["S3BucketName"],
        prefix=trail.get("S3KeyPrefix") or "",
        is_org=bool(trail.get("IsOrganizationTrail")),
        latest_digest=status.get("LatestDigestDeliveryTime"),
    )
