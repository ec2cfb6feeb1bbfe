"""The runner's retry on IAM propagation errors, without AWS (the write is a stand-in)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from trailwarden.apply.runner import Runner
from trailwarden.plan.model import Plan


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
