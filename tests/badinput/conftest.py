"""What every bad-input test checks: the exit code, one line on stderr, no traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.scan.build import make_snapshot, make_trail

from trailwarden.snapshot import save_snapshot

# Root ignores file modes: the mode-based cases can only be seen failing by another user.
AS_ROOT = os.geteuid() == 0


def one_line_error(result: Any, code: int = 2) -> str:
    """The single stderr line of a refused command (asserted), for further checks."""
    assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("trailwarden: error:"), lines
    return str(lines[0])


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    """A snapshot with one single-Region trail (some controls fail)."""
    path = tmp_path / "snap.json"
    save_snapshot(make_snapshot([make_trail(multi=False)]), path)
    return path
