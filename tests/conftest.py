"""Shared fixtures: a moto server over HTTP on 127.0.0.1, reset before each test that uses it."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support import datasets as shipped

from trailwarden.demo.server import FAKE_ENV, moto_server, reset_moto


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach real AWS or read the developer's profiles or settings."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Nor the developer's trailwarden settings (TRAILWARDEN_*, ~/.config/trailwarden).
    for key in list(os.environ):
        if key.startswith("TRAILWARDEN_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-user-config"))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto server reached through the standard chain; returns its endpoint URL."""
    reset_moto(moto_endpoint)
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli() -> object:
    """Run the real CLI entry point in-process: ``cli(["scan", ...]) -> CliResult``."""
    from trailwarden.cli import run

    def invoke(args: list[str]) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run(args)
        return CliResult(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def datasets() -> Path:
    return shipped.require()


sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
