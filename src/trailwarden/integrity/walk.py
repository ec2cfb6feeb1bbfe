"""The AWS CLI's chain walk (newest to oldest), reproduced step by step, over injected I/O.

``fetch`` returns a stored object (raising ObjectNotFound); ``lister(bucket, end or None)`` gives
the in-range digest keys of a bucket in S3 order; ``keys`` resolves fingerprints. The caller
prefetches objects concurrently, so this sequential walk mostly reads from memory. See
docs/aws-facts/digests.md#cli-validate-logs for each rule and its consequences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from trailwarden.errors import TrailwardenError
from trailwarden.integrity import digest as dg
from trailwarden.integrity.keys import PublicKey
from trailwarden.integrity.layout import fmt_display, parse_key_timestamp
from trailwarden.trailstore.source import ObjectNotFound, StoredObject


class NoPublicKeys(TrailwardenError):
    """ListPublicKeys found nothing (the CLI aborts; in the backfill pass: invalid digest)."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(
            f"No public keys found between {fmt_display(start)} and {fmt_display(end)}"
        )


class KeyRing:
    """Fingerprint -> key. The standard pass loads once for [start, end + 2h]; the backfill pass
    starts empty and loads ±1h around each unknown fingerprint's generation time, like the CLI."""

    def __init__(self, loader: Callable[[datetime, datetime], list[PublicKey]]) -> None:
        self._loader = loader
        self.keys: dict[str, PublicKey] = {}

    def load(self, start: datetime, end: datetime) -> None:
        found = self._loader(start, end)
        if not found:
            raise NoPublicKeys(start, end)
        self.keys.update((k.fingerprint, k) for k in found)


@dataclass(frozen=True)
class DigestOk:
    digest: dg.Digest


@dataclass(frozen=True)
class DigestBad:
    bucket: str
    key: str
    reason: str


@dataclass(frozen=True)
class Gap:
    older_end: datetime  # the name timestamp of the next older digest
    newer_start: datetime  # digestStartTime of the digest that starts a chain


Event = DigestOk | DigestBad | Gap


def walk(
    *,
    bucket: str,
    start: datetime,
    home_region: str,
    backfill: bool,
    lister: Callable[[str, datetime | None], list[str]],
    fetch: Callable[[str, str], StoredObject],
    keys: KeyRing,
) -> Iterator[Event]:
    digests = lister(bucket, None)
    key = digests.pop() if digests else None
    last_start = parse_key_timestamp(key) if key else start
    while key and start <= last_start:
        current = key
        try:
            digest = _load_and_validate(bucket, current, fetch, keys, home_region, backfill)
            last_start = digest.start
            previous_bucket = digest.data.get("previousDigestS3Bucket")
            previous_key = digest.data.get("previousDigestS3Object")
            yield DigestOk(digest)
            if previous_bucket is None or previous_key is None:
                key = _next_older(digests, current)
                if key is not None:
                    yield Gap(parse_key_timestamp(key), last_start)
            else:
                key = previous_key
                if previous_bucket != bucket:
                    # The CLI re-lists the new bucket up to the current digest's end time.
                    bucket = previous_bucket
                    digests = lister(bucket, digest.end)
        except ObjectNotFound:
            yield DigestBad(bucket, current, dg.NOT_FOUND)
            key = _next_older(digests, current)
        except dg.DigestInvalid as exc:
            yield DigestBad(bucket, current, str(exc))
            key = _next_older(digests, current)
        except (ValueError, TypeError, KeyError, AttributeError, NoPublicKeys) as exc:
            # The CLI reports any other exception's text as the reason.
            yield DigestBad(bucket, current, str(exc))
            key = _next_older(digests, current)


def _next_older(digests: list[str], before: str) -> str | None:
    """Pop listed keys until one is older (by name timestamp) than ``before``."""
    try:
        limit = parse_key_timestamp(before)
    except ValueError:
        return None
    while digests:
        candidate = digests.pop()
        if parse_key_timestamp(candidate) < limit:
            return candidate
    return None


def _load_and_validate(
    bucket: str,
    key: str,
    fetch: Callable[[str, str], StoredObject],
    keys: KeyRing,
    home_region: str,
    backfill: bool,
) -> dg.Digest:
    obj = fetch(bucket, key)
    digest = dg.load(bucket, key, obj)
    fingerprint = digest.data["digestPublicKeyFingerprint"]
    if fingerprint not in keys.keys and backfill:
        generated = dg.parse_time(obj.metadata["backfill-generation-timestamp"])
        keys.load(generated - timedelta(hours=1), generated + timedelta(hours=1))
    public_key = keys.keys.get(fingerprint)
    if public_key is None:
        raise dg.DigestInvalid(
            f"public key not found in region {home_region} for fingerprint {fingerprint}"
        )
    dg.check_signature(digest, public_key)
    _ = digest.end  # the CLI parses digestEndTime here; a bad value invalidates the digest
    return digest
