"""`evidence pack` without `--findings` scans now: the caller's account, or the organisation
with `--org`, on moto over HTTP; its findings.json is what `scan [--org] -o json` writes, and
the pack is written, listed in its manifest and verifies whatever the findings say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.evidence.test_pack import PACK_FILES, WINDOW
from tests.integrity.conftest import ACCOUNT, ARN, TrailBucket, make_trail_bucket
from tests.integrity.test_cli import one_line_error

from trailwarden.cli import scan as scan_cli
from trailwarden.evidence.pack import MANIFEST, sha256
from trailwarden.trailstore.fixtures import FixtureKey


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The scope of every scan the command makes (the real scan still runs)."""
    seen: list[Any] = []
    real = scan_cli.scan_snapshot

    def spy(reach: Any, target: Any, resume: Path | None = None) -> Any:
        seen.append(target)
        return real(reach, target, resume)

    monkeypatch.setattr(scan_cli, "scan_snapshot", spy)
    return seen


def test_without_findings_the_pack_holds_a_scan_of_the_callers_account(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    scans: list[Any],
    cli: Any,
    tmp_path: Path,
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], ["us-east-1"], 12, signing_key, logs_per_hour=1)
    out = tmp_path / "pack"
    args = ["evidence", "pack", "--out", str(out), "--trail-arn", ARN, *WINDOW]
    res = cli([*args, "--sample", "3", "--seed", "7", "--max-workers", "4"])
    # The fixture's trail was never started: the scan fails CloudTrail.1, and the pack is still
    # the evidence asked for (exit 0); its verdicts are in its files.
    assert res.code == 0, res.stderr
    assert [(s.org, s.max_workers) for s in scans] == [(False, 4)]  # one scan, as many in flight

    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == PACK_FILES
    assert "--findings" not in manifest["command"]  # the command says the findings were scanned
    for name, entry in manifest["files"].items():
        assert sha256((out / name).read_bytes()) == entry["sha256"]
    doc = json.loads((out / "findings.json").read_text())
    assert doc["schema"] == "trailwarden.findings/2"
    assert (doc["accounts"], doc["errors"]) == ([ACCOUNT], [])
    assert "organization_coverage" not in doc
    assert {f["account"] for f in doc["findings"]} == {ACCOUNT}
    logging = [f for f in doc["findings"] if f["control"] == "CloudTrail.1"]
    assert "FAILED" in {f["status"] for f in logging}
    # The live trail is what was graded: log file validation is on (CloudTrail.4).
    [validation] = [f for f in doc["findings"] if f["control"] == "CloudTrail.4"]
    assert (validation["status"], validation["resource"]) == ("PASSED", ARN)
    cis = json.loads((out / "compliance/cis-1.4.json").read_text())
    assert cis["findings"] and {f["account"] for f in cis["findings"]} == {ACCOUNT}

    verified = cli(["evidence", "verify", str(out)])
    assert verified.code == 0, verified.stderr


def test_with_org_the_scan_covers_every_account_with_the_matrix(
    aws: str,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    scans: list[Any],
    cli: Any,
    tmp_path: Path,
) -> None:
    org = boto3.client("organizations", region_name="us-east-1")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    created = org.create_account(Email="m@example.com", AccountName="member")
    member = created["CreateAccountStatus"]["AccountId"]
    bucket = make_trail_bucket(org_id=org_id)
    public_keys.append(signing_key)
    bucket.deliver([ACCOUNT, member], ["us-east-1"], 12, signing_key, logs_per_hour=1)
    out = tmp_path / "pack"
    res = cli(["evidence", "pack", "--out", str(out), "--org", "--region", "us-east-1", *WINDOW])
    assert res.code == 0, res.stderr
    assert [s.org for s in scans] == [True]
    doc = json.loads((out / "findings.json").read_text())
    assert {f["account"] for f in doc["findings"]} == {ACCOUNT, member}
    matrix = doc["organization_coverage"]  # as scan --org -o json writes it
    assert {a["account"] for a in matrix["accounts"]} == {ACCOUNT, member}
    assert "--org" in json.loads((out / MANIFEST).read_text())["command"]


def test_a_wrong_bucket_is_said_before_any_scan(
    aws: str, scans: list[Any], cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    args = ["evidence", "pack", "--out", str(out), "--bucket", "no-such-bucket", *WINDOW]
    one_line_error(cli(args), "NoSuchBucket")
    assert scans == []  # an organisation's scan is not waited for first
    assert list(tmp_path.iterdir()) == []
