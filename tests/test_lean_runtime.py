"""The installed CLI stays lean: heavy libraries load only for the commands that use them, and
moto (the ``demo`` extra) only for ``trailwarden demo``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import trailwarden

SRC = Path(trailwarden.__file__).resolve().parents[1]
PACKAGE = SRC / "trailwarden"


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_version_imports_no_duckdb_sqlglot_or_moto() -> None:
    run = _python("-X", "importtime", "-m", "trailwarden", "--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"trailwarden {trailwarden.__version__}\n"
    # importtime lines: "import time: self | cumulative | <indent>module"
    imported = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert "trailwarden.cli" in imported  # the parse sees the imports at all
    assert not {m for m in imported if m.split(".")[0] in {"duckdb", "sqlglot", "moto"}}


@pytest.mark.slow
def test_demo_without_moto_names_the_extra_in_one_line() -> None:
    # ``None`` in sys.modules makes ``import moto`` fail as it does when moto is not installed.
    code = "import sys; sys.modules['moto'] = None; from trailwarden.cli import main; main()"
    run = _python("-c", code, "demo")
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "pip install 'trailwarden[demo]'" in run.stderr


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_only_the_demo_imports_moto() -> None:
    demo = PACKAGE / "demo"
    importers = {
        path.relative_to(PACKAGE).as_posix(): _imports(path) for path in PACKAGE.rglob("*.py")
    }
    assert any(n.startswith("moto") for n in importers["demo/server.py"])  # the check can see it
    outside = {
        name
        for name, modules in importers.items()
        if not (PACKAGE / name).is_relative_to(demo)
        and any(m == "moto" or m.startswith("moto.") for m in modules)
    }
    assert outside == set()
    # ... and nothing but the demo command (its organisation path is drawn in its own module)
    # reaches into the demo package.
    reach = {
        name
        for name, modules in importers.items()
        if not (PACKAGE / name).is_relative_to(demo)
        and name not in ("cli/demo.py", "cli/demo_org.py")
        and any(m.startswith("trailwarden.demo") for m in modules)
    }
    assert reach == set()
