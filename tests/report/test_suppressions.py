"""--suppressions: matching, expiry, unmatched entries, exit codes and one-line errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.report.support import scanned_document
from tests.scan.build import MGMT, make_snapshot, make_trail

from trailwarden.errors import UsageError
from trailwarden.report.suppressions import apply_suppressions, load_suppressions
from trailwarden.snapshot import save_snapshot

TODAY = date(2026, 11, 24)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(text)
    return path


ENTRIES = f"""
suppressions:
  - control: CloudTrail.2
    account: "{MGMT}"
    resource: "*trail/main"
    reason: KMS rollout planned for Q1
    owner: secops@example.com
    expires: 2027-03-31
  - control: CloudWatch.*
    region: eu-*
    reason: regional alarms live in the SIEM
    owner: soc@example.com
    expires: 2026-01-01
  - control: CloudTrail.9
    reason: nothing fails this
    owner: nobody@example.com
    expires: 2030-01-01
"""


def test_suppressed_findings_keep_their_verdict_expired_and_unmatched_are_reported(
    tmp_path: Path,
) -> None:
    doc = apply_suppressions(scanned_document(), load_suppressions(_file(tmp_path, ENTRIES)), TODAY)
    suppressed = [f for f in doc["findings"] if f.get("suppressed")]
    assert [f["control"] for f in suppressed] == ["CloudTrail.2"]
    assert suppressed[0]["status"] == "FAILED"
    assert suppressed[0]["suppressed"]["reason"] == "KMS rollout planned for Q1"
    assert suppressed[0]["suppressed"]["entry"] == 1
    # Entry 2 has expired: the CloudWatch failures it named are not suppressed.
    assert any(f["control"].startswith("CloudWatch.") and f["status"] == "FAILED"
               and not f.get("suppressed") for f in doc["findings"])  # fmt: skip
    report = doc["suppressions"]
    assert report["applied"] == 1
    assert [e["entry"] for e in report["expired"]] == [2]
    assert [e["entry"] for e in report["unmatched"]] == [3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suppressions:\n  - {control: X.1, reason: r, owner: o, expires: 2030-01-01, team: a}\n",
         "unknown key 'team'"),
        ("suppressions:\n  - {control: X.1, reason: r, owner: o, expires: 2030-02-30}\n",
         "date is not valid"),
        ("suppressions:\n  - {control: X.1, reason: r, owner: o, expires: next week}\n",
         "is not a date"),
        ("suppressions:\n  - {control: X.1, account: '12[3]', reason: r, owner: o, "
         "expires: 2030-01-01}\n", "invalid account pattern"),
        ("suppressions:\n  - {control: X.1, region: 'EU West', reason: r, owner: o, "
         "expires: 2030-01-01}\n", "invalid region pattern"),
        ("suppressions:\n  - {control: X.1, owner: o, expires: 2030-01-01}\n", "missing reason"),
        ("suppress:\n  - {}\n", "one top-level key"),
        ("suppressions: [\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_suppressions_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        load_suppressions(_file(tmp_path, text))


def test_scan_exit_code_ignores_suppressed_failures(tmp_path: Path, cli: Any) -> None:
    snap = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(multi=False)]), snap)  # CloudTrail.1 (HIGH) fails
    assert cli(["scan", "--from-snapshot", str(snap)]).code == 1
    accepted = _file(
        tmp_path,
        "suppressions:\n  - {control: CloudTrail.1, reason: migrating, owner: me, "
        "expires: 2099-01-01}\n  - {control: CloudTrail.3, reason: migrating, owner: me, "
        "expires: 2099-01-01}\n",
    )
    result = cli(["scan", "--from-snapshot", str(snap), "--suppressions", str(accepted)])
    assert result.code == 0, result.stdout
    assert "suppressed" in result.stdout and "migrating" in result.stdout
    as_json = cli(["scan", "--from-snapshot", str(snap), "--suppressions", str(accepted),
                   "-o", "json"])  # fmt: skip
    doc = json.loads(as_json.stdout)
    ct1 = [f for f in doc["findings"] if f["control"] == "CloudTrail.1" and f["status"] == "FAILED"]
    assert ct1 and all(f["suppressed"]["reason"] == "migrating" for f in ct1)
