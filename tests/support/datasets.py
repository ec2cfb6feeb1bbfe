"""Where the real CloudTrail recordings (and rules, patterns) the tests use live.

They ship with the repository under tests/data/datasets, each folder with its upstream licence
and a SOURCE.md naming the repository, path and commit it came from. A checkout trimmed of them
falls back to ../shared/datasets beside it (the developers' workspace), and the tests that need
them skip, saying where they looked, only when neither is there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IN_REPO = REPO / "tests" / "data" / "datasets"
BESIDE = REPO.parent / "shared" / "datasets"
DATASETS = IN_REPO if IN_REPO.is_dir() else BESIDE


def require() -> Path:
    """The datasets folder, or skip the test that needs it."""
    if not DATASETS.is_dir():
        pytest.skip(f"datasets not found at {IN_REPO} or {BESIDE}")
    return DATASETS
