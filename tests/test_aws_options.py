"""Every command that reaches AWS takes --profile (and --region where that is free), applied to
the standard credential chain and restored afterwards."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--bucket", "b", "--start-time", "2026-01-01T00:00:00Z"],
        ["evidence", "download", "--bucket", "b", "--dir", "x"],
        ["logs", "ingest", "s3://bucket/prefix", "--db", "x.duckdb"],
    ],
)
def test_unknown_profile_is_a_one_line_error_and_the_environment_is_restored(
    cli: Any, args: list[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli([*args, "--profile", "nope"])
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0], result.stderr
    assert "AWS_PROFILE" not in os.environ
