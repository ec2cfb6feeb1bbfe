"""Readers: the key layout and its pruning, every file shape, corrupt and duplicate inputs."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailwarden.errors import UsageError
from trailwarden.logs.layout import Scope, make_scope
from trailwarden.logs.readers import iter_records
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.fixtures import write_layout
from trailwarden.trailstore.layout import parse_key
from trailwarden.trailstore.records import ReadStats, parse_records
from trailwarden.trailstore.s3 import open_source

ORG = "o-a1b2c3d4e5"


def _rec(eid: str, when: str = "2024-08-01T10:00:00Z", **extra: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "eventID": eid,
        "eventTime": when,
        "eventName": "ListBuckets",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111111111111",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/a"},
        **extra,
    }


def test_parse_key_org_and_single_account() -> None:
    org = parse_key(
        f"logs/AWSLogs/{ORG}/111111111111/CloudTrail/eu-west-1/2024/08/01/"
        "111111111111_CloudTrail_eu-west-1_20240801T1005Z_ABCDEF0123456789.json.gz"
    )
    assert org is not None
    assert (org.org, org.account, org.region, str(org.day)) == (
        ORG,
        "111111111111",
        "eu-west-1",
        "2024-08-01",
    )
    assert org.delivered == datetime(2024, 8, 1, 10, 5, tzinfo=UTC)
    single = parse_key("AWSLogs/222222222222/CloudTrail/us-east-1/2024/08/02/x.json.gz")
    assert single is not None and single.org is None and single.account == "222222222222"
    assert parse_key("random/file.json") is None


def test_scope_prunes_by_account_region_and_day() -> None:
    key = (
        "AWSLogs/111111111111/CloudTrail/eu-west-1/2024/08/01/"
        "a_CloudTrail_eu-west-1_20240801T1005Z_X.json.gz"
    )
    assert Scope().wants_key(key)
    assert not make_scope(accounts=["222222222222"]).wants_key(key)
    assert not make_scope(regions=["us-east-1"]).wants_key(key)
    assert not make_scope(start="2024-08-03").wants_key(key)
    assert not make_scope(end="2024-07-30").wants_key(key)
    assert make_scope(start="2024-08-01T10:20:00Z").wants_key(key)  # delivery slack
    digest = key.replace("/CloudTrail/", "/CloudTrail-Digest/")
    assert not Scope().wants_key(digest)


def test_bad_scope_values_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        make_scope(start="yesterday")
    with pytest.raises(UsageError):
        make_scope(start="2024-08-02", end="2024-08-01")
    with pytest.raises(UsageError):
        make_scope(accounts=["12"])


def test_local_source_prunes_directories_before_reading(tmp_path: Path) -> None:
    recs = [
        _rec("a", recipientAccountId="111111111111"),
        _rec("b", recipientAccountId="222222222222"),
        _rec("c", awsRegion="eu-west-1"),
        _rec("d", when="2024-09-01T10:00:00Z"),
    ]
    write_layout(recs, tmp_path, org=ORG)
    src = local_files(tmp_path)
    stats = ReadStats()
    got = list(
        iter_records(
            src,
            make_scope(
                accounts=["111111111111"],
                regions=["us-east-1"],
                start="2024-08-01",
                end="2024-08-01",
            ),
            stats,
        )
    )
    assert [r["eventID"] for r in got] == ["a"]
    assert stats.files == 1  # the other three files were never opened


def test_every_file_shape(tmp_path: Path) -> None:
    a, b, c, d = _rec("a"), _rec("b"), _rec("c"), _rec("d")
    (tmp_path / "records.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [a]}).encode()))
    (tmp_path / "array.json").write_text(json.dumps([b], indent=2))
    (tmp_path / "lines.jsonl").write_text(json.dumps(c) + "\n" + json.dumps(d) + "\n")
    (tmp_path / "one.json").write_text(json.dumps(_rec("e"), indent=3))
    (tmp_path / "notes.txt").write_text("ignored")
    got = list(iter_records(local_files(tmp_path), Scope(), ReadStats()))
    assert sorted(r["eventID"] for r in got) == ["a", "b", "c", "d", "e"]


def test_missing_and_null_stay_distinct() -> None:
    body = json.dumps([_rec("a", requestParameters=None), _rec("b")]).encode()
    a, b = parse_records(body)
    assert "requestParameters" in a and a["requestParameters"] is None
    assert "requestParameters" not in b


def test_corrupt_truncated_and_duplicate_inputs(tmp_path: Path) -> None:
    good = gzip.compress(json.dumps({"Records": [_rec("a"), _rec("b")]}).encode())
    (tmp_path / "good.json.gz").write_bytes(good)
    (tmp_path / "dup.json.gz").write_bytes(
        gzip.compress(json.dumps([_rec("b"), _rec("c")]).encode())
    )
    (tmp_path / "truncated.json.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "badjson.json").write_text('{"Records": [{"eventID": "x",')
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    stats = ReadStats()
    got = list(iter_records(local_files(tmp_path), Scope(), stats))
    assert sorted(r["eventID"] for r in got) == ["a", "b", "c"]
    assert stats.duplicates == 1
    assert sorted(Path(n).name for n, _ in stats.corrupt) == [
        "badjson.json",
        "binary.json",
        "truncated.json.gz",
    ]


def test_time_window_filters_records_not_just_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(
        json.dumps(
            [_rec("early", when="2024-08-01T09:00:00Z"), _rec("late", when="2024-08-01T11:00:00Z")]
        )
    )
    stats = ReadStats()
    scope = make_scope(start="2024-08-01T10:00:00Z", end="2024-08-01T12:00:00Z")
    assert [r["eventID"] for r in iter_records(local_files(tmp_path), scope, stats)] == ["late"]
    assert stats.outside_window == 1


def test_missing_source_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        local_files(tmp_path / "nope")


def test_s3_source_walks_org_layout_and_prunes(aws: str, trail_tree: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-bucket")
    keys = []
    for path in sorted(trail_tree.rglob("*.json.gz")):
        key = "prefix/" + path.relative_to(trail_tree).as_posix()
        s3.put_object(Bucket="trail-bucket", Key=key, Body=path.read_bytes())
        keys.append(key)
    src = open_source("s3://trail-bucket/prefix")
    every = list(src.files(Scope()))
    assert sorted(r.name for r in every) == sorted(keys)
    one = parse_key(keys[0])
    assert one is not None
    scope = make_scope(
        accounts=[one.account], regions=[one.region], start=str(one.day), end=str(one.day)
    )
    pruned = list(src.files(scope))
    assert pruned and len(pruned) < len(every)
    for ref in pruned:
        info = parse_key(ref.name)
        assert info is not None and (info.account, info.region) == (one.account, one.region)
    stats = ReadStats()
    recs = list(iter_records(src, scope, stats))
    assert recs and all(r["recipientAccountId"] == one.account for r in recs)
    assert stats.files == len(pruned)


def test_s3_bad_url_and_missing_bucket(aws: str) -> None:
    with pytest.raises(UsageError):
        open_source("s3://")
    with pytest.raises(UsageError):
        list(open_source("s3://no-such-bucket-here").files(Scope()))


def test_ingest_from_s3_with_account_pruning(
    cli: Any, aws: str, trail_tree: Path, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-bucket")
    accounts = set()
    for path in sorted(trail_tree.rglob("*.json.gz")):
        key = path.relative_to(trail_tree).as_posix()
        info = parse_key(key)
        assert info is not None
        accounts.add(info.account)
        s3.put_object(Bucket="trail-bucket", Key=key, Body=path.read_bytes())
    one = sorted(accounts)[0]
    db = tmp_path / "s3.duckdb"
    res = cli(
        ["logs", "ingest", "s3://trail-bucket", "--db", str(db), "--account", one, "-o", "json"]
    )
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    expected = sum(
        1 for p in trail_tree.rglob("*.json.gz") if f"/{one}/CloudTrail/" in p.as_posix()
    )
    assert doc["files_read"] == expected and doc["inserted"] > 0
