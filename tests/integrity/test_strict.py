"""--strict findings: each one fails on a tampered fixture and passes on the clean one.

These run on a local copy (``--dir``) with ``--public-key``, except the key-validity check, which
needs the validity periods that only ListPublicKeys gives (moto taught, see conftest).
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from trailwarden.trailstore.fixtures import (
    Delivery,
    FixtureKey,
    dir_sink,
    gz,
    sign_digest,
    write_trail_delivery,
)

from .conftest import ACCOUNT, ARN, BUCKET, START, TrailBucket

R1 = "us-east-1"
HOURS = 6


@pytest.fixture
def local(tmp_path: Path, signing_key: FixtureKey) -> tuple[Path, Delivery, Path]:
    root = tmp_path / "copy"
    delivery = write_trail_delivery(dir_sink(root), ACCOUNT, [R1], START, HOURS, signing_key)
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(signing_key.pem())
    return root, delivery, key_file


def run(cli: Any, root: Path, key_file: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    res = cli(
        [
            "validate",
            "--dir",
            str(root),
            "--bucket",
            BUCKET,
            "--public-key",
            str(key_file),
            "--start-time",
            (START + timedelta(minutes=30)).isoformat(),
            "--end-time",
            (START + timedelta(hours=HOURS)).isoformat(),
            "--strict",
            "--output",
            "json",
            *extra,
        ]
    )
    assert res.code in (0, 1), res.stderr
    return res.code, [i for i in json.loads(res.stdout)["items"] if i["strict"]]


def reasons(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(f["reason"].split(":")[0].split(" (")[0] for f in findings)


# Re-signing a digest changes its signature and hash, which its successor records; so the tests
# that re-sign pick the newest digest (index -1), whose change has no successor to disagree.


def resign(root: Path, key: FixtureKey, digest_key: str, **changes: Any) -> None:
    doc = json.loads(gzip.decompress((root / digest_key).read_bytes()))
    doc.update(changes)
    body, meta, _ = sign_digest(doc, key)
    dir_sink(root)(digest_key, body, meta)


def test_clean_copy_has_no_strict_findings(local: Any, cli: Any) -> None:
    root, _, key_file = local
    assert run(cli, root, key_file) == (0, [])


def test_deleted_newest_digests(local: Any, cli: Any) -> None:
    root, delivery, key_file = local
    for d in delivery.chain(ACCOUNT, R1)[-2:]:
        (root / d.key).unlink()
    code, findings = run(cli, root, key_file)
    assert code == 1
    assert reasons(findings) == ["newest digests missing"]
    assert findings[0]["kind"] == "digest" and findings[0]["region"] == R1


def test_previous_hash_value_mismatch(local: Any, cli: Any, signing_key: FixtureKey) -> None:
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    resign(root, signing_key, d.key, previousDigestHashValue="0" * 64)
    code, findings = run(cli, root, key_file)
    assert (code, reasons(findings)) == (
        1,
        ["previousDigestHashValue does not match the previous digest"],
    )
    assert findings[0]["key"] == d.key


def test_previous_signature_mismatch(local: Any, cli: Any, signing_key: FixtureKey) -> None:
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    resign(root, signing_key, d.key, previousDigestSignature="ab" * 256)
    code, findings = run(cli, root, key_file)
    assert code == 1
    assert reasons(findings) == [
        "previousDigestSignature does not match the previous digest's signature"
    ]


def test_bytes_after_digest_gzip_member(local: Any, cli: Any) -> None:
    root, delivery, key_file = local
    path = root / delivery.chain(ACCOUNT, R1)[2].key
    path.write_bytes(path.read_bytes() + gz(b"{}"))
    code, findings = run(cli, root, key_file)
    assert (code, reasons(findings)) == (1, ["bytes after the first gzip member"])


def test_signature_hash_not_sha256(local: Any, cli: Any, signing_key: FixtureKey) -> None:
    from hashlib import sha256

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    inflated = gzip.decompress((root / d.key).read_bytes())
    message = (
        f"{d.doc['digestEndTime']}\n{BUCKET}/{d.key}\n{sha256(inflated).hexdigest()}\n"
        f"{d.doc['previousDigestSignature']}"
    ).encode()
    signature = signing_key.private.sign(message, padding.PKCS1v15(), hashes.SHA1()).hex()
    meta = {"signature": signature, "signature-algorithm": "SHA256withRSA"}
    (root / (d.key + ".metadata.json")).write_text(json.dumps(meta))
    code, findings = run(cli, root, key_file)
    assert (code, reasons(findings)) == (1, ["signature hash is SHA-1, not SHA-256"])


def test_unlisted_log_file(local: Any, cli: Any) -> None:
    root, delivery, key_file = local
    listed = delivery.chain(ACCOUNT, R1)[3].log_keys[0]
    extra = listed.replace(listed.rsplit("_", 1)[1], "ZZZZZZZZZZZZZZZZ.json.gz")
    (root / extra).write_bytes((root / listed).read_bytes())
    code, findings = run(cli, root, key_file)
    assert (code, reasons(findings)) == (1, ["log file not listed in any digest"])
    assert findings[0]["key"] == extra


def test_log_listed_twice(local: Any, cli: Any, signing_key: FixtureKey) -> None:
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    resign(root, signing_key, d.key, logFiles=d.doc["logFiles"] + d.doc["logFiles"][:1])
    code, findings = run(cli, root, key_file)
    assert (code, reasons(findings)) == (1, ["listed more than once"])


def test_key_used_outside_validity(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], cli: Any
) -> None:
    expired = FixtureKey.generate(valid_to=START + timedelta(hours=2))
    public_keys.append(expired)
    trail_bucket.deliver([ACCOUNT], [R1], HOURS, expired)
    args = [
        "validate",
        "--trail-arn",
        ARN,
        "--start-time",
        (START + timedelta(minutes=30)).isoformat(),
        "--end-time",
        (START + timedelta(hours=HOURS)).isoformat(),
        "--output",
        "json",
    ]
    plain = json.loads(cli(args).stdout)
    assert all(i["status"] == "valid" for i in plain["items"])  # the CLI's verdict: all valid
    res = cli([*args, "--strict"])
    findings = [i for i in json.loads(res.stdout)["items"] if i["strict"]]
    assert res.code == 1
    # Digests ending after the key's validity (hours 2..5) are flagged, earlier ones are not.
    flagged = {f["key"] for f in findings}
    chain = trail_bucket.delivery.chain(ACCOUNT, R1)  # type: ignore[union-attr]
    assert flagged == {d.key for d in chain if d.doc["digestEndTime"] > "2025-06-01T02:00:00Z"}
    assert all("outside its validity period" in f["reason"] for f in findings)


@pytest.mark.parametrize("delete_newest", [False, True])
def test_newest_digest_deleted_in_home_region(
    delete_newest: bool,
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One deleted newest digest, caught against GetTrailStatus LatestDigestDeliveryTime.

    moto's trail status has no LatestDigestDeliveryTime; the test adds it (3 minutes after the
    newest digest's end, as CloudTrail delivers it) to moto's TrailStatus description.
    """
    from moto.cloudtrail.models import TrailStatus

    public_keys.append(signing_key)
    delivery = trail_bucket.deliver([ACCOUNT], [R1, "eu-west-1"], HOURS, signing_key)
    newest = delivery.chain(ACCOUNT, R1)[-1]
    delivered = datetime.fromisoformat(newest.doc["digestEndTime"]) + timedelta(minutes=3)
    original = TrailStatus.description

    def description(self: TrailStatus) -> dict[str, Any]:
        return {**original(self), "LatestDigestDeliveryTime": delivered.timestamp()}

    monkeypatch.setattr(TrailStatus, "description", description)
    if delete_newest:
        trail_bucket.delete(newest.key)
    res = cli(
        [
            "validate",
            "--trail-arn",
            ARN,
            "--strict",
            "--output",
            "json",
            "--start-time",
            (START + timedelta(minutes=30)).isoformat(),
            "--end-time",
            (START + timedelta(hours=HOURS)).isoformat(),
        ]
    )
    findings = [i for i in json.loads(res.stdout)["items"] if i["strict"]]
    if delete_newest:
        assert res.code == 1
        assert [(f["region"], reasons([f])) for f in findings] == [(R1, ["newest digests missing"])]
        assert "although the trail delivered a digest at" in findings[0]["reason"]
    else:
        assert (res.code, findings) == (0, [])


# What a digest declares about itself (docs/validate.md, "What a digest declares"): the AWS CLI
# reads none of it; --strict requires what CloudTrail writes.
DECLARED = [
    ({"awsAccountId": "999999999999"}, "awsAccountId '999999999999' is not the account"),
    ({"digestSignatureAlgorithm": "SHA1withRSA"}, "digestSignatureAlgorithm is 'SHA1withRSA'"),
    ({"previousDigestHashAlgorithm": "MD5"}, "previousDigestHashAlgorithm is 'MD5'"),
]


@pytest.mark.parametrize(("changes", "reason"), DECLARED)
def test_declared_digest_fields(
    changes: dict[str, Any], reason: str, local: Any, cli: Any, signing_key: FixtureKey
) -> None:
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    resign(root, signing_key, d.key, **changes)
    code, findings = run(cli, root, key_file)
    assert code == 1
    assert [(f["key"], f["reason"].startswith(reason)) for f in findings] == [(d.key, True)]


def test_log_entry_hash_algorithm(local: Any, cli: Any, signing_key: FixtureKey) -> None:
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[-1]
    logs = [dict(entry) for entry in d.doc["logFiles"]]
    logs[0]["hashAlgorithm"] = "MD5"
    resign(root, signing_key, d.key, logFiles=logs)
    code, findings = run(cli, root, key_file)
    assert code == 1
    assert [(f["kind"], f["key"]) for f in findings] == [("log", logs[0]["s3Object"])]
    assert findings[0]["reason"].startswith("hashAlgorithm is 'MD5', not SHA-256")


def test_signature_algorithm_metadata_is_unsigned_but_checked(local: Any, cli: Any) -> None:
    """The metadata is not signed: rewriting the object's metadata keeps every CLI verdict."""
    root, delivery, key_file = local
    d = delivery.chain(ACCOUNT, R1)[2]
    meta_file = root / (d.key + ".metadata.json")
    meta = json.loads(meta_file.read_text())
    meta["signature-algorithm"] = "SHA1withRSA"
    meta_file.write_text(json.dumps(meta))
    code, findings = run(cli, root, key_file)
    assert code == 1
    assert [f["key"] for f in findings] == [d.key]
    assert (
        findings[0]["reason"] == "signature-algorithm metadata is 'SHA1withRSA', not SHA256withRSA"
    )
