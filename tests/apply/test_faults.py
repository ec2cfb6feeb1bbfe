"""A failure at any step stops apply, says what was and was not done, and a rerun completes.

Faults come from the proxy in front of the moto server (``tests.support.proxy``): every
request of one (service, operation) is refused with AccessDenied until the fault is cleared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.apply.support import HOME, access, apply, make_plan
from tests.support.proxy import Fault, LatencyProxy, latency_proxy

from trailwarden.apply.runner import ApplyReport
from trailwarden.demo.server import reset_moto
from trailwarden.plan.model import save_plan

pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LatencyProxy]:
    with latency_proxy(aws, delay_s=0.0) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


def write_operations(report: ApplyReport) -> list[tuple[str, str]]:
    """Every distinct write a fresh account's apply made (CreateKey also creates its alias)."""
    found = [(r.step.service, r.step.operation) for r in report.results if r.result == "done"]
    found.insert(found.index(("kms", "CreateKey")) + 1, ("kms", "CreateAlias"))
    return list(dict.fromkeys(found))


def test_failure_at_each_step_then_rerun_completes(
    proxy: LatencyProxy, aws: str, tmp_path: Path
) -> None:
    plan = make_plan()  # predicted from the snapshot of a fresh account
    acc = access()  # one session for every run: its clients are built once
    operations = write_operations(apply(plan, acc=acc))
    assert len(operations) >= 20
    for n, (service, operation) in enumerate(operations):
        reset_moto(aws)
        journal = tmp_path / f"journal-{n}.jsonl"
        proxy.add_fault(Fault(service=service, operation=operation))
        first = apply(plan, journal, acc)
        proxy.clear_faults()
        failed = first.failed
        assert failed is not None, f"{operation}: the fault was not hit"
        assert (failed.step.service, failed.step.operation) in {
            (service, operation),
            ("kms", "CreateKey"),  # CreateAlias is part of the CreateKey step
        }
        index = first.results.index(failed)
        assert all(r.result in {"done", "noop"} for r in first.results[:index])
        assert all(r.result == "not-done" for r in first.results[index + 1 :])
        second = apply(plan, journal, acc)
        assert second.failed is None, (operation, second.failed)
        done_before = {r.step.id for r in first.results if r.result == "done"}
        redone = [
            r.step.id for r in second.results if r.result == "done" and r.step.id in done_before
        ]
        assert not redone, f"{operation}: finished steps were redone: {redone}"
        keys = boto3.client("kms", region_name=HOME).list_keys()["Keys"]
        assert len(keys) == 1, f"{operation}: the rerun made a second key"
    assert apply(plan, None, acc).nothing_to_change  # the last rerun left everything as planned


def test_cli_reports_done_and_not_done_and_resumes(
    proxy: LatencyProxy, cli: Any, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(make_plan(), plan_file)
    proxy.add_fault(Fault(service="cloudtrail", operation="CreateTrail"))
    failed = cli(["apply", str(plan_file), "--yes"])
    assert failed.code == 1
    assert "FAILED at step" in failed.stdout and "CreateTrail" in failed.stdout
    assert "not done: StartLogging" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    journal = [json.loads(x) for x in (tmp_path / "plan.journal.jsonl").read_text().splitlines()]
    assert (
        journal[-1]["result"] == "failed" and journal[-1]["operation"] == "cloudtrail:CreateTrail"
    )
    proxy.clear_faults()
    resumed = cli(["apply", str(plan_file), "--yes"])
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert "applied:" in resumed.stdout
    assert "created trail" in resumed.stdout and "created key" not in resumed.stdout
