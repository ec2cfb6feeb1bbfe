"""Resumable scans (``scan --resume FILE``) on moto over HTTP behind the counting proxy: a scan
interrupted after a few accounts (Ctrl-C lands in the main thread, where the progress callback
runs) is run again with the same file; the finished accounts are not read again and the snapshot
is the one an uninterrupted scan makes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto.cloudtrail.models
import pytest
from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for
from tests.support.proxy import Fault

from trailwarden.aws.session import AccessOptions, AwsAccess
from trailwarden.collect import ScanOptions, collect
from trailwarden.snapshot import Snapshot

REGIONS = ["us-east-1", "eu-west-1"]
# What the caller's own account is asked for any scan (the proxy counts them there).
CALLERS = {("sts", "GetCallerIdentity"), ("sts", "AssumeRole")}
# --org reads the organisation's own facts (accounts, trusted access, SCPs) again on every run:
# a dozen calls whatever its size, and they may have changed since the interrupted run.
ORGANISATION = "organizations"


@pytest.fixture
def members(aws: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    found = create_org(4)
    for account in [MANAGEMENT, *found]:
        create_trail(session_for(account), "main")
    # moto answers GetTrailStatus with "now": the same input, scan after scan, is a fixed time.
    fixed = datetime(2026, 1, 1, 12, 0)
    monkeypatch.setattr(moto.cloudtrail.models, "utcnow", lambda: fixed)
    return found


def _scan(resume: Path | None = None, stop_after: int | None = None) -> Snapshot:
    def interrupt(finished: int, submitted: int) -> None:
        if resume is not None and stop_after is not None and _accounts_in(resume) >= stop_after:
            raise KeyboardInterrupt

    options = ScanOptions(
        org=True, regions=REGIONS, max_workers=1, resume=resume, on_progress=interrupt
    )
    return collect(AwsAccess(AccessOptions()), options)


def _accounts_in(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.startswith('{"account"'))


def _bytes(snapshot: Snapshot) -> str:
    # Two scans at different times: everything but the time they were made.
    made = datetime(2026, 1, 1, tzinfo=UTC)
    return snapshot.model_copy(update={"generated_at": made}).model_dump_json(indent=1)


def test_an_interrupted_scan_resumes_without_reading_finished_accounts_again(
    members: list[str], proxy: Any, tmp_path: Path
) -> None:
    whole = _bytes(_scan())
    progress = tmp_path / "progress.jsonl"
    with pytest.raises(KeyboardInterrupt):
        _scan(progress, stop_after=2)
    lines = progress.read_text().splitlines()
    finished = [json.loads(line)["account"]["account"] for line in lines[1:] if '"account"' in line]
    assert 2 <= len(finished) < 1 + len(members)  # stopped part-way
    proxy.reset_counts()
    resumed = _scan(progress)
    assert _bytes(resumed) == whole
    for account in finished:  # only the central-bucket look, which waits for every account
        reads = {
            (service, op)
            for (acct, _, service, op), n in proxy.calls_by_scope.items()
            if acct == account and n and service != ORGANISATION
        }
        assert reads - CALLERS == {("s3", "ListBuckets")}
    rest = set([MANAGEMENT, *members]) - set(finished)
    assert all(proxy.count(account=a, service="cloudtrail") > 0 for a in rest)
    # Complete now: a third run reads nothing at all.
    proxy.reset_counts()
    again = _scan(progress)
    assert _bytes(again) == whole
    # Who the caller is, and the organisation's own facts; nothing of any account.
    assert proxy.total_calls - proxy.count(service=ORGANISATION) <= 1, proxy.calls_by_scope


def test_a_torn_last_line_is_ignored_and_cut_off(
    members: list[str], proxy: Any, tmp_path: Path
) -> None:
    progress = tmp_path / "progress.jsonl"
    whole = _bytes(_scan(progress))
    with progress.open("a") as out:
        out.write('{"account": {"account": "1234')  # the crash came mid-write
    assert _bytes(_scan(progress)) == whole
    assert progress.read_text().endswith("}\n")


def test_the_cli_refuses_another_scans_progress_and_saves_the_same_bytes_on_resume(
    members: list[str], proxy: Any, cli: Any, tmp_path: Path
) -> None:
    progress, first, second = tmp_path / "p.jsonl", tmp_path / "1.json", tmp_path / "2.json"
    scope = ["scan", "--org", "--regions", ",".join(REGIONS), "--resume", str(progress)]
    assert cli([*scope, "--save-snapshot", str(first)]).code in (0, 1)
    assert cli([*scope, "--save-snapshot", str(second)]).code in (0, 1)
    assert first.read_bytes() == second.read_bytes()  # the time is the first run's start
    other = cli(["scan", "--org", "--regions", "us-east-1", "--resume", str(progress)])
    assert other.code == 2
    assert other.stderr.count("\n") == 1
    assert "--resume" in other.stderr and "regions" in other.stderr


def test_an_account_given_up_on_is_read_again_on_resume(
    members: list[str], proxy: Any, cli: Any, tmp_path: Path
) -> None:
    progress = tmp_path / "p.jsonl"
    stuck = members[0]
    proxy.add_fault(Fault(account=stuck, kind="hang"))
    scope = ["scan", "--org", "--regions", ",".join(REGIONS), "--resume", str(progress)]
    bounded = ["--account-timeout", "10s", "--max-attempts", "1", "-o", "json"]
    first = cli([*scope, *bounded])
    assert f"account {stuck} is incomplete" in first.stderr
    written = [json.loads(line) for line in progress.read_text().splitlines()[1:]]
    assert stuck not in {r["account"]["account"] for r in written if "account" in r}
    proxy.clear_faults()
    proxy.reset_counts()
    second = cli([*scope, "-o", "json"])
    doc = json.loads(second.stdout)
    assert {f["status"] for f in doc["findings"] if f["account"] == stuck} != {"NOT_AVAILABLE"}
    assert proxy.count(account=stuck, service="cloudtrail") > 0
    assert all(
        proxy.count(account=a, service="cloudtrail") == 0 for a in [MANAGEMENT, *members[1:]]
    )
