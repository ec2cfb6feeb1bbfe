"""Item 6: apply and verify without credentials, or with an endpoint that refuses or is not a
URL, end in one line and exit 2 before any step (like scan, plan and validate)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error


@pytest.fixture
def plan_file(tmp_path: Path, snapshot_file: Path, cli: Any) -> Path:
    path = tmp_path / "plan.json"
    assert cli(["plan", "--from-snapshot", str(snapshot_file), "--out", str(path)]).code == 0
    return path


def _refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [["apply", "{plan}", "--yes"], ["verify", "{plan}"]])
def test_without_credentials(
    command: list[str], plan_file: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    line = one_line_error(cli([a.format(plan=plan_file) for a in command]))
    assert "no usable AWS credentials" in line
    assert not plan_file.with_name("plan.journal.jsonl").exists()


@pytest.mark.parametrize("command", [["apply", "{plan}", "--yes"], ["verify", "{plan}"]])
@pytest.mark.parametrize("endpoint", ["refused", "not-a-url"])
def test_endpoints_that_cannot_be_used(
    command: list[str], endpoint: str, plan_file: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_refused_port()}" if endpoint == "refused" else endpoint
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": url,
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    line = one_line_error(cli([a.format(plan=plan_file) for a in command]))
    assert ("cannot reach AWS" if endpoint == "refused" else "Invalid endpoint: not-a-url") in line
