"""AttachPolicy right after EnablePolicyType: the "not yet" answers are waited out, bounded.

On AWS the policy type is PENDING_ENABLE for a while after EnablePolicyType and AttachPolicy
answers PolicyTypeNotEnabledException meanwhile (docs/aws-facts/scp.md#pending); moto enables at
once, so the proxy in front of it gives those answers (``Fault(kind="error", code=...)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.apply.support import access
from tests.guardrail.test_apply_guardrail import NAME, guardrail_plan, policy_named
from tests.support.proxy import Fault, LatencyProxy, latency_proxy

from trailwarden.apply import Journal, Runner
from trailwarden.apply.runner import ApplyReport
from trailwarden.plan.model import Plan, save_plan

NOT_ENABLED = "PolicyTypeNotEnabledException"


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LatencyProxy]:
    with latency_proxy(aws, delay_s=0.0) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


def run(plan: Plan, slept: list[float], settle_s: float | None = None) -> ApplyReport:
    return Runner(access(), plan, Journal(None), sleep=slept.append, settle_s=settle_s).run()


def attach_fault(code: str | None, times: int | None) -> Fault:
    kind = "error" if code else "access_denied"
    return Fault(
        service="organizations", operation="AttachPolicy", kind=kind, code=code, times=times
    )


def attached_to(organisation: dict[str, Any]) -> list[str]:
    summary = policy_named(organisation["client"], NAME)
    assert summary is not None
    targets = organisation["client"].list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
    return [t["TargetId"] for t in targets]


@pytest.mark.parametrize("code", [NOT_ENABLED, "ConcurrentModificationException"])
def test_attach_succeeds_after_n_not_yet_answers(
    organisation: dict[str, Any], proxy: LatencyProxy, code: str
) -> None:
    proxy.add_fault(attach_fault(code, times=3))
    slept: list[float] = []
    report = run(guardrail_plan(organisation), slept)
    assert report.failed is None, report.to_dict()
    assert [r.result for r in report.results] == ["done", "done", "done"]
    assert proxy.count(service="organizations", operation="AttachPolicy") == 4
    assert slept == [1.0, 2.0, 4.0]  # doubling back-off, one pause per refusal
    assert attached_to(organisation) == [organisation["root"]]


def test_gives_up_within_the_bound_with_one_line(
    organisation: dict[str, Any], proxy: LatencyProxy
) -> None:
    proxy.add_fault(attach_fault(NOT_ENABLED, times=None))
    slept: list[float] = []
    report = run(guardrail_plan(organisation), slept, settle_s=20.0)
    failed = report.failed
    assert failed is not None and failed.step.operation == "AttachPolicy"
    assert sum(slept) == pytest.approx(20.0)  # 1 + 2 + 4 + 8 + the 5 s left, then no more
    assert slept == [1.0, 2.0, 4.0, 8.0, 5.0]
    assert proxy.count(service="organizations", operation="AttachPolicy") == len(slept) + 1
    assert "\n" not in failed.detail
    assert failed.detail.startswith("gave up after 20 s and 6 tries waiting for")
    assert "SERVICE_CONTROL_POLICY to be enabled on the root" in failed.detail
    assert f"still {NOT_ENABLED}; run apply again later" in failed.detail
    assert attached_to(organisation) == []


def test_access_denied_is_not_retried(organisation: dict[str, Any], proxy: LatencyProxy) -> None:
    proxy.add_fault(attach_fault(None, times=1))
    slept: list[float] = []
    report = run(guardrail_plan(organisation), slept)
    failed = report.failed
    assert failed is not None and failed.step.operation == "AttachPolicy"
    assert "AccessDenied" in failed.detail
    assert slept == []
    assert proxy.count(service="organizations", operation="AttachPolicy") == 1


def test_cli_gives_up_in_one_line_within_the_bound(
    organisation: dict[str, Any],
    proxy: LatencyProxy,
    cli: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setattr("trailwarden.apply.waiting.SETTLE_SECONDS", 1.5)
    plan_file = tmp_path / "plan.json"
    save_plan(guardrail_plan(organisation), plan_file)
    proxy.add_fault(attach_fault(NOT_ENABLED, times=None))
    started = time.monotonic()
    res = cli(["apply", str(plan_file), "--yes"])
    took = time.monotonic() - started
    # A failed step is exit 1 like any other (docs/apply.md): the rerun resumes.
    assert res.code == 1, res.stdout + res.stderr
    assert 1.5 <= took < 10
    lines = [x for x in res.stdout.splitlines() if "gave up after" in x]
    assert len(lines) == 2  # the step's own line and the FAILED summary, one line each
    assert lines[-1].startswith("FAILED at step") and NOT_ENABLED in lines[-1]
    assert "Traceback" not in res.stdout + res.stderr
