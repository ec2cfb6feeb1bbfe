"""A trail's bucket as a source: walk the key layout level by level, never listing pruned parts.

Accounts and Regions come from delimiter listings (``AWSLogs/``, ``AWSLogs/o-.../``,
``<account>/CloudTrail/``); with a bounded time window only the wanted day prefixes are listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from trailwarden.errors import AccessError, UsageError
from trailwarden.logs.ahead import ordered
from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import FileRef

# GETs in flight: a GET costs a round trip (tens of ms) for a file of tens of KB, so one at a
# time would leave the reader waiting on the network nearly all the time.
READS_IN_FLIGHT = 32
# Listings in flight while walking the account and Region folders.
LISTS_IN_FLIGHT = 8


class S3Source:
    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.reads_in_flight = READS_IN_FLIGHT
        config = Config(
            max_pool_connections=READS_IN_FLIGHT + 4,
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            read_timeout=60,
        )
        self.client = client if client is not None else boto3.client("s3", config=config)

    @classmethod
    def from_url(cls, url: str) -> S3Source:
        m = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?", url)
        if m is None:
            raise UsageError(f"invalid S3 URL {url!r}: expected s3://bucket[/prefix]")
        return cls(m.group(1), m.group(2) or "")

    def _call(self, op: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from self.client.get_paginator(op).paginate(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket",):
                raise UsageError(f"bucket {self.bucket} does not exist") from None
            raise AccessError(
                f"cannot list s3://{self.bucket}/{kwargs.get('Prefix', '')}: {code}"
            ) from None

    def _children(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self._call("list_objects_v2", Prefix=prefix, Delimiter="/"):
            out.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        return out

    def _objects(self, prefix: str) -> Iterator[FileRef]:
        for page in self._call("list_objects_v2", Prefix=prefix):
            for obj in page.get("Contents", []):
                yield FileRef(obj["Key"], int(obj["Size"]))

    def _account_prefixes(self, scope: Scope) -> Iterator[str]:
        for child in self._children(self.prefix + "AWSLogs/"):
            name = child.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith("o-"):
                for acct in self._children(child):
                    acct_id = acct.rstrip("/").rsplit("/", 1)[-1]
                    if scope.wants_account(acct_id):
                        yield acct
            elif scope.wants_account(name):
                yield child

    def files(self, scope: Scope) -> Iterator[FileRef]:
        if "AWSLogs/" in self.prefix or not self._children(self.prefix + "AWSLogs/"):
            # Already inside the layout, or not the layout at all: list and filter by key.
            for ref in self._objects(self.prefix):
                if scope.wants_key(ref.name):
                    yield ref
            return
        days = scope.days()

        def regions(acct: str) -> list[str]:
            return [
                r
                for r in self._children(acct + "CloudTrail/")
                if scope.wants_region(r.rstrip("/").rsplit("/", 1)[-1])
            ]

        def prefixes(pool: ThreadPoolExecutor) -> Iterator[str]:
            accounts = self._account_prefixes(scope)
            for _, listed in ordered(pool, regions, accounts, LISTS_IN_FLIGHT):
                for region in listed.result():
                    if days is None:
                        yield region
                    else:
                        yield from (region + d.strftime("%Y/%m/%d/") for d in days)

        # An organisation has hundreds of account and Region folders: listed a few at a time,
        # in order, each folder's keys whole (a few MB for a Region's year without --start).
        with ThreadPoolExecutor(LISTS_IN_FLIGHT, thread_name_prefix="list") as pool:
            objects = ordered(
                pool, lambda p: list(self._objects(p)), prefixes(pool), LISTS_IN_FLIGHT
            )
            for _, listed in objects:
                for ref in listed.result():
                    if scope.wants_key(ref.name):
                        yield ref

    def read(self, ref: FileRef) -> bytes:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=ref.name)["Body"].read()
        except ClientError as exc:
            # A vanished or unreadable object is one bad file, not a failed run.
            raise ValueError(
                f"cannot read: {exc.response.get('Error', {}).get('Code', '')}"
            ) from None
        return body
