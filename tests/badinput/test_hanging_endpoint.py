"""Item 7: an endpoint that accepts and never answers costs each call its kind's timeouts, tried
twice, then one line naming the endpoint and how long was waited (exit 2), never a traceback.

The fault proxy's ``hang`` fault reads a request and never answers; TRAILWARDEN_READ_TIMEOUT and
TRAILWARDEN_CONNECT_TIMEOUT (documented in the README) shorten every call kind's timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.badinput.conftest import one_line_error
from tests.support.proxy import Fault, LatencyProxy, latency_proxy

from trailwarden.aws.session import CALL_KINDS, call_kind

WINDOW = ["--start-time", "2024-01-01T00:00:00Z", "--end-time", "2024-01-02T00:00:00Z"]


@pytest.fixture
def hanging(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LatencyProxy]:
    """Every call through the proxy hangs (the test narrows it with ``add_fault``)."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail")
    with latency_proxy(aws, delay_s=0) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("TRAILWARDEN_READ_TIMEOUT", "1")
        monkeypatch.setenv("TRAILWARDEN_CONNECT_TIMEOUT", "1")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield proxy


COMMANDS: list[tuple[str | None, list[str]]] = [
    ("s3", ["logs", "ingest", "--source", "s3://trail/AWSLogs", "--db", "{tmp}/e.duckdb"]),
    ("s3", ["logs", "hunt", "--source", "s3://trail/AWSLogs", *WINDOW]),
    ("s3", ["evidence", "download", "--bucket", "trail", "--dir", "{tmp}/copy", *WINDOW]),
    ("s3", ["evidence", "coverage", "--bucket", "trail", *WINDOW]),
    ("s3", ["validate", "--bucket", "trail", "--account", "123456789012", *WINDOW]),
    ("athena", ["logs", "hunt", "--source", "s3://trail/AWSLogs", "--engine", "athena", "-q"]),
    ("logs", ["alarms", "replay", "--source", "{tmp}", "--patterns", "account"]),
    ("s3", ["alarms", "replay", "--source", "s3://trail/AWSLogs", *WINDOW]),
    (None, ["verify", "{plan}"]),
    (None, ["verify", "{plan}", "--wait", "20m"]),
]


@pytest.mark.parametrize(("service", "argv"), COMMANDS, ids=[" ".join(a[:2]) for _, a in COMMANDS])
def test_a_hanging_endpoint_is_one_line(
    service: str | None,
    argv: list[str],
    hanging: LatencyProxy,
    tmp_path: Path,
    cli: Any,
    snapshot_file: Path,
) -> None:
    plan = tmp_path / "plan.json"
    assert cli(["plan", "--from-snapshot", str(snapshot_file), "--out", str(plan)]).code == 0
    hanging.add_fault(Fault(service=service, kind="hang"))
    started = time.monotonic()
    result = cli([a.replace("{tmp}", str(tmp_path)).replace("{plan}", str(plan)) for a in argv])
    elapsed = time.monotonic() - started
    line = one_line_error(result)
    assert f"cannot reach AWS at {hanging.url}: read timed out after 1s (2 attempts)" in line
    # Two attempts of 1 s each plus retry back-off, not max_attempts x 15-30 s.
    assert elapsed < 15, elapsed


@pytest.mark.parametrize(
    "argv",
    [
        ["logs", "ingest", "--source", "s3://trail/AWSLogs", "--db", "{tmp}/e.duckdb"],
        ["alarms", "replay", "--source", "s3://trail/AWSLogs", *WINDOW],
    ],
    ids=["ingest", "replay"],
)
def test_reads_that_hang_stop_the_run_at_the_first_file(
    argv: list[str], hanging: LatencyProxy, tmp_path: Path, cli: Any
) -> None:
    """Listing answers, every GET hangs: one line after the first file, not one wait per file."""
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=hanging.url)
    for hour in range(6):
        key = f"AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/f{hour}.json.gz"
        s3.put_object(Bucket="trail", Key=key, Body=b"{}")
    hanging.add_fault(Fault(service="s3", operation="GetObject", kind="hang"))
    started = time.monotonic()
    line = one_line_error(cli([a.replace("{tmp}", str(tmp_path)) for a in argv]))
    assert "cannot read s3://trail/AWSLogs/123456789012/CloudTrail/" in line
    assert f"cannot reach AWS at {hanging.url}: read timed out after 1s (2 attempts)" in line
    assert time.monotonic() - started < 15


def test_each_call_kind_has_its_own_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAILWARDEN_READ_TIMEOUT", raising=False)
    assert call_kind("s3") == CALL_KINDS["objects"]
    assert call_kind("athena") == CALL_KINDS["query"]
    assert call_kind("cloudtrail") == CALL_KINDS["api"]
    monkeypatch.setenv("TRAILWARDEN_READ_TIMEOUT", "2.5")
    assert call_kind("s3").read == 2.5


def test_a_bad_timeout_setting_is_one_line(
    aws: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAILWARDEN_READ_TIMEOUT", "soon")
    line = one_line_error(cli(["logs", "ingest", "--source", "s3://trail", "--db", "x.duckdb"]))
    assert "TRAILWARDEN_READ_TIMEOUT='soon'" in line
