"""An account that hangs (``--account-timeout``), on moto over HTTP behind the fault proxy: every
request into one member is accepted and never answered. The scan still completes soon after the
bound, the other accounts are graded as usual, and every verdict of the hanging one is
NOT_AVAILABLE with a reason that names the timeout."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from tests.scan.seed import MANAGEMENT
from tests.support.proxy import Fault

from trailwarden.concurrency import TaskGroup

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize("processes", ["1", "2"])  # in a worker, the parent hears of it
def test_a_hanging_account_is_abandoned_and_the_scan_completes(
    members: list[str], proxy: Any, cli: Any, processes: str
) -> None:
    stuck = members[0]
    proxy.add_fault(Fault(account=stuck, kind="hang"))
    started = time.monotonic()
    # 10 s: room for the healthy accounts on a loaded machine (moto is slow there).
    bounded = ["--account-timeout", "10s", "--max-attempts", "1", "--processes", processes]
    result = cli(["scan", "--org", "--regions", ",".join(REGIONS), *bounded, "--output", "json"])
    took = time.monotonic() - started
    assert result.code in (0, 1), result.stderr
    # The proxy holds the requests for minutes and botocore's read timeout is 30 s: only the
    # bound per account ends the scan this soon.
    assert took < 28
    assert proxy.count(account=stuck, service="cloudtrail") >= 1  # it did hang there
    doc = json.loads(result.stdout)
    by_account: dict[str, set[str]] = {}
    for finding in doc["findings"]:
        by_account.setdefault(finding["account"], set()).add(finding["status"])
    assert by_account[stuck] == {"NOT_AVAILABLE"}
    for finding in (f for f in doc["findings"] if f["account"] == stuck):
        assert "--account-timeout 10s" in finding["reason"]
    for account in (MANAGEMENT, members[1]):
        trail = [f["status"] for f in doc["findings"] if f["account"] == account]
        assert "PASSED" in trail
        assert "NOT_AVAILABLE" not in {
            f["status"]
            for f in doc["findings"]
            if f["account"] == account and f["control"] == "CloudTrail.1"
        }
    timeouts = [e["account"] for e in doc["errors"] if e["operation"] == "scan:AccountTimeout"]
    assert timeouts == [stuck]
    assert f"account {stuck} is incomplete" in result.stderr


def test_a_task_group_stops_waiting_for_an_abandoned_key() -> None:
    gate = threading.Event()
    done: list[str] = []

    def watchdog(finished: int, submitted: int) -> None:
        group.abandon("a")

    group = TaskGroup(2, on_progress=watchdog)

    def stuck() -> None:
        gate.wait(30)
        done.append("stuck")  # after run has returned: nobody waited for it

    def later() -> None:
        done.append("never")  # queued behind, dropped with its key

    def fine(n: int) -> None:
        time.sleep(0.05)
        done.append(f"fine{n}")

    group.submit(stuck, key="a")
    group.submit(stuck, key="a")
    group.submit(later, key="a")
    started = time.monotonic()
    group.run([lambda n=n: fine(n) for n in range(4)])  # type: ignore[misc]
    assert time.monotonic() - started < 5
    # Both workers were held by the stuck tasks: replacements ran the rest.
    assert sorted(done) == ["fine0", "fine1", "fine2", "fine3"]
    gate.set()
