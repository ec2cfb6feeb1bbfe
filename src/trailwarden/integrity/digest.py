"""One digest file: parse and verify it with the AWS CLI's checks, in the CLI's order.

Every failure becomes the CLI's reason text (what follows "INVALID: "), see
docs/aws-facts/digests.md#cli-validate-logs / docs/aws-facts/digests.md#digest-signing.
"""

from __future__ import annotations

import binascii
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trailwarden.integrity.hashing import gunzip_first_member
from trailwarden.integrity.keys import KeyLoadError, PublicKey, verify
from trailwarden.integrity.layout import is_backfill
from trailwarden.jsonfile import parse_json
from trailwarden.trailstore.source import StoredObject

REQUIRED_KEYS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)
NOT_FOUND = "not found"
INVALID_FORMAT = "invalid format"
BAD_SIGNATURE = "signature verification failed"
MOVED = "has been moved from its original location"


class DigestInvalid(Exception):
    """The digest fails a CLI check; ``str()`` is the reason after "INVALID: "."""


@dataclass
class Digest:
    bucket: str
    key: str
    data: dict[str, Any]
    inflated: bytes
    signature: str
    trailing: bool  # bytes after the first gzip member (the CLI ignores them)
    sha256: str = ""
    signature_hash: str = ""  # the hash algorithm inside the verified signature
    key_used: PublicKey | None = field(default=None, repr=False)
    # The S3 metadata ``signature-algorithm``: unsigned, so only --strict looks at it.
    signature_algorithm: str = ""

    @property
    def start(self) -> datetime:
        return parse_time(self.data["digestStartTime"])

    @property
    def end(self) -> datetime:
        return parse_time(self.data["digestEndTime"])

    @property
    def log_files(self) -> list[dict[str, Any]]:
        logs = self.data.get("logFiles")
        return logs if isinstance(logs, list) else []


def parse_time(value: Any) -> datetime:
    """dateutil-like for CloudTrail's ISO times; the CLI then *replaces* the zone with UTC."""
    if not isinstance(value, str):
        raise TypeError(f"Parser must be a string or character stream, not {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Unable to parse date value: {value}") from None
    return parsed.replace(tzinfo=UTC)


def load(bucket: str, key: str, obj: StoredObject) -> Digest:
    """Inflate, parse and check presence of fields (the CLI's fetch_digest + required keys)."""
    try:
        inflated, trailing = gunzip_first_member(obj.body)
        data: Any = parse_json(inflated.decode())
    except (ValueError, zlib.error):
        raise DigestInvalid(INVALID_FORMAT) from None
    if "signature" not in obj.metadata or "signature-algorithm" not in obj.metadata:
        raise DigestInvalid(BAD_SIGNATURE)
    if not isinstance(data, dict):
        # The CLI then fails storing the signature into it; report its exception text.
        try:
            data["_signature"] = obj.metadata["signature"]
        except TypeError as exc:
            raise DigestInvalid(str(exc)) from None
    if is_backfill(key) and "backfill-generation-timestamp" not in obj.metadata:
        raise DigestInvalid(INVALID_FORMAT)
    if any(name not in data for name in REQUIRED_KEYS):
        raise DigestInvalid(INVALID_FORMAT)
    if data["digestS3Bucket"] != bucket or data["digestS3Object"] != key:
        raise DigestInvalid(MOVED)
    return Digest(
        bucket,
        key,
        data,
        inflated,
        obj.metadata["signature"],
        trailing,
        signature_algorithm=obj.metadata["signature-algorithm"],
    )


def string_to_sign(digest: Digest) -> bytes:
    data = digest.data
    previous = data["previousDigestSignature"]
    if previous is None:
        previous = "null"
    return (
        f"{data['digestEndTime']}\n{data['digestS3Bucket']}/{data['digestS3Object']}\n"
        f"{digest.sha256}\n{previous}"
    ).encode()


def check_signature(digest: Digest, key: PublicKey) -> None:
    """The CLI's Sha256RSADigestValidator, verdict for verdict."""
    fingerprint = digest.data["digestPublicKeyFingerprint"]
    try:
        loaded = key.load()
    except KeyLoadError:
        raise DigestInvalid(f"Unable to load PKCS #1 key with fingerprint {fingerprint}") from None
    digest.sha256 = hashlib.sha256(digest.inflated).hexdigest()
    message = string_to_sign(digest)
    try:
        signature = binascii.unhexlify(digest.signature)
    except (binascii.Error, ValueError) as exc:
        raise DigestInvalid(str(exc)) from None
    used = verify(loaded, message, signature)
    if used is None:
        raise DigestInvalid(BAD_SIGNATURE)
    digest.signature_hash = used
    digest.key_used = key
