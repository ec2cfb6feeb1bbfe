"""A bucket as a Source, with clients from the one ``AwsAccess`` (one botocore config).

The bucket's Region is asked once (GetBucketLocation) so every call goes straight to it; where that
call is denied, the default Region's client is used and S3's redirects find the bucket. Only a
missing key is a verdict (ObjectNotFound); a listing that fails stops the run with one line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.aws import OWN
from trailwarden.aws.errors import ACCESS_DENIED_CODES, describe, error_code, unreachable
from trailwarden.errors import AccessError, UsageError
from trailwarden.trailstore.files import TrailFiles, open_files
from trailwarden.trailstore.listing import keys_only, prepare
from trailwarden.trailstore.source import CHUNK, ObjectNotFound, ObjectRef, StoredObject, Unreadable

if TYPE_CHECKING:
    from trailwarden.aws.session import AwsAccess

# GETs in flight: a GET costs a round trip (tens of ms) for a file of tens of KB, so one at a
# time would leave the reader waiting on the network nearly all the time.
READS_IN_FLIGHT = 32
# Listings in flight per bucket while walking account and Region folders.
LISTS_IN_FLIGHT = 8
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
LOCATION_REGION = "us-east-1"  # where GetBucketLocation is asked

ClientFactory = Callable[[str, str], Any]
"""``(service, region) -> client``."""


def access_clients(access: AwsAccess, account: str = OWN) -> ClientFactory:
    """Clients of ``account`` (the caller's own credentials by default) from ``access``."""
    return lambda service, region: access.client(account, region, service)


def open_source(spec: str, access: AwsAccess | None = None) -> TrailFiles:
    """``s3://bucket/prefix`` (read with ``access``; by default the standard credential chain)
    or a local path: the trail files a logs command was pointed at."""
    if not spec.startswith("s3://"):
        return open_files(spec)
    return open_files(spec, S3Source(access_clients(access or reader_access())))


def reader_access(
    profile: str | None = None, region: str | None = None, in_flight: int = READS_IN_FLIGHT
) -> AwsAccess:
    """An AwsAccess whose connection pool holds ``in_flight`` GETs plus the listings."""
    # Imported here: boto3 costs ~0.1 s to import, and commands over local folders never need it.
    from trailwarden.aws.session import AccessOptions, AwsAccess

    return AwsAccess(
        AccessOptions(profile=profile, region=region, pool_size=in_flight + LISTS_IN_FLIGHT + 4)
    )


class S3Source:
    """Reads any bucket the clients can reach; one client per bucket Region."""

    remote = True

    def __init__(self, clients: ClientFactory, reads_in_flight: int | None = None) -> None:
        self._clients = clients
        self.reads_in_flight = READS_IN_FLIGHT if reads_in_flight is None else reads_in_flight
        self._regions: dict[str, str] = {}
        self._locating: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _client(self, bucket: str) -> Any:
        with self._lock:
            region = self._regions.get(bucket)
            locating = self._locating.setdefault(bucket, threading.Lock())
        if region is None:
            # One GetBucketLocation per bucket, even when many listings start at once.
            with locating:
                with self._lock:
                    region = self._regions.get(bucket)
                if region is None:
                    region = self._locate(bucket)
                    with self._lock:
                        self._regions[bucket] = region
        return self._clients("s3", region)

    def _locate(self, bucket: str) -> str:
        try:
            loc = self._clients("s3", LOCATION_REGION).get_bucket_location(Bucket=bucket)
        except ClientError as exc:
            code = error_code(exc, "")
            if code == "NoSuchBucket":
                raise UsageError(f"bucket {bucket} does not exist (NoSuchBucket)") from None
            if code in ACCESS_DENIED_CODES:
                return LOCATION_REGION  # S3 redirects to the bucket's Region
            raise AccessError(f"cannot read bucket {bucket}: {code}") from exc
        except BotoCoreError as exc:
            raise AccessError(f"cannot read bucket {bucket}: {describe(exc)}") from exc
        region = str(loc.get("LocationConstraint") or "us-east-1")
        return "eu-west-1" if region == "EU" else region

    def name_of(self, bucket: str, key: str) -> str:
        return key

    def _pages(self, bucket: str, prefix: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        pages = prepare(self._client(bucket)).get_paginator("list_objects_v2")
        try:
            listed = iter(pages.paginate(Bucket=bucket, Prefix=prefix, **kwargs))
            while True:
                with keys_only():  # only while this thread fetches the page
                    page = next(listed, None)
                if page is None:
                    return
                yield page
        except ClientError as exc:
            if error_code(exc, "") == "NoSuchBucket":
                raise UsageError(f"bucket {bucket} does not exist (NoSuchBucket)") from None
            raise AccessError(f"cannot list s3://{bucket}/{prefix}: {describe(exc)}") from None
        except BotoCoreError as exc:
            raise AccessError(f"cannot list s3://{bucket}/{prefix}: {describe(exc)}") from None

    def list_objects(self, bucket: str, prefix: str, start_after: str = "") -> Iterator[ObjectRef]:
        extra = {"StartAfter": start_after} if start_after else {}
        for page in self._pages(bucket, prefix, **extra):
            for obj in page.get("Contents", []):
                yield ObjectRef(obj["Key"], int(obj.get("Size", 0)))

    def first_keys(self, bucket: str, prefix: str, start_after: str, count: int) -> list[str]:
        """Up to ``count`` keys under ``prefix`` after ``start_after``: one ListObjectsV2 call,
        whatever the folder holds (a probe, not a walk)."""
        bound = {"MaxItems": count, "PageSize": count}
        for page in self._pages(bucket, prefix, StartAfter=start_after, PaginationConfig=bound):
            return [obj["Key"] for obj in page.get("Contents", [])][:count]
        return []

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self._pages(bucket, prefix, Delimiter="/"):
            out += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return out

    def _get(self, bucket: str, key: str) -> dict[str, Any]:
        try:
            return self._client(bucket).get_object(Bucket=bucket, Key=key)  # type: ignore[no-any-return]
        except ClientError as exc:
            code = error_code(exc, "")
            if code in NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            raise Unreadable(f"s3://{bucket}/{key}", code) from exc
        except BotoCoreError as exc:
            raise _read_failed(bucket, key, exc) from exc

    def get_object(self, bucket: str, key: str) -> StoredObject:
        resp = self._get(bucket, key)
        try:
            body: bytes = resp["Body"].read()
        except BotoCoreError as exc:  # the connection broke mid-body
            raise _read_failed(bucket, key, exc) from exc
        return StoredObject(body, dict(resp.get("Metadata", {})))

    def open_object(self, bucket: str, key: str) -> Iterable[bytes]:
        return _stream(self._get(bucket, key)["Body"])


def _read_failed(bucket: str, key: str, exc: BotoCoreError) -> AccessError:
    """One object that cannot be read is Unreadable (listed, the run goes on); an endpoint that
    does not answer stops the run with one line, as a listing that cannot reach S3 does: every
    other read would wait as long."""
    where = f"s3://{bucket}/{key}"
    if unreachable(exc):
        return AccessError(f"cannot read {where}: {describe(exc)}")
    return Unreadable(where, describe(exc))


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
