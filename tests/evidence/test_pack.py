"""`evidence pack` writes every report with a manifest of hashes; `evidence verify` catches a
changed, missing or added file; nothing is left half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integrity.conftest import ACCOUNT, ARN, TrailBucket
from tests.integrity.test_cli import one_line_error
from tests.report.support import scanned_document

from trailwarden.evidence.pack import MANIFEST, sha256, write_pack
from trailwarden.report.compliance import FRAMEWORK_NAMES
from trailwarden.trailstore.fixtures import FixtureKey

WINDOW = ["--start-time", "2025-06-01T00:00:00Z", "--end-time", "2025-06-01T12:00:00Z"]
# Every file a pack holds besides its manifest.
PACK_FILES = {
    "findings.json",
    "findings.html",
    "coverage.json",
    "coverage.csv",
    "logging-history.json",
    "validation.json",
    "policies.json",
} | {f"compliance/{n}.json" for n in FRAMEWORK_NAMES}


def _pack(tmp_path: Path, cli: Any, *extra: str) -> tuple[Path, Any]:
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps(scanned_document()))
    out = tmp_path / "pack"
    args = ["evidence", "pack", "--out", str(out), "--trail-arn", ARN, *WINDOW]
    return out, cli([*args, "--findings", str(findings), *extra])


def test_pack_holds_every_report_and_verifies(
    trail_bucket: TrailBucket,
    public_keys: list[FixtureKey],
    signing_key: FixtureKey,
    cli: Any,
    tmp_path: Path,
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], ["us-east-1"], 12, signing_key, logs_per_hour=1)
    out, res = _pack(tmp_path, cli, "--sample", "3", "--seed", "7")
    assert res.code == 0, res.stderr
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["schema"] == "trailwarden.evidence-pack/1"
    assert manifest["trailwarden_version"] and manifest["command"][:3] == [
        "trailwarden",
        "evidence",
        "pack",
    ]
    names = set(manifest["files"])
    assert names == PACK_FILES
    for name, entry in manifest["files"].items():
        assert sha256((out / name).read_bytes()) == entry["sha256"]
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage["summary"]["covered_hours"] == 12
    (chain,) = json.loads((out / "validation.json").read_text())["chains"]
    assert (chain["digests_valid"], chain["digests_total"]) == (3, 3)
    policies = json.loads((out / "policies.json").read_text())
    assert policies["trail"]["trail"]["TrailARN"] == ARN
    assert policies["trail"]["status"]["IsLogging"] in (True, False)
    assert "bucket_policy" in policies and "service_control_policies" in policies
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack")] == []

    ok = cli(["evidence", "verify", str(out)])
    assert ok.code == 0 and f"all {len(names)} files match" in ok.stdout

    (out / "coverage.csv").write_text("account,region\n")
    one_line_error_1(cli(["evidence", "verify", str(out)]), "changed: coverage.csv")
    (out / "policies.json").unlink()
    one_line_error_1(cli(["evidence", "verify", str(out)]), "missing: policies.json")
    (out / "extra.txt").write_text("planted")
    one_line_error_1(cli(["evidence", "verify", str(out)]), "not listed: extra.txt")


def one_line_error_1(res: Any, needle: str) -> None:
    assert res.code == 1, (res.code, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], res.stderr


def test_an_existing_folder_is_never_overwritten(
    trail_bucket: TrailBucket, cli: Any, tmp_path: Path
) -> None:
    (tmp_path / "pack").mkdir()
    out, res = _pack(tmp_path, cli)
    one_line_error(res, "already exists")
    assert list(out.iterdir()) == []


def test_a_failed_run_leaves_nothing(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    class Exploding(dict[str, bytes]):
        def items(self) -> Any:
            yield "a.json", b"{}"
            raise Boom

    with pytest.raises(Boom):
        write_pack(tmp_path / "pack", Exploding(), "0", ["trailwarden"])
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_bucket_writes_no_pack(cli: Any, aws: str, tmp_path: Path) -> None:
    out, res = _pack_bucket(cli, tmp_path)
    one_line_error(res, "NoSuchBucket")
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "findings.json"]


def _pack_bucket(cli: Any, tmp_path: Path) -> tuple[Path, Any]:
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps(scanned_document()))
    out = tmp_path / "pack"
    args = ["evidence", "pack", "--out", str(out), "--bucket", "no-such-bucket", *WINDOW]
    return out, cli([*args, "--findings", str(findings)])


def test_verify_of_a_folder_without_manifest(cli: Any, tmp_path: Path) -> None:
    one_line_error_1(cli(["evidence", "verify", str(tmp_path)]), "manifest.json is missing")
