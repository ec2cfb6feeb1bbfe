"""Item 14: messages that said something else than what was wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.badinput.conftest import one_line_error


def test_events_from_a_device(cli: Any) -> None:
    line = one_line_error(cli(["filter", "test", "{ $.eventName = X }", "--events", "/dev/zero"]))
    assert "not a file or a folder" in line


def test_no_alarms_with_an_alarm_email(snapshot_file: Path, cli: Any) -> None:
    argv = ["plan", "--from-snapshot", str(snapshot_file), "--no-alarms"]
    line = one_line_error(cli([*argv, "--alarm-email", "a@example.com"]))
    assert "--no-alarms" in line and "--alarm-email" in line


def test_demo_checks_max_workers_first(cli: Any) -> None:
    assert "--max-workers" in one_line_error(cli(["demo", "--max-workers", "0"]))


def test_no_region_says_how_to_give_one(tmp_path: Path, cli: Any) -> None:
    res = cli(["alarms", "replay", "--patterns", "account", "--source", str(tmp_path)])
    line = one_line_error(res)
    assert "no AWS Region" in line and "--region" in line
