"""Oracle agreement: trailwarden and the real AWS CLI give the same verdicts on tampered fixtures.

Both read the same moto bucket. Per case we compare every item's verdict (the CLI runs with
--verbose so valid files are listed too), the gaps, the valid/total counts and the exit code (the
CLI runs once per account and Region).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from trailwarden.trailstore.fixtures import FixtureKey, gz, sign_digest

from .conftest import (
    ACCOUNT,
    ARN,
    BUCKET,
    START,
    TrailBucket,
    Verdicts,
    aws_cli_verdicts,
    end_of,
    make_trail_bucket,
    trailwarden_verdicts,
)

pytestmark = pytest.mark.slow
HOURS = 6
R1 = "us-east-1"


def chain(tb: TrailBucket, region: str = R1, account: str = ACCOUNT) -> Any:
    assert tb.delivery is not None
    return tb.delivery.chain(account, region)


def log_of(tb: TrailBucket, hour: int, n: int = 1) -> str:
    return str(chain(tb)[hour].log_keys[n])


def modify_log(tb: TrailBucket) -> None:
    key = log_of(tb, 2)
    doc = json.loads(gzip.decompress(tb.body(key)))
    doc["Records"][0]["eventName"] = "StopLogging"
    tb.put(key, gz(json.dumps(doc).encode()))


def delete_log(tb: TrailBucket) -> None:
    tb.delete(log_of(tb, 2))


def corrupt_log(tb: TrailBucket) -> None:
    key = log_of(tb, 3)
    body = bytearray(tb.body(key))
    body[len(body) // 2] ^= 0xFF
    tb.put(key, bytes(body))


def truncate_log(tb: TrailBucket) -> None:
    key = log_of(tb, 3)
    body = tb.body(key)
    tb.put(key, body[: len(body) // 2])


def append_gzip_member(tb: TrailBucket) -> None:
    key = log_of(tb, 1)
    tb.put(key, tb.body(key) + gz(b'{"Records":[]}'))


def modify_digest(tb: TrailBucket) -> None:
    d = chain(tb)[3]
    doc = json.loads(gzip.decompress(tb.body(d.key)))
    doc["logFiles"] = doc["logFiles"][1:]  # hide a log file from the evidence
    tb.put(d.key, gz(json.dumps(doc, separators=(",", ":")).encode()), tb.metadata(d.key))


def delete_digest(hour: int) -> Callable[[TrailBucket], None]:
    def tamper(tb: TrailBucket) -> None:
        tb.delete(chain(tb)[hour].key)

    return tamper


def corrupt_digest(tb: TrailBucket) -> None:
    d = chain(tb)[2]
    tb.put(d.key, b"\x1f\x8b not really gzip", tb.metadata(d.key))


def break_signature(tb: TrailBucket) -> None:
    d = chain(tb)[4]
    meta = tb.metadata(d.key)
    meta["signature"] = ("0" if meta["signature"][0] != "0" else "1") + meta["signature"][1:]
    tb.put(d.key, tb.body(d.key), meta)


def odd_signature(tb: TrailBucket) -> None:
    d = chain(tb)[4]
    meta = tb.metadata(d.key)
    meta["signature"] = meta["signature"][:-1]
    tb.put(d.key, tb.body(d.key), meta)


def drop_signature(tb: TrailBucket) -> None:
    d = chain(tb)[1]
    tb.put(d.key, tb.body(d.key))


def move_digest(tb: TrailBucket) -> None:
    d = chain(tb)[-1]
    body, meta = tb.body(d.key), tb.metadata(d.key)
    tb.delete(d.key)
    tb.put(d.key.replace("3408Z.json.gz", "3508Z.json.gz"), body, meta)


def sha512_signature(key: FixtureKey) -> Callable[[TrailBucket], None]:
    """python-rsa (the CLI) accepts any hash in the DigestInfo; SHA-512 must stay valid."""

    def tamper(tb: TrailBucket) -> None:
        d = chain(tb)[2]
        body = tb.body(d.key)
        inflated = gzip.decompress(body)
        from hashlib import sha256

        message = (
            f"{d.doc['digestEndTime']}\n{BUCKET}/{d.key}\n{sha256(inflated).hexdigest()}\n"
            f"{d.doc['previousDigestSignature']}"
        ).encode()
        sig = key.private.sign(message, padding.PKCS1v15(), hashes.SHA512()).hex()
        tb.put(d.key, body, {"signature": sig, "signature-algorithm": "SHA256withRSA"})

    return tamper


def unknown_key(tb: TrailBucket) -> None:
    other = FixtureKey.generate(bits=1024)
    d = chain(tb)[3]
    doc = dict(d.doc, digestPublicKeyFingerprint=other.fingerprint)
    body, meta, _ = sign_digest(doc, other)
    tb.put(d.key, body, meta)


CASES: dict[str, Callable[[TrailBucket], None] | None] = {
    "clean": None,
    "modified-log": modify_log,
    "deleted-log": delete_log,
    "corrupt-log": corrupt_log,
    "truncated-log": truncate_log,
    "appended-gzip-member": append_gzip_member,
    "modified-digest": modify_digest,
    "deleted-newest-digest": delete_digest(HOURS - 1),
    "deleted-middle-digest": delete_digest(3),
    "deleted-oldest-digest": delete_digest(0),
    "corrupt-digest": corrupt_digest,
    "broken-signature": break_signature,
    "odd-length-signature": odd_signature,
    "missing-signature": drop_signature,
    "moved-digest": move_digest,
    "unknown-public-key": unknown_key,
}


NOT_FOUND, MISMATCH, FORMAT, BAD_SIG = (
    "not found",
    "hash value doesn't match",
    "invalid format",
    "signature verification failed",
)
EXPECTED: dict[str, list[str]] = {
    "clean": [],
    "modified-log": [MISMATCH],
    "deleted-log": [NOT_FOUND],
    "corrupt-log": [FORMAT],
    "truncated-log": [MISMATCH],
    "appended-gzip-member": ["unexpected data after end of compressed stream"],
    "modified-digest": [BAD_SIG],
    "deleted-newest-digest": [],  # the CLI's blind spot (see --strict)
    "deleted-middle-digest": [NOT_FOUND],
    "deleted-oldest-digest": [NOT_FOUND],
    "corrupt-digest": [FORMAT],
    "broken-signature": [BAD_SIG],
    "odd-length-signature": ["Odd-length string"],
    "missing-signature": [BAD_SIG],
    "moved-digest": ["has been moved from its original location"],
    "unknown-public-key": ["public key not found in region us-east-1"],
}


def compare(
    tb: TrailBucket,
    endpoint: str,
    cli: Any,
    keys: list[FixtureKey],
    chains: list[tuple[str, str]],
    tmp: Path,
    hours: int = HOURS,
) -> Verdicts:
    start, end = START + timedelta(minutes=30), end_of(hours)
    res = cli(
        [
            "validate",
            "--trail-arn",
            ARN,
            "--start-time",
            start.isoformat(),
            "--end-time",
            end.isoformat(),
            "--output",
            "json",
        ]
    )
    assert res.code in (0, 1), res.stderr
    ours = trailwarden_verdicts(json.loads(res.stdout), res.code)
    theirs = aws_cli_verdicts(endpoint, keys, tb.org_id, chains, start, end, tmp)
    assert ours.invalid == theirs.invalid
    assert ours.items == theirs.items
    # The parser saw one line per counted file, so item-by-item is complete.
    assert sum(theirs.items.values()) == theirs.counts["digest"][1] + theirs.counts["log"][1]
    assert sorted(ours.gaps) == sorted(theirs.gaps)
    assert ours.counts == theirs.counts
    assert ours.exit_code == theirs.exit_code
    return theirs


@pytest.mark.parametrize("case", list(CASES))
def test_same_verdicts_as_aws_cli(
    case: str,
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    aws: str,
    cli: Any,
    tmp_path: Path,
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], [R1], HOURS, signing_key)
    tamper = CASES[case]
    if tamper is not None:
        tamper(trail_bucket)
    theirs = compare(trail_bucket, aws, cli, [signing_key], [(ACCOUNT, R1)], tmp_path)
    # Each tampering must really be caught (or, for the clean case, nothing reported).
    assert sorted({why.split(" for ")[0] for *_, why in theirs.invalid}) == EXPECTED[case]


def test_sha512_signature_same_as_aws_cli(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    aws: str,
    cli: Any,
    tmp_path: Path,
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], [R1], HOURS, signing_key)
    sha512_signature(signing_key)(trail_bucket)
    compare(trail_bucket, aws, cli, [signing_key], [(ACCOUNT, R1)], tmp_path)


def test_multi_region_with_logging_gap(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    aws: str,
    cli: Any,
    tmp_path: Path,
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], [R1, "eu-west-1"], 8, signing_key, gaps=[(3, 5)])
    delete_log(trail_bucket)
    chains = [(ACCOUNT, R1), (ACCOUNT, "eu-west-1")]
    compare(trail_bucket, aws, cli, [signing_key], chains, tmp_path, hours=8)


def test_key_prefix(
    aws: str, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any, tmp_path: Path
) -> None:
    public_keys.append(signing_key)
    tb = make_trail_bucket(prefix="audit/trails")
    delivery = tb.deliver([ACCOUNT], [R1], HOURS, signing_key)
    assert delivery.logs[0].startswith("audit/trails/AWSLogs/")
    tb.delete(delivery.chain(ACCOUNT, R1)[3].key)
    theirs = compare(tb, aws, cli, [signing_key], [(ACCOUNT, R1)], tmp_path)
    assert {why for *_, why in theirs.invalid} == {NOT_FOUND}


def test_organisation_layout(
    aws: str, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any, tmp_path: Path
) -> None:
    public_keys.append(signing_key)
    tb = make_trail_bucket(org_id="o-abc123defg")
    members = [ACCOUNT, "111122223333"]
    tb.deliver(members, [R1], HOURS, signing_key)
    tb.delete(tb.delivery.chain("111122223333", R1)[2].key)  # type: ignore[union-attr]
    compare(tb, aws, cli, [signing_key], [(a, R1) for a in members], tmp_path)


def test_key_rotation(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], aws: str, cli: Any, tmp_path: Path
) -> None:
    rotate = START + timedelta(hours=3)
    old = FixtureKey.generate(valid_to=rotate + timedelta(hours=1))
    new = FixtureKey.generate(valid_from=rotate)
    public_keys += [old, new]
    trail_bucket.deliver([ACCOUNT], [R1], HOURS, old, rotations=[(rotate, new)])
    modify_log(trail_bucket)
    compare(trail_bucket, aws, cli, [old, new], [(ACCOUNT, R1)], tmp_path)


def test_backfill_digests(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    aws: str,
    cli: Any,
    tmp_path: Path,
) -> None:
    """Backfill digests: their own pass, keys fetched around the generation time, own gaps."""
    public_keys.append(signing_key)
    delivery = trail_bucket.deliver([ACCOUNT], [R1], HOURS, signing_key, backfill=[1, 2, 4])
    modify_log(trail_bucket)  # a log listed by both a standard and a backfill digest
    broken = delivery.backfill[(ACCOUNT, R1)][0].key
    trail_bucket.put(broken, trail_bucket.body(broken))  # signature metadata lost
    theirs = compare(trail_bucket, aws, cli, [signing_key], [(ACCOUNT, R1)], tmp_path)
    assert (("digest", BUCKET, broken, BAD_SIG)) in theirs.invalid
    assert theirs.counts["digest"] == [8, 9]  # 6 standard + 3 backfill digests, 1 invalid


def test_trail_moved_to_another_bucket(
    aws: str, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any, tmp_path: Path
) -> None:
    """The chain continues into the trail's previous bucket (the CLI re-lists that bucket)."""
    public_keys.append(signing_key)
    old = make_trail_bucket()
    delivery = old.deliver([ACCOUNT], [R1], HOURS, signing_key)
    new_bucket = "ct-fixture-bucket-2"
    old.s3.create_bucket(Bucket=new_bucket)
    import boto3

    boto3.client("cloudtrail", region_name="us-east-1").update_trail(
        Name=ARN, S3BucketName=new_bucket
    )
    signature = None
    for i, d in enumerate(delivery.chain(ACCOUNT, R1)):
        if i < 3:
            continue
        doc = json.loads(gzip.decompress(old.body(d.key)))
        doc["digestS3Bucket"] = new_bucket
        for log in doc["logFiles"]:
            old.s3.put_object(
                Bucket=new_bucket, Key=log["s3Object"], Body=old.body(log["s3Object"])
            )
            log["s3Bucket"] = new_bucket
        if i > 3:
            doc["previousDigestS3Bucket"] = new_bucket
            doc["previousDigestSignature"] = signature
            doc["previousDigestHashValue"] = None
        body, meta, signature = sign_digest(doc, signing_key)
        old.s3.put_object(Bucket=new_bucket, Key=d.key, Body=body, Metadata=meta)
        old.delete(d.key)
    old.delete(delivery.chain(ACCOUNT, R1)[1].log_keys[0])  # in the old bucket
    theirs = compare(old, aws, cli, [signing_key], [(ACCOUNT, R1)], tmp_path)
    assert theirs.counts["digest"] == [6, 6]
    assert {(b, why) for _, b, _, why in theirs.invalid} == {(BUCKET, NOT_FOUND)}


class SpkiPublished(FixtureKey):
    """A key that ListPublicKeys publishes as SubjectPublicKeyInfo instead of PKCS#1."""

    @property
    def der(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def fingerprint(self) -> str:
        return "0123456789abcdef0123456789abcdef"


def test_unloadable_public_key(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], aws: str, cli: Any, tmp_path: Path
) -> None:
    key = SpkiPublished(FixtureKey.generate(bits=1024).private)
    public_keys.append(key)
    trail_bucket.deliver([ACCOUNT], [R1], 3, key)
    theirs = compare(trail_bucket, aws, cli, [key], [(ACCOUNT, R1)], tmp_path, hours=3)
    assert {why for *_, why in theirs.invalid} == {
        f"Unable to load PKCS #1 key with fingerprint {key.fingerprint}"
    }
