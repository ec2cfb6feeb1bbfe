from __future__ import annotations

from typing import Any


def test_version(cli: Any) -> None:
    res = cli(["--version"])
    assert res.code == 0
    assert res.stdout.startswith("trailwarden ")


def test_unknown_command_is_usage_error(cli: Any) -> None:
    res = cli(["no-such-command"])
    assert res.code == 2
    assert "Traceback" not in res.stderr
