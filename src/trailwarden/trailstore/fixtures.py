"""The one writer of CloudTrail trees: log files in the key layout, and signed digest chains.

Two ways in: ``write_trail_delivery`` generates a realistic delivery (log files + digest chains
signed with our own key; tests tamper with it, benchmarks time it, the demo delivers it), and
``write_records`` files given records (the real datasets) the way CloudTrail batches them.
Everything is written through a ``sink(key, body, metadata)`` so a tree can land in a folder
(``dir_sink``, the ``--dir`` layout) or an S3 bucket (``s3_sink``). Deterministic for a seed.
The keys come from ``trailstore.layout``; the public key type from ``integrity.keys`` (the one
module outside trailstore this one imports: it hands out the key it signed with).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from trailwarden.integrity.keys import PublicKey, fingerprint_of
from trailwarden.trailstore import layout
from trailwarden.trailstore.layout import fmt_display
from trailwarden.trailstore.records import Record, event_time
from trailwarden.trailstore.source import METADATA_SUFFIX

Sink = Callable[[str, bytes, dict[str, str]], None]
ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Digests in the example run end at HH:34:08; each Region a few seconds apart.
DIGEST_OFFSET = timedelta(minutes=34, seconds=8)


@dataclass
class FixtureKey:
    """An RSA key pair standing in for CloudTrail's per-Region signing key."""

    private: rsa.RSAPrivateKey
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @classmethod
    def generate(
        cls, valid_from: datetime | None = None, valid_to: datetime | None = None, bits: int = 2048
    ) -> FixtureKey:
        return cls(
            rsa.generate_private_key(public_exponent=65537, key_size=bits), valid_from, valid_to
        )

    @property
    def der(self) -> bytes:
        pub = self.private.public_key()
        return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.der)

    def public(self) -> PublicKey:
        return PublicKey(self.fingerprint, self.der, self.valid_from, self.valid_to)

    def pem(self) -> bytes:
        pub = self.private.public_key()
        return pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def list_public_keys_entry(self) -> dict[str, Any]:
        """As CloudTrail ListPublicKeys returns it (Value decoded to DER bytes, like boto3)."""
        far = datetime(2100, 1, 1, tzinfo=UTC)
        return {
            "Value": self.der,
            "ValidityStartTime": self.valid_from or datetime(2000, 1, 1, tzinfo=UTC),
            "ValidityEndTime": self.valid_to or far,
            "Fingerprint": self.fingerprint,
        }


@dataclass
class DigestFile:
    key: str
    doc: dict[str, Any]
    signature: str
    log_keys: list[str]


@dataclass(frozen=True)
class Chain:
    """Where one account's files for one Region go (the layout's coordinates of a chain)."""

    bucket: str
    prefix: str
    org_id: str | None
    account: str
    region: str
    trail: str
    home: str

    def log_key(self, delivered: datetime, unique: str) -> str:
        org, account = self.org_id, self.account
        return layout.log_key(self.prefix, org, account, self.region, delivered, unique)

    def digest_key(self, end: datetime, backfill: bool = False) -> str:
        org, account, region = self.org_id, self.account, self.region
        return layout.digest_key(
            self.prefix, org, account, region, self.trail, self.home, end, backfill
        )


@dataclass
class Delivery:
    bucket: str
    trail: str  # the trail's name
    home: str  # its home Region
    digests: dict[tuple[str, str], list[DigestFile]] = field(default_factory=dict)  # (acct, R)
    backfill: dict[tuple[str, str], list[DigestFile]] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

    def chain(self, account: str, region: str) -> list[DigestFile]:
        return self.digests[(account, region)]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def sign_digest(doc: dict[str, Any], key: FixtureKey) -> tuple[bytes, dict[str, str], str]:
    """Serialise and sign a digest document: (gzipped body, S3 metadata, hex signature)."""
    inflated = json.dumps(doc, separators=(",", ":")).encode()
    previous = doc.get("previousDigestSignature") or "null"
    to_sign = (
        f"{doc['digestEndTime']}\n{doc['digestS3Bucket']}/{doc['digestS3Object']}\n"
        f"{hashlib.sha256(inflated).hexdigest()}\n{previous}"
    ).encode()
    signature = key.private.sign(to_sign, padding.PKCS1v15(), hashes.SHA256()).hex()
    meta = {"signature": signature, "signature-algorithm": "SHA256withRSA"}
    return gz(inflated), meta, signature


_EVENTS = [
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("iam.amazonaws.com", "GetRole", True),
    ("sts.amazonaws.com", "AssumeRole", False),
    ("ec2.amazonaws.com", "RunInstances", False),
    ("kms.amazonaws.com", "Decrypt", True),
    ("lambda.amazonaws.com", "ListFunctions20150331", True),
    ("cloudtrail.amazonaws.com", "LookupEvents", True),
]


def _record(rng: random.Random, account: str, region: str, when: datetime) -> dict[str, Any]:
    source, name, read_only = rng.choice(_EVENTS)
    user = rng.choice(["alice", "bob", "deploy-bot", "ci"])
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROA{rng.randrange(10**15):015d}:{user}",
            "arn": f"arn:aws:sts::{account}:assumed-role/Admin/{user}",
            "accountId": account,
            "accessKeyId": f"ASIA{rng.randrange(10**15):016d}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": f"arn:aws:iam::{account}:role/Admin",
                    "accountId": account,
                    "userName": "Admin",
                },
                "attributes": {
                    "creationDate": fmt_display(when - timedelta(minutes=20)),
                    "mfaAuthenticated": "false",
                },
            },
        },
        "eventTime": fmt_display(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"203.0.113.{rng.randrange(1, 255)}",
        "userAgent": rng.choice(["aws-cli/2.15.30 Python/3.11.8", "Boto3/1.34.69", "console"]),
        "requestParameters": {"maxResults": rng.randrange(5, 1000)}
        if read_only
        else {"roleArn": f"arn:aws:iam::{account}:role/App", "roleSessionName": user},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }


def iter_trail_delivery(
    delivery: Delivery,
    account: str,
    regions: Sequence[str],
    start: datetime,
    hours: int,
    key: FixtureKey,
    *,
    org_id: str | None = None,
    prefix: str = "",
    logs_per_hour: int = 4,
    records_per_log: int = 20,
    gaps: Sequence[tuple[int, int]] = (),
    rotations: Sequence[tuple[datetime, FixtureKey]] = (),
    backfill: Sequence[int] = (),
    seed: int = 0,
) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    """Yield (key, body, metadata) for every object; fills ``delivery`` as it goes."""
    rng = random.Random(f"{seed}/{account}")
    for ri, region in enumerate(regions):
        chain = Chain(
            delivery.bucket, prefix, org_id, account, region, delivery.trail, delivery.home
        )
        files = delivery.digests.setdefault((account, region), [])
        previous: DigestFile | None = None
        previous_inflated = b""
        backfilled: DigestFile | None = None
        previous_end = start
        for h in range(hours):
            if any(a <= h < b for a, b in gaps):
                previous = None  # logging was off: the next digest starts a new chain
                continue
            end = start + timedelta(hours=h) + DIGEST_OFFSET + timedelta(seconds=ri)
            begin = previous_end if previous else end - timedelta(hours=1)
            logs, newest, oldest = [], None, None
            for n in range(logs_per_hour):
                delivered = begin + (end - begin) * (n + 1) / (logs_per_hour + 1)
                name = "".join(rng.choice(ALPHANUM) for _ in range(16))
                log_key = chain.log_key(delivered, name)
                times = sorted(
                    delivered - timedelta(seconds=rng.randrange(30, 600))
                    for _ in range(records_per_log)
                )
                body = json.dumps(
                    {"Records": [_record(rng, account, region, t) for t in times]},
                    separators=(",", ":"),
                ).encode()
                yield log_key, gz(body), {}
                delivery.logs.append(log_key)
                first, last = fmt_display(times[0]), fmt_display(times[-1])
                oldest = oldest or first
                newest = last
                logs.append(
                    {
                        "s3Bucket": delivery.bucket,
                        "s3Object": log_key,
                        "hashValue": hashlib.sha256(body).hexdigest(),
                        "hashAlgorithm": "SHA-256",
                        "newestEventTime": last,
                        "oldestEventTime": first,
                    }
                )
            signer = key
            for when, rotated in rotations:
                if end >= when:
                    signer = rotated
            digest_key = chain.digest_key(end)
            doc: dict[str, Any] = {
                "awsAccountId": account,
                "digestStartTime": fmt_display(begin),
                "digestEndTime": fmt_display(end),
                "digestS3Bucket": delivery.bucket,
                "digestS3Object": digest_key,
                "digestPublicKeyFingerprint": signer.fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": newest,
                "oldestEventTime": oldest,
                "previousDigestS3Bucket": delivery.bucket if previous else None,
                "previousDigestS3Object": previous.key if previous else None,
                "previousDigestHashValue": (
                    hashlib.sha256(previous_inflated).hexdigest() if previous else None
                ),
                "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                "previousDigestSignature": previous.signature if previous else None,
                "logFiles": logs,
            }
            body, meta, signature = sign_digest(doc, signer)
            yield digest_key, body, meta
            previous = DigestFile(digest_key, doc, signature, [entry["s3Object"] for entry in logs])
            previous_inflated = gzip.decompress(body)
            previous_end = end
            files.append(previous)
            if h in backfill:
                # A backfill digest re-covers the hour under its own key and its own chain, with
                # the generation time in metadata (the CLI fetches keys around that time).
                backfilled = yield from _backfill_digest(chain, doc, backfilled, signer, end)
                delivery.backfill.setdefault((account, region), []).append(backfilled)


def _backfill_digest(
    chain: Chain, doc: dict[str, Any], previous: DigestFile | None, key: FixtureKey, end: datetime
) -> Generator[tuple[str, bytes, dict[str, str]], None, DigestFile]:
    digest_key = chain.digest_key(end, backfill=True)
    bdoc = dict(
        doc,
        digestS3Object=digest_key,
        previousDigestS3Bucket=chain.bucket if previous else None,
        previousDigestS3Object=previous.key if previous else None,
        previousDigestHashValue=None,
        previousDigestHashAlgorithm="SHA-256" if previous else None,
        previousDigestSignature=previous.signature if previous else None,
    )
    if previous:
        inflated = json.dumps(previous.doc, separators=(",", ":")).encode()
        bdoc["previousDigestHashValue"] = hashlib.sha256(inflated).hexdigest()
    body, meta, signature = sign_digest(bdoc, key)
    meta["backfill-generation-timestamp"] = fmt_display(end + timedelta(days=2))
    yield digest_key, body, meta
    return DigestFile(digest_key, bdoc, signature, [e["s3Object"] for e in bdoc["logFiles"]])


def write_trail_delivery(
    sink: Sink,
    account: str,
    regions: Sequence[str],
    start: datetime,
    hours: int,
    key: FixtureKey,
    org_id: str | None = None,
    *,
    bucket: str = "ct-fixture-bucket",
    trail_name: str = "management-events",
    home_region: str | None = None,
    delivery: Delivery | None = None,
    **options: Any,
) -> Delivery:
    """Write one account's delivery for ``hours`` hours from ``start`` into ``sink``.

    Call again with the same ``delivery`` for more accounts (organisation layout: pass org_id).
    Options: prefix, logs_per_hour, records_per_log, gaps [(from_hour, to_hour)], rotations
    [(time, FixtureKey)], backfill [hour, ...] (also write a backfill digest for those hours), seed.
    """
    home = home_region or regions[0]
    if delivery is None:
        delivery = Delivery(bucket, trail_name, home)
    for obj_key, body, meta in iter_trail_delivery(
        delivery, account, regions, start, hours, key, org_id=org_id, **options
    ):
        sink(obj_key, body, meta)
    return delivery


def dir_sink(root: Path) -> Sink:
    """Write objects in the ``--dir`` layout (metadata beside each object that has some)."""

    def write(key: str, body: bytes, metadata: dict[str, str]) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        if metadata:
            path.with_name(path.name + METADATA_SUFFIX).write_text(json.dumps(metadata))

    return write


def s3_sink(client: Any, bucket: str) -> Sink:
    """Write objects with a boto3 S3 client (passed in: this module does not import boto3)."""

    def write(key: str, body: bytes, metadata: dict[str, str]) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)

    return write


def _batch_time(rec: Record) -> datetime:
    when = event_time(rec) or datetime(1970, 1, 1, tzinfo=UTC)
    return when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)


def group_for_delivery(
    records: Sequence[Record], org: str | None = None, prefix: str = ""
) -> dict[str, list[Record]]:
    """Key -> records, batching like CloudTrail: per account, Region and 5-minute window."""
    groups: dict[tuple[str, str, datetime], list[Record]] = defaultdict(list)
    for rec in records:
        account = str(rec.get("recipientAccountId") or "000000000000")
        region = str(rec.get("awsRegion") or "us-east-1")
        groups[(account, region, _batch_time(rec))].append(rec)
    out: dict[str, list[Record]] = {}
    for (account, region, batch), recs in sorted(groups.items()):
        ids = "".join(str(r.get("eventID")) for r in recs)
        unique = hashlib.sha256(ids.encode()).hexdigest()[:16].upper()
        delivered = batch + timedelta(minutes=5)
        out[layout.log_key(prefix, org, account, region, delivered, unique)] = recs
    return out


def write_records(
    sink: Sink, records: Sequence[Record], org: str | None = None, compresslevel: int = 6
) -> list[str]:
    """File ``records`` into ``sink`` as CloudTrail delivers them; return the keys written."""
    written = []
    for key, recs in group_for_delivery(records, org).items():
        body = json.dumps({"Records": recs}, separators=(",", ":")).encode()
        sink(key, gzip.compress(body, compresslevel=compresslevel, mtime=0), {})
        written.append(key)
    return written


def write_layout(
    records: Sequence[Record], root: Path, org: str | None = None, compresslevel: int = 6
) -> list[Path]:
    """``write_records`` into a folder; return the files written."""
    return [root / key for key in write_records(dir_sink(root), records, org, compresslevel)]
