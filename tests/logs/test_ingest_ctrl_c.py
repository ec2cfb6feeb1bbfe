"""Issue 15 item 13: Ctrl-C at any point of a real ``trailwarden logs ingest`` (listing, while
writers insert, inside a DuckDB statement at the end, after the command finished) exits 130 with
one line, and the database file then answers ``logs query``.

The subprocess is the real console entry point (``trailwarden.__main__.main``); hooks only say when
a phase is reached (a file appears) and hold it there, so the signal lands in that phase every
time rather than by timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_HOOKED = r"""
import atexit, os, sys, time
from pathlib import Path

ready, point = Path(os.environ["TW_READY"]), os.environ["TW_POINT"]
import trailwarden.logs.staging as staging
import trailwarden.logs.store as store
import trailwarden.trailstore.files as files

def hold(seconds):
    ready.touch()
    time.sleep(seconds)

if point == "listing":
    read = files.TrailFiles.read
    files.TrailFiles.read = lambda self, ref: (hold(0.5), read(self, ref))[1]
elif point == "writing":
    staging.BATCH_BYTES, store.COMMIT_ROWS = 1, 1
    write = store._Writer.write
    store._Writer.write = lambda self, batch: (hold(0.2), write(self, batch))[0]
elif point == "last statement":
    dedupe = store._dedupe
    def slow(con):
        ready.touch()  # a statement that runs until it is interrupted, then the real one
        con.execute("SELECT count(*) FROM range(50000000000) t(x) WHERE x % 7 = 3").fetchall()
        return dedupe(con)
    store._dedupe = slow
elif point == "after the command":
    atexit.register(hold, 30)
from trailwarden.__main__ import main
sys.argv[0] = "trailwarden"
main()
"""
POINTS = ["listing", "writing", "last statement", "after the command"]


def _trailwarden(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from trailwarden.__main__ import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


@pytest.mark.parametrize("point", POINTS)
def test_ctrl_c_exits_130_with_one_line_and_the_database_answers(
    point: str, tmp_path: Path, trail_tree: Path
) -> None:
    db, ready = tmp_path / "t.duckdb", tmp_path / "ready"
    env = {**os.environ, "TW_READY": str(ready), "TW_POINT": point}
    argv = [
        sys.executable,
        "-c",
        _HOOKED,
        "logs",
        "ingest",
        "--source",
        str(trail_tree),
        "--db",
        str(db),
    ]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for _ in range(1200):
        if ready.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert ready.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["trailwarden: error: interrupted"], err
    answer = _trailwarden("logs", "query", "SELECT count(*) AS n FROM events", "--db", str(db))
    assert answer.returncode == 0, answer.stderr


def test_ctrl_c_in_a_query_on_the_main_thread(tmp_path: Path, trail_tree: Path) -> None:
    """DuckDB answers Ctrl-C in a main-thread statement with RuntimeError("Query interrupted"):
    one line and 130 too, not a traceback."""
    db = tmp_path / "t.duckdb"
    assert (
        _trailwarden("logs", "ingest", "--source", str(trail_tree), "--db", str(db)).returncode == 0
    )
    slow = "SELECT count(*) FROM range(50000000000) t(x) WHERE x % 7 = 3"
    code = "from trailwarden.__main__ import main; main()"
    argv = [sys.executable, "-c", code, "logs", "query", slow, "--db", str(db)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # imported and inside the statement (it runs for minutes uninterrupted)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["trailwarden: error: interrupted"], err
    assert out == ""  # no DuckDB progress bar drawn into the pipe (a statement over 2 s)
