"""Item 5, in part: a plan edited to lose a parameter a step needs is one line, not a KeyError.

(Checking every step against the baseline's rules, so that an edit that weakens the trail is
refused, is not done yet.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.apply.support import make_plan
from tests.badinput.conftest import one_line_error

from trailwarden.plan.model import save_plan


def test_a_step_without_its_parameters(aws: str, tmp_path: Path, cli: Any) -> None:
    plan = make_plan()
    step = next(s for s in plan.steps if s.operation == "CreateLogGroup")
    step.params.clear()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    line = one_line_error(cli(["apply", str(path), "--yes"]))
    assert f"step {step.id} (logs:CreateLogGroup)" in line
