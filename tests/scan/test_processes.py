"""``scan --processes N`` on moto over HTTP: accounts split across worker processes give the
snapshot one process gives, byte for byte (a central bucket included, whose look needs every
process's trails), resume, say a failing operation once, and a worker that dies is one line."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import moto.cloudtrail.models
import pytest
from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for
from tests.support.proxy import Fault

from trailwarden.aws.session import AccessOptions, AwsAccess
from trailwarden.collect import ScanOptions, collect, shards
from trailwarden.snapshot import Snapshot

REGIONS = ["us-east-1", "eu-west-1"]
CENTRAL = f"central-logs-{MANAGEMENT}"


@pytest.fixture
def members(aws: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    found = create_org(5)
    for account in [MANAGEMENT, *found]:
        create_trail(session_for(account), "main")
    # One member's second trail delivers to a bucket the management account owns: graded there,
    # by the central-bucket look, which needs the trails of accounts in other processes.
    session_for(MANAGEMENT).client("s3", region_name="us-east-1").create_bucket(Bucket=CENTRAL)
    member: boto3.Session = session_for(found[-1])
    member.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="to-central", S3BucketName=CENTRAL, IsMultiRegionTrail=True
    )
    fixed = datetime(2026, 1, 1, 12, 0)  # moto's GetTrailStatus says "now": fix it
    monkeypatch.setattr(moto.cloudtrail.models, "utcnow", lambda: fixed)
    return found


def _scan(processes: int, **more: Any) -> Snapshot:
    options = ScanOptions(org=True, regions=REGIONS, max_workers=4, processes=processes, **more)
    return collect(AwsAccess(AccessOptions()), options)


def _bytes(snapshot: Snapshot) -> str:
    made = datetime(2026, 1, 1, tzinfo=UTC)
    return snapshot.model_copy(update={"generated_at": made}).model_dump_json(indent=1)


def test_processes_give_the_single_process_snapshot_byte_for_byte(
    members: list[str], proxy: Any
) -> None:
    seen: list[tuple[int, int]] = []
    one = _scan(1)
    proxy.reset_counts()
    three = _scan(3, on_progress=lambda done, submitted: seen.append((done, submitted)))
    assert _bytes(three) == _bytes(one)
    central = [(a.account, b.owned) for a in three.accounts for b in a.buckets if b.name == CENTRAL]
    # Graded where it lives, found by the look across processes; the member only names it.
    assert sorted(central) == sorted([(MANAGEMENT, True), (members[-1], False)])
    assert {a.account for a in three.accounts} == {MANAGEMENT, *members}
    # Every account was read (by some worker), each once: one DescribeTrails per Region.
    for account in [MANAGEMENT, *members]:
        assert proxy.count(account=account, operation="DescribeTrails") == len(REGIONS)
    assert seen and seen[-1][0] > 0  # the workers' progress reached the caller, summed
    # Who the caller is: asked once by the parent and once by each worker, not by each thread.
    assert proxy.count(service="sts", operation="GetCallerIdentity") == 1 + 3


def test_the_calls_of_every_process_are_counted_for_the_caller(members: list[str]) -> None:
    """plan and verify report the calls a scan made: the workers' calls are counted too."""
    counted = {}
    for processes in (1, 3):
        access = AwsAccess(AccessOptions())
        options = ScanOptions(org=True, regions=REGIONS, max_workers=4, processes=processes)
        collect(access, options)
        counted[processes] = access.per_account()
    assert counted[3] == counted[1]
    assert set(counted[3]) == {MANAGEMENT, *members}


def test_named_accounts_in_processes_read_no_config_recorders(members: list[str]) -> None:
    """Recorders are an organisation fact (--org): workers of an --accounts scan skip them."""
    accounts = [MANAGEMENT, *members]
    scans, counted = {}, {}
    for processes in (1, 2):
        access = AwsAccess(AccessOptions())
        options = ScanOptions(accounts=accounts, regions=REGIONS, processes=processes)
        scans[processes] = _bytes(collect(access, options))
        counted[processes] = access.snapshot_counts()
    assert scans[2] == scans[1]
    assert counted[2] == counted[1]
    assert not any(service == "config" for _, service, _ in counted[2])


def test_an_interrupted_scan_in_processes_resumes_to_the_same_bytes(
    members: list[str], proxy: Any, tmp_path: Path
) -> None:
    whole = _bytes(_scan(1))
    progress = tmp_path / "progress.jsonl"

    def interrupt(done: int, submitted: int) -> None:
        lines = progress.read_text().splitlines() if progress.exists() else []
        written = sum(1 for line in lines if line.startswith('{"account"'))
        if written >= 2:
            raise KeyboardInterrupt

    stuck = members[0]  # hangs: the scan cannot end before the interruption, however fast
    proxy.add_fault(Fault(account=stuck, kind="hang"))
    with pytest.raises(KeyboardInterrupt):
        _scan(2, resume=progress, on_progress=interrupt)
    proxy.clear_faults()
    assert not multiprocessing.active_children()  # the workers were ended with the scan
    lines = progress.read_text().splitlines()[1:]
    finished = {json.loads(line)["account"]["account"] for line in lines if '"account"' in line}
    assert 2 <= len(finished) <= len(members) and stuck not in finished  # stopped part-way
    proxy.reset_counts()
    assert _bytes(_scan(2, resume=progress)) == whole
    for account in finished:  # not read again (the central look may be)
        assert proxy.count(account=account, service="cloudtrail") == 0


def test_an_operation_failing_everywhere_is_said_once_with_every_process_counted(
    members: list[str], proxy: Any, cli: Any
) -> None:
    proxy.add_fault(Fault(service="cloudtrail", operation="ListEventDataStores", kind="http500"))
    result = cli(
        ["scan", "--org", "--regions", ",".join(REGIONS), "--processes", "2", "-o", "json"]
    )
    assert result.code in (0, 1), result.stderr
    doc = json.loads(result.stdout)
    scopes = sorted((a, r) for a in [MANAGEMENT, *members] for r in REGIONS)
    assert sorted((e["account"], e["region"]) for e in doc["errors"]) == scopes
    assert result.stderr.count("cloudtrail:ListEventDataStores kept failing") == 1


def _dies(task: shards.ShardTask, out: Any, into: Any) -> None:
    os._exit(3)  # as the kernel's OOM killer would end it: no last message


def _raises(task: shards.ShardTask, out: Any, into: Any) -> None:
    shards.ShardLink(task, out, into).failed(PermissionError("no such thing"))


def _task(index: int) -> shards.ShardTask:
    return shards.ShardTask(index, AccessOptions(), [], [], None, 1, None, "", [])


def test_a_worker_that_dies_or_fails_ends_the_scan_with_one_line() -> None:
    with pytest.raises(shards.ScanWorkerError, match="exit code 3") as died:
        shards.run_shards(_dies, [_task(0), _task(1)], [], lambda m: None, None)
    assert "\n" not in str(died.value)
    with pytest.raises(PermissionError, match="no such thing"):
        shards.run_shards(_raises, [_task(0)], [], lambda m: None, None)


@pytest.mark.parametrize(
    ("requested", "accounts", "in_flight", "cores", "expected"),
    [
        (None, 1, 512, 8, 1),  # one account: one process
        (None, 1000, 32, 8, 1),  # 32 calls in flight keep one process waiting on AWS
        (None, 1000, 128, 8, 2),  # two processes' worth of calls
        (None, 1000, 512, 2, 2),  # never more than the cores
        (None, 150, 512, 8, 1),  # too few accounts to pay for a second process
        (None, 200, 512, 8, 2),
        (3, 2, 32, 1, 2),  # as asked, but not more than the accounts
        (4, 1000, 32, 1, 4),
    ],
)
def test_how_many_processes(
    requested: int | None,
    accounts: int,
    in_flight: int,
    cores: int,
    expected: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shards, "usable_cores", lambda: cores)
    assert shards.processes_for(requested, accounts, in_flight) == expected


def test_the_cli_refuses_no_processes(cli: Any) -> None:
    result = cli(["scan", "--processes", "0"])
    assert result.code == 2
    assert result.stderr.strip() == "trailwarden: error: --processes must be at least 1"


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _scan_with_workers(
    members: list[str], proxy: Any, started: int = 2
) -> tuple[subprocess.Popen[bytes], list[int]]:
    """``scan --org --processes 2`` in a process group of its own (as a terminal's foreground
    job is), one member hanging so it cannot end by itself, once ``started`` workers exist."""
    proxy.add_fault(Fault(account=members[0], kind="hang"))
    scan = subprocess.Popen(
        [
            *(sys.executable, "-m", "trailwarden", "scan", "--org"),
            *("--regions", ",".join(REGIONS), "--processes", "2", "--max-attempts", "1"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < started and time.monotonic() < deadline:
        time.sleep(0.01)
        workers = [w for w in _children(scan.pid) if "spawn_main" in _cmdline(w)]
    if len(workers) < started:
        scan.kill()
        pytest.fail("the workers did not start")
    return scan, workers


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_workers_end_when_their_parent_is_killed(members: list[str], proxy: Any) -> None:
    """SIGKILL leaves no ``finally`` to end the workers: they notice and end themselves."""
    scan, workers = _scan_with_workers(members, proxy)
    try:
        scan.send_signal(signal.SIGKILL)
        scan.wait()
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in [*workers, *_children(scan.pid)])
    finally:
        scan.kill()


@pytest.mark.parametrize("started", [1, 2])
def test_ctrl_c_ends_a_scan_in_processes_with_one_line(
    members: list[str], proxy: Any, started: int
) -> None:
    """Ctrl-C on a terminal reaches the whole process group, workers included, at any moment:
    here as soon as they exist, while they still import, and (one started) while the parent
    is still starting the other."""
    scan, workers = _scan_with_workers(members, proxy, started)
    try:
        os.killpg(scan.pid, signal.SIGINT)
        _, stderr = scan.communicate(timeout=30)
    finally:
        scan.kill()
    said = stderr.decode()
    assert scan.returncode == 130, said
    assert "Traceback" not in said
    assert said.count("\n") <= 1, said
    assert not any(_alive(w) for w in [*workers, *_children(scan.pid)])
