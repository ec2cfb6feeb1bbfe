"""Ctrl-C at any moment of a ``trailwarden`` process: while Python imports the CLI, while the
command runs or prints, while the process ends. Always exit 130 with at most the CLI's one line
(or 0 when the command had finished), never a traceback.

The children run what the console script runs (the entry named in pyproject.toml). The offsets
count from the child's first moment in that entry module: before it, the interpreter itself is
starting (site, .pth files), which no package can reach; the import of the entry module is held
to adding nothing slow by its own test below.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

import trailwarden
from trailwarden.logs import store

SRC = Path(trailwarden.__file__).resolve().parents[1]
PYPROJECT = SRC.parent / "pyproject.toml"
LINE = "trailwarden: error: interrupted"


def _entry() -> tuple[str, str]:
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["trailwarden"].partition(":")
    return module, function


def _console_script(before: str = "") -> str:
    """The console script's code (as the installer writes it), with one byte written to stdout
    once the entry module is imported, just before its function runs (after ``before``)."""
    module, function = _entry()
    return (
        f"import os, sys\nfrom {module} import {function}\n{before}\n"
        f"os.write(1, b'>')\nsys.exit({function}())\n"
    )


def _start(
    *args: str, before: str = "", preexec_fn: Callable[[], object] | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [sys.executable, "-c", _console_script(before), *args]
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,
    )
    assert proc.stdout is not None
    assert proc.stdout.read(1) == ">", proc.communicate()[1]
    return proc


def test_the_console_script_enters_where_ctrl_c_is_taken_first() -> None:
    # trailwarden.cli imports typer, rich and botocore before any of its code could take Ctrl-C.
    assert _entry() == ("trailwarden.__main__", "main")


@pytest.mark.slow
def test_importing_the_entry_adds_nothing_slow() -> None:
    """Between the interpreter's start and the entry's handler, Ctrl-C still raises
    KeyboardInterrupt: the entry module imports only what the interpreter already has."""

    def imported(code: str) -> set[str]:
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        return {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if "|" in line}

    module, _ = _entry()
    added = imported(f"import {module}") - imported("pass")
    assert "trailwarden.interrupt" in added  # the parse sees the entry's imports at all
    assert added <= {"trailwarden", module, "trailwarden.interrupt", "__future__"}


# From the entry's first moment through the imports (~0.3 s), the help being printed and the
# process ending (``scan --help`` takes ~0.4 s): every phase is hit, twice.
OFFSETS = [0.0, 0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]


@pytest.mark.slow
@pytest.mark.parametrize("offset", OFFSETS)
def test_ctrl_c_at_any_moment_exits_130_with_one_line(offset: float) -> None:
    proc = _start("scan", "--help")
    time.sleep(offset)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    if offset < 0.05:  # still importing the CLI, whatever the machine's speed
        assert proc.returncode == 130, err
    assert proc.returncode in (0, 130), err
    if proc.returncode == 130:
        assert err.splitlines() == [LINE], err
    else:  # the command had finished: all of its output, nothing on stderr
        assert err == ""
        assert out.rstrip().endswith("Show this message and exit.")


@pytest.mark.slow
def test_ctrl_c_in_a_running_command_is_still_the_commands_to_handle(tmp_path: Path) -> None:
    """Once the command runs, Ctrl-C unwinds it (KeyboardInterrupt: the database is closed, the
    exit handlers run) rather than ending the process where it stands: ``logs query`` turns
    DuckDB's interrupted statement into the line."""
    db = tmp_path / "t.duckdb"
    with store.connect(db) as con:  # an empty logs database: the query reads no table
        store.init(con)
    slow = "SELECT count(*) FROM range(50000000000) t(x) WHERE x % 7 = 3"
    unwound = "import atexit; atexit.register(os.write, 1, b'unwound')"
    proc = _start("logs", "query", slow, "--db", str(db), before=unwound)
    time.sleep(3)  # imported and inside the statement (it runs for minutes uninterrupted)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.splitlines() == [LINE], err
    assert out == "unwound"


@pytest.mark.slow
def test_a_ctrl_c_the_parent_ignores_stays_ignored() -> None:
    """A background job of a script starts with SIGINT ignored; the entry must not take it back."""

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = _start("scan", "--help", preexec_fn=ignore_sigint)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, "")
    assert "--regions" in out
