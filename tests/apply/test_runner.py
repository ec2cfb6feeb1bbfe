"""The runner's retry on IAM propagation errors, without AWS (the write is a stand-in)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from trailwarden.apply.runner import Runner, StepResult
from trailwarden.plan.model import Plan, Step


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "CreateTrail")


def runner(slept: list[float], attempts: int = 4) -> Runner:
    plan = Plan.model_validate({"generated_at": "2026-11-24T10:00:00Z"})
    return Runner(None, plan, sleep=slept.append, propagation_attempts=attempts)  # type: ignore[arg-type]


def test_propagation_errors_are_retried_with_backoff() -> None:
    slept: list[float] = []
    failures = [error("InvalidCloudWatchLogsRoleArnException")] * 2

    def write() -> str:
        if failures:
            raise failures.pop()
        return "created"

    assert runner(slept).with_retries(write) == "created"
    assert slept == [1.0, 2.0]


def test_retries_are_bounded_and_other_errors_are_not_retried() -> None:
    slept: list[float] = []

    def never() -> str:
        raise error("InsufficientEncryptionPolicyException")

    with pytest.raises(ClientError):
        runner(slept, attempts=3).with_retries(never)
    assert slept == [1.0, 2.0]
    slept.clear()

    def denied() -> str:
        raise error("AccessDeniedException")

    with pytest.raises(ClientError):
        runner(slept).with_retries(denied)
    assert slept == []


class _Calls:
    """Stands in for CountingAccess: the runner asks it only for call counts."""

    def snapshot_counts(self) -> dict[str, int]:
        return {}

    def per_account(self, before: dict[str, int]) -> dict[str, int]:
        return {}


def test_progress_is_reported_before_and_after_each_step_until_a_failure() -> None:
    step = {"account": "111122223333", "region": "us-east-1", "action": "update"}
    deny = {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    steps = [
        {**step, "id": f"s{n}", "service": "s3", "operation": "PutBucketPolicy",
         "params": {"Bucket": f"bucket-{n}", "MergeStatements": [deny]}, "reason": "r",
         "target": f"bucket-{n}"}
        for n in range(3)
    ]  # fmt: skip
    plan = Plan.model_validate({"generated_at": "2026-11-24T10:00:00Z", "steps": steps})
    seen: list[tuple[int, int, str]] = []

    class Scripted(Runner):
        def one(self, ctx: object, step: Step) -> StepResult:  # type: ignore[override]
            return StepResult(step, "failed" if step.id == "s1" else "done", "")

    report = Scripted(
        _Calls(),  # type: ignore[arg-type]
        plan,
        on_progress=lambda *args: seen.append(args),
    ).run()
    assert seen == [
        (0, 3, "PutBucketPolicy bucket-0"),
        (1, 3, "PutBucketPolicy bucket-0"),
        (1, 3, "PutBucketPolicy bucket-1"),
        (2, 3, "PutBucketPolicy bucket-1"),
    ]
    assert [r.result for r in report.results] == ["done", "failed", "not-done"]
