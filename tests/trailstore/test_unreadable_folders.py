"""Issue 15 item 12: a folder that cannot be listed, inside a folder a command reads, is reported
as an unreadable input (like a corrupt file), never silently left out and never a traceback.

The tests run as root, where mode 000 stops nothing, so the failure is injected where the walk
meets it: ``os.scandir`` raising PermissionError for the locked folder (os.walk and
``LocalSource.list_folders`` both list through it). One test uses a real mode-000 folder and
runs only as another user.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import AS_ROOT, one_line_error

from trailwarden.trailstore.fixtures import FixtureKey, dir_sink, write_trail_delivery
from trailwarden.trailstore.source import LocalSource, ObjectRef, Unreadable, list_keys

RECORD = {
    "eventVersion": "1.08",
    "eventID": "e1",
    "eventName": "ConsoleLogin",
    "eventTime": "2024-01-01T01:00:00Z",
    "eventSource": "signin.amazonaws.com",
    "awsRegion": "us-east-1",
    "recipientAccountId": "123456789012",
    "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"},
}
WINDOW = ["--start-time", "2024-01-01", "--end-time", "2024-01-02"]


def _log(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": [RECORD]}).encode()))


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    _log(root / "a.json.gz")
    _log(root / "locked" / "b.json.gz")
    return root


def lock(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """``os.scandir`` fails on ``folders`` as it does on a mode-000 folder for another user."""
    real = os.scandir
    locked = {str(f) for f in folders}

    def scandir(path: Any = ".") -> Any:
        if str(path).rstrip("/") in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_the_walk_lists_a_locked_folder_as_unreadable(
    logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock(monkeypatch, logs / "locked")
    source = LocalSource(logs)
    refs = list(source.list_objects("", ""))
    assert refs == [
        ObjectRef("a.json.gz", refs[0].size),
        ObjectRef("locked/", 0, "Permission denied"),
    ]
    with pytest.raises(Unreadable, match="locked/: Permission denied"):
        source.get_object("", "locked/")
    with pytest.raises(Unreadable, match="Permission denied"):
        list(list_keys(source, "", ""))
    with pytest.raises(Unreadable, match="Permission denied"):
        source.list_folders("", "locked/")


def test_a_missing_prefix_folder_is_empty_not_unreadable(logs: Path) -> None:
    assert list(LocalSource(logs).list_objects("", "nowhere/at/all")) == []


READERS = [
    ["filter", "test", "{ $.eventName = ConsoleLogin }", "--events", "{logs}"],
    ["logs", "ingest", "--source", "{logs}", "--db", "{tmp}/e.duckdb"],
    ["logs", "hunt", "--source", "{logs}", "root-usage", *WINDOW],
]


def _run(cli: Any, argv: list[str], logs: Path) -> Any:
    return cli([a.replace("{logs}", str(logs)).replace("{tmp}", str(logs.parent)) for a in argv])


@pytest.mark.parametrize("argv", READERS, ids=[" ".join(a[:2]) for a in READERS])
def test_readers_list_a_locked_folder_and_read_the_rest(
    argv: list[str], logs: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock(monkeypatch, logs / "locked")
    result = _run(cli, argv, logs)
    assert result.code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert f"{logs / 'locked'}/: cannot read: Permission denied" in result.stderr
    if argv[:2] == ["logs", "ingest"]:
        assert "ingested 1 events" in result.stdout + result.stderr


def test_validate_dir_says_which_folder_it_cannot_list(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "copy"
    start = "2025-06-01T00:00:00+00:00"
    key = FixtureKey.generate(bits=1024)
    write_trail_delivery(
        dir_sink(root), "123456789012", ["us-east-1"], datetime.fromisoformat(start), 3, key
    )
    digests = next(root.rglob("CloudTrail-Digest"))
    lock(monkeypatch, digests / "us-east-1" / "2025" / "06" / "01")
    window = ["--start-time", "2025-06-01T00:30:00Z", "--end-time", "2025-06-01T06:00:00Z"]
    line = one_line_error(cli(["validate", "--dir", str(root), "--bucket", "b", *window]))
    assert "us-east-1/2025/06/01" in line and "Permission denied" in line


@pytest.mark.skipif(AS_ROOT, reason="root reads a mode-000 folder: only another user sees it")
def test_a_real_mode_000_folder(logs: Path, cli: Any) -> None:
    locked = logs / "locked"
    locked.chmod(0)
    try:
        result = _run(cli, READERS[1], logs)
    finally:
        locked.chmod(0o755)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert f"{locked}/: cannot read: Permission denied" in result.stderr
