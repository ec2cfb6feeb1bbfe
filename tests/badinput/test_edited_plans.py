"""Item 5: an edited plan that weakens the trail, or lost a parameter a step needs, is refused
by apply as one line (exit 2) before anything is written, in AWS or on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.apply.support import make_plan
from tests.badinput.conftest import one_line_error

from trailwarden.plan.model import MERGE, Step, save_plan


def _refused(plan_path: Path, cli: Any) -> str:
    line = one_line_error(cli(["apply", str(plan_path), "--yes"]))
    assert not plan_path.with_name("plan.journal.jsonl").exists(), "the journal was written"
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
    return line


def test_a_step_without_its_parameters(aws: str, tmp_path: Path, cli: Any) -> None:
    plan = make_plan()
    step = next(s for s in plan.steps if s.operation == "CreateLogGroup")
    step.params.clear()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    line = _refused(path, cli)
    assert f"step {step.id} (logs:CreateLogGroup): the plan has no logGroupName" in line


def _write_only(step: Step) -> None:
    step.params["EventSelectors"] = [{"ReadWriteType": "WriteOnly"}]


def _public_statement(step: Step) -> None:
    public = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    step.params[MERGE].append(public)


EDITS = [
    ("PutEventSelectors", _write_only, "would weaken CloudTrail.1: the selectors record"),
    ("PutBucketPolicy", _public_statement, "would weaken CloudTrail.6: statement Anyone"),
]


@pytest.mark.parametrize(("operation", "edit", "said"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_that_weakens_the_trail_is_refused(
    operation: str, edit: Callable[[Step], None], said: str, aws: str, tmp_path: Path, cli: Any
) -> None:
    plan = make_plan()
    step = next(s for s in plan.steps if s.operation == operation)
    edit(step)
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    line = _refused(path, cli)
    assert f"step {step.id} ({step.service}:{operation}): {said}" in line
