"""Checkov on every rendered variant: no failed check; each skip carries its reason.

Checkov is not a project dependency (it pins versions the project cannot share): the test runs
when ``checkov`` is on PATH or ``CHECKOV_BIN`` names it, e.g. a separate virtualenv's
``bin/checkov``, and is skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from trailwarden.plan.checkov import REASONS
from trailwarden.plan.export import export_org_iac, write_org_iac
from trailwarden.plan.render_cloudformation import render_cloudformation
from trailwarden.plan.render_terraform import render_terraform

from .org_support import org_plan
from .test_export_org_cloudformation import ORG_VARIANTS
from .test_render_cloudformation import VARIANTS


def _checkov() -> str:
    exe = os.environ.get("CHECKOV_BIN") or shutil.which("checkov")
    if not exe or not Path(exe).exists():
        pytest.skip("checkov is not installed (set CHECKOV_BIN to its path)")
    return exe


@pytest.mark.slow
def test_no_checkov_check_fails_and_every_skip_says_why(make_baseline: Any, tmp_path: Path) -> None:
    exe = _checkov()
    for name, options in VARIANTS.items():
        baseline = make_baseline(**options)
        (tmp_path / "account" / name).mkdir(parents=True)
        (tmp_path / "account" / name / "template.yaml").write_text(render_cloudformation(baseline))
        (tmp_path / "account" / name / "main.tf").write_text(render_terraform(baseline))
    for name, options in ORG_VARIANTS.items():
        for fmt in ("cloudformation", "terraform"):
            plan = org_plan(**options)
            write_org_iac(export_org_iac(plan, fmt), tmp_path / "org" / fmt / name)
    done = subprocess.run(
        [exe, "-d", str(tmp_path), "-o", "json", "--framework",
         "cloudformation", "terraform"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert {r["check_type"] for r in reports} == {"cloudformation", "terraform"}
    failed = [
        (c["check_id"], c["file_path"], c["resource"])
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert failed == []
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    assert skipped, "the variants exercise the documented skips"
    for check in skipped:
        assert check["check_id"] in REASONS
        assert REASONS[check["check_id"]] in check["check_result"].get("suppress_comment", "")
