"""The benchmark script runs end to end at a tiny size (figures are not asserted here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "filterpattern.py"


def test_benchmark_runs_tiny(datasets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("filterpattern_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.main(["--events", "600", "--naive-events", "50", "--datasets", str(datasets)])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("CloudWatch.")]
    assert len(rows) == 14
    assert out.startswith("600 events in memory")
    assert all(line.rstrip().endswith("x") for line in rows)  # each row prints its ratio
