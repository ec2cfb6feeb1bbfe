"""trailstore: the key layout round-trips, a folder lists like a bucket, one reader for all."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trailwarden.errors import UsageError
from trailwarden.trailstore import layout
from trailwarden.trailstore.files import ALL_LOG_FILES, local_files
from trailwarden.trailstore.fixtures import FixtureKey, dir_sink, write_trail_delivery
from trailwarden.trailstore.records import ReadStats, iter_file_records, parse_records
from trailwarden.trailstore.source import LocalSource, ObjectNotFound

ORG = "o-a1b2c3d4e5"
WHEN = datetime(2024, 8, 1, 10, 5, 33, tzinfo=UTC)


def test_keys_built_are_keys_parsed() -> None:
    log = layout.log_key("p/q", ORG, "111111111111", "eu-west-1", WHEN, "ABCDEF0123456789")
    assert log == (
        f"p/q/AWSLogs/{ORG}/111111111111/CloudTrail/eu-west-1/2024/08/01/"
        "111111111111_CloudTrail_eu-west-1_20240801T1005Z_ABCDEF0123456789.json.gz"
    )
    info = layout.parse_key(log)
    assert info is not None
    assert (info.prefix, info.org, info.account, info.kind, info.region) == (
        "p/q",
        ORG,
        "111111111111",
        layout.LOGS,
        "eu-west-1",
    )
    assert info.delivered == WHEN.replace(second=0)
    digest = layout.digest_key("", None, "222222222222", "us-east-1", "t", "us-west-2", WHEN, True)
    assert digest.endswith(
        "222222222222_CloudTrail-Digest_us-east-1_t_us-west-2_20240801T100533Z_backfill.json.gz"
    )
    parsed = layout.parse_key(digest)
    assert parsed is not None and parsed.is_digest and parsed.prefix == ""
    assert layout.parse_key("notes/readme.json") is None


def test_a_folder_lists_in_s3_order_and_keeps_metadata_beside(tmp_path: Path) -> None:
    key = FixtureKey.generate(bits=1024)
    delivery = write_trail_delivery(
        dir_sink(tmp_path), "123456789012", ["us-east-1"], WHEN, 2, key, logs_per_hour=2
    )
    source = LocalSource(tmp_path, "ct-fixture-bucket")
    listed = [ref.key for ref in source.list_objects("ct-fixture-bucket", "AWSLogs/")]
    assert listed == sorted(listed, key=str.encode)
    assert not any(k.endswith(".metadata.json") for k in listed)
    assert set(delivery.logs) < set(listed)
    digest = delivery.chain("123456789012", "us-east-1")[0].key
    assert source.get_object("ct-fixture-bucket", digest).metadata["signature"]
    assert source.list_folders("ct-fixture-bucket", "AWSLogs/") == ["123456789012"]
    with pytest.raises(ObjectNotFound):
        source.get_object("another-bucket", digest)
    # The log files walk finds the logs, not the digests.
    names = [ref.name for ref in local_files(tmp_path).files(ALL_LOG_FILES)]
    assert sorted(Path(n).relative_to(tmp_path).as_posix() for n in names) == sorted(delivery.logs)


def test_one_reader_for_every_shape_and_corrupt_files_listed(tmp_path: Path) -> None:
    rec = {"eventID": "a", "eventName": "X", "eventVersion": "1.09"}
    (tmp_path / "records.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": [rec]}).encode())
    )
    (tmp_path / "lines.jsonl").write_text(json.dumps(rec) + "\n{oops\n")
    (tmp_path / "named-gz-but-plain.json.gz").write_text(json.dumps([rec, rec]))
    stats = ReadStats()
    got = {
        Path(ref.name).name: len(recs)
        for ref, recs in iter_file_records(local_files(tmp_path), ALL_LOG_FILES, stats)
    }
    assert got == {"records.json.gz": 1, "named-gz-but-plain.json.gz": 2}
    assert [(Path(n).name, r.split(":")[0]) for n, r in stats.corrupt] == [
        ("lines.jsonl", "bad JSON on line 2")
    ]
    assert parse_records(b'{"eventName": "Y", "requestParameters": null}') == [
        {"eventName": "Y", "requestParameters": None}
    ]
    with pytest.raises(UsageError):
        local_files(tmp_path / "missing")
