"""Class 5: bounded decompression (``records.decompress``, ``hashing.gunzip_first_member``) and
oversized documents refused before they are read whole (``jsonfile.read_limited``)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error

from trailwarden.integrity.hashing import gunzip_first_member
from trailwarden.jsonfile import MAX_DOCUMENT_BYTES
from trailwarden.trailstore import records
from trailwarden.trailstore.records import decompress, parse_records

RECORD = {"eventID": "e1", "eventName": "CreateUser", "eventTime": "2024-01-02T03:04:05Z"}


def test_decompress_reads_every_member_and_refuses_bombs() -> None:
    body = json.dumps({"Records": [RECORD]}).encode()
    assert decompress(gzip.compress(body) + gzip.compress(body)) == body + body
    assert decompress(body) == body
    bomb = gzip.compress(b"\0" * (3 * 2**20))
    with pytest.raises(ValueError, match="inflates to more than 2 MiB"):
        decompress(bomb, limit=2 * 2**20)
    with pytest.raises(ValueError, match="larger than 2 MiB"):
        decompress(b" " * (3 * 2**20), limit=2 * 2**20)
    for damaged in (gzip.compress(body)[:-4], gzip.compress(body) + b"junk"):
        with pytest.raises(ValueError, match=r"^bad gzip"):
            decompress(damaged)


def test_one_line_of_json_lines_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_DOCUMENT_BYTES", 100)
    small = json.dumps(RECORD).encode()
    big = json.dumps({**RECORD, "eventID": "e2", "pad": "x" * 200}).encode()
    assert parse_records(small + b"\n" + small) == [RECORD, RECORD]
    with pytest.raises(ValueError, match="line 2 is larger than"):
        parse_records(small + b"\n" + big)


def test_a_digest_bomb_is_refused() -> None:
    with pytest.raises(zlib.error, match="inflates to more than"):
        gunzip_first_member(gzip.compress(b"\0" * 4096), limit=1024)
    assert gunzip_first_member(gzip.compress(b"{}"))[0] == b"{}"


def test_a_bomb_among_log_files_is_listed_and_the_rest_ingested(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "MAX_FILE_BYTES", 2**20)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "good.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [RECORD]}).encode()))
    (folder / "bomb.json.gz").write_bytes(gzip.compress(b" " * (2 * 2**20)))
    db = tmp_path / "events.duckdb"
    res = cli(["logs", "ingest", "--source", str(folder), "--db", str(db), "-o", "json"])
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["inserted"] == 1
    assert [c["file"].endswith("bomb.json.gz") for c in summary["corrupt_files"]] == [True]
    assert "inflates to more than" in summary["corrupt_files"][0]["reason"]


@pytest.mark.parametrize(
    "command", [["scan", "--from-snapshot"], ["plan", "--from-snapshot"], ["apply"]]
)
def test_an_oversized_document_is_refused_unread(
    command: list[str], tmp_path: Path, cli: Any
) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: nothing is written, nothing must be read
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    line = one_line_error(
        cli([*command, str(huge), "--yes"] if command == ["apply"] else [*command, str(huge)])
    )
    assert "larger than 256 MiB" in line
