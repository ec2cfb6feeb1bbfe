"""The command line: bad input gives one clear line and exit 2; local copies validate like S3."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from trailwarden.trailstore.fixtures import FixtureKey, dir_sink, write_trail_delivery

from .conftest import ACCOUNT, ARN, BUCKET, START, TrailBucket

WINDOW = ["--start-time", "2025-06-01T00:30:00Z", "--end-time", "2025-06-01T06:00:00Z"]


def one_line_error(res: Any, *needles: str) -> None:
    assert res.code == 2
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("trailwarden: error: "), res.stderr
    for needle in needles:
        assert needle in lines[0]


def test_unreadable_bucket(aws: str, cli: Any) -> None:
    res = cli(["validate", "--bucket", "no-such-bucket", *WINDOW])
    one_line_error(res, "no-such-bucket", "NoSuchBucket")


def test_unknown_trail(aws: str, cli: Any) -> None:
    res = cli(["validate", "--trail-arn", ARN, *WINDOW])
    one_line_error(res, "A trail could not be found")


def test_malformed_times(cli: Any) -> None:
    one_line_error(cli(["validate", "--bucket", "b", "--start-time", "yesterday"]), "--start-time")
    res = cli(
        ["validate", "--bucket", "b", "--start-time", "2025-06-02", "--end-time", "2025-06-01"]
    )
    one_line_error(res, "start-time must occur before end-time")


def test_bad_trail_arn(cli: Any) -> None:
    one_line_error(cli(["validate", "--trail-arn", "arn:nope", *WINDOW]), "Invalid trail ARN")


def test_key_file_that_is_not_a_key(tmp_path: Path, cli: Any) -> None:
    junk = tmp_path / "key.pem"
    junk.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    res = cli(
        ["validate", "--dir", str(tmp_path), "--bucket", BUCKET, "--public-key", str(junk), *WINDOW]
    )
    one_line_error(res, "not an RSA public key")


def test_dir_needs_a_bucket(tmp_path: Path, cli: Any) -> None:
    one_line_error(cli(["validate", "--dir", str(tmp_path), *WINDOW]), "--bucket")


def test_no_public_keys_is_an_error(
    trail_bucket: TrailBucket, signing_key: FixtureKey, cli: Any
) -> None:
    trail_bucket.deliver([ACCOUNT], ["us-east-1"], 3, signing_key)  # taught moto knows no key
    one_line_error(cli(["validate", "--trail-arn", ARN, *WINDOW]), "No public keys found")


def test_wrong_key_marks_digests_invalid(tmp_path: Path, signing_key: FixtureKey, cli: Any) -> None:
    root = tmp_path / "copy"
    write_trail_delivery(dir_sink(root), ACCOUNT, ["us-east-1"], START, 3, signing_key)
    other = tmp_path / "other.der"
    other.write_bytes(FixtureKey.generate(bits=1024).der)
    res = cli(
        ["validate", "--dir", str(root), "--bucket", BUCKET, "--public-key", str(other), *WINDOW]
    )
    assert res.code == 1
    invalid = [line for line in res.stdout.splitlines() if "INVALID" in line]
    assert len(invalid) == 3
    assert all(
        f"public key not found in region us-east-1 for fingerprint "
        f"{signing_key.fingerprint}" in line
        for line in invalid
    )


def test_right_key_by_fingerprint(tmp_path: Path, signing_key: FixtureKey, cli: Any) -> None:
    """FINGERPRINT=FILE names a key whose fingerprint is not our MD5 convention."""
    root = tmp_path / "copy"
    write_trail_delivery(dir_sink(root), ACCOUNT, ["us-east-1"], START, 3, signing_key)
    pem = tmp_path / "key.pem"
    pem.write_bytes(signing_key.pem())
    res = cli(
        [
            "validate",
            "--dir",
            str(root),
            "--bucket",
            BUCKET,
            "--public-key",
            f"{'f' * 32}={pem}",
            *WINDOW,
        ]
    )
    assert res.code == 1 and "fingerprint " + signing_key.fingerprint in res.stdout
    res = cli(
        [
            "validate",
            "--dir",
            str(root),
            "--bucket",
            BUCKET,
            "--public-key",
            f"{signing_key.fingerprint}={pem}",
            *WINDOW,
        ]
    )
    assert res.code == 0, res.stdout
    assert "3/3 digest files valid" in res.stdout and "12/12 log files valid" in res.stdout


def test_evidence_copy_validates_like_the_bucket(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    tmp_path: Path,
    cli: Any,
) -> None:
    public_keys.append(signing_key)
    delivery = trail_bucket.deliver([ACCOUNT], ["us-east-1", "eu-west-1"], 5, signing_key)
    trail_bucket.delete(delivery.chain(ACCOUNT, "eu-west-1")[1].log_keys[0])
    copy = tmp_path / "evidence"
    res = cli(["evidence", "download", "--trail-arn", ARN, "--dir", str(copy)])
    assert res.code == 0, res.stderr
    assert json.loads((copy / "trailwarden-evidence.json").read_text())["bucket"] == BUCKET
    key_file = tmp_path / "key.der"
    key_file.write_bytes(signing_key.der)
    from_s3 = cli(["validate", "--trail-arn", ARN, *WINDOW, "--output", "json"])
    offline = cli(
        [
            "validate",
            "--dir",
            str(copy),
            "--public-key",
            str(key_file),
            *WINDOW,
            "--trail-arn",
            ARN,
            "--output",
            "json",
        ]
    )
    assert from_s3.code == offline.code == 1
    assert json.loads(from_s3.stdout) == json.loads(offline.stdout)
    assert json.loads(offline.stdout)["summary"] == {
        "digests_valid": 10,
        "digests_total": 10,
        "logs_valid": 39,
        "logs_total": 40,
    }


def test_json_contract_and_discovery(tmp_path: Path, signing_key: FixtureKey, cli: Any) -> None:
    """Without --trail-arn, chains are found from the layout (organisation folders included)."""
    root = tmp_path / "copy"
    delivery = None
    for account in (ACCOUNT, "111122223333"):
        delivery = write_trail_delivery(
            dir_sink(root),
            account,
            ["us-east-1"],
            START + timedelta(hours=1),
            2,
            signing_key,
            org_id="o-abc123defg",
            delivery=delivery,
        )
    pem = tmp_path / "key.pem"
    pem.write_bytes(signing_key.pem())
    res = cli(
        [
            "validate",
            "--dir",
            str(root),
            "--bucket",
            BUCKET,
            "--public-key",
            str(pem),
            *WINDOW,
            "--output",
            "json",
        ]
    )
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"schema", "trail_arn", "start", "end", "items", "gaps", "summary"}
    assert doc["schema"] == "trailwarden.validation/1" and doc["trail_arn"] is None
    assert (doc["start"], doc["end"]) == ("2025-06-01T00:30:00Z", "2025-06-01T06:00:00Z")
    assert {(i["account"], i["kind"]) for i in doc["items"]} == {
        (a, k) for a in (ACCOUNT, "111122223333") for k in ("digest", "log")
    }
    item = doc["items"][0]
    assert set(item) == {"kind", "account", "region", "bucket", "key", "status", "reason", "strict"}
    assert doc["summary"] == {
        "digests_valid": 4,
        "digests_total": 4,
        "logs_valid": 16,
        "logs_total": 16,
    }


def test_access_denied_on_a_log_stops_the_run(tmp_path: Path, signing_key: FixtureKey) -> None:
    """Only "not found" is a verdict; any other read error ends the run (the CLI: exit 255)."""
    import pytest

    from trailwarden.errors import AccessError
    from trailwarden.integrity.options import Options, Scope
    from trailwarden.integrity.validator import validate
    from trailwarden.trailstore.source import LocalSource

    root = tmp_path / "copy"
    delivery = write_trail_delivery(dir_sink(root), ACCOUNT, ["us-east-1"], START, 4, signing_key)
    denied = delivery.logs[5]

    class Denying(LocalSource):
        def open_object(self, bucket: str, key: str) -> Any:
            if key == denied:
                raise AccessError(f"cannot read s3://{bucket}/{key}: AccessDenied")
            return super().open_object(bucket, key)

    with pytest.raises(AccessError, match="AccessDenied"):
        validate(
            Denying(root, BUCKET),
            Scope(BUCKET),
            Options(START, START + timedelta(hours=4)),
            lambda _r: lambda _s, _e: [signing_key.public()],
        )


def test_region_and_account_filters_and_verbose_text(
    tmp_path: Path, signing_key: FixtureKey, cli: Any
) -> None:
    root = tmp_path / "copy"
    delivery = None
    for account in (ACCOUNT, "111122223333"):
        delivery = write_trail_delivery(
            dir_sink(root),
            account,
            ["us-east-1", "eu-west-1"],
            START,
            3,
            signing_key,
            delivery=delivery,
        )
    pem = tmp_path / "key.pem"
    pem.write_bytes(signing_key.pem())
    base = ["validate", "--dir", str(root), "--bucket", BUCKET, "--public-key", str(pem), *WINDOW]
    # --regions filters (--region is where calls go); --account is the old, hidden spelling.
    res = cli([*base, "--regions", "eu-west-1", "--account", "111122223333", "--output", "json"])
    doc = json.loads(res.stdout)
    assert {(i["account"], i["region"]) for i in doc["items"]} == {("111122223333", "eu-west-1")}
    assert doc["summary"]["digests_total"] == 3
    res = cli([*base, "--regions", "eu-west-1", "--verbose"])
    assert res.code == 0
    lines = res.stdout.splitlines()
    assert (
        sum(line.startswith("Digest file\ts3://") and line.endswith("\tvalid") for line in lines)
        == 6
    )
    assert "6/6 digest files valid" in lines and "24/24 log files valid" in lines
