"""Whole-document typing (one json_transform per file) stores exactly what the split path stores.

``store.WHOLE_DOCUMENT_KINDS`` emptied sends every document through the older split path
(``schema.select_typed`` over records cut out one by one); both databases must hold the same
rows, column for column, and every JSON column must match the source records, including a
member present as ``null`` ('null') versus a missing one (SQL NULL).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest

from trailwarden.logs import schema, store
from trailwarden.logs.layout import Scope
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.records import Record

_ABSENT = object()


def _ingest(tree: Path, db: Path, monkeypatch: pytest.MonkeyPatch, *, split: bool) -> None:
    with monkeypatch.context() as m:
        if split:
            m.setattr(store, "WHOLE_DOCUMENT_KINDS", frozenset())
        ingest(local_files(tree), db, Scope())


def _rows(db: Path) -> list[tuple[Any, ...]]:
    con = connect(db, read_only=True)
    # file_id included: both runs number the files in the same order.
    rows = con.execute("SELECT * FROM tw_records ORDER BY eventID, file_id").fetchall()
    con.close()
    return rows


def _files(db: Path) -> list[tuple[Any, ...]]:
    con = connect(db, read_only=True)
    rows = con.execute("SELECT * EXCLUDE (ingested_at) FROM tw_files ORDER BY file_id").fetchall()
    con.close()
    return rows


def _assert_same(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    split, whole = tmp_path / "split.duckdb", tmp_path / "whole.duckdb"
    _ingest(tree, split, monkeypatch, split=True)
    _ingest(tree, whole, monkeypatch, split=False)
    expected, got = _rows(split), _rows(whole)
    assert len(got) == len(expected) > 0
    for want, have in zip(expected, got, strict=True):
        assert have == want
    assert _files(whole) == _files(split)
    return whole


def _json_columns_match_source(db: Path, records: list[Record]) -> None:
    con = connect(db, read_only=True)
    cols = ", ".join(f'"{c}"' for c in schema.JSON_COLUMNS)
    stored = {
        row[0]: row[1:] for row in con.execute(f"SELECT eventID, {cols} FROM events").fetchall()
    }
    con.close()
    by_id = {str(r["eventID"]): r for r in records if "eventID" in r}
    assert set(stored) == set(by_id)
    for eid, rec in by_id.items():
        for name, value in zip(schema.JSON_COLUMNS, stored[eid], strict=True):
            source = rec.get(name, _ABSENT)
            if source is _ABSENT:
                assert value is None, (eid, name)
            else:  # present, null included: the JSON text of the source value
                assert value is not None and json.loads(value) == source, (eid, name)


def test_real_datasets_store_the_same_rows(
    tmp_path: Path, trail_tree: Path, monkeypatch: pytest.MonkeyPatch, all_records: list[Record]
) -> None:
    db = _assert_same(trail_tree, tmp_path, monkeypatch)
    _json_columns_match_source(db, all_records)


def _random_record(rng: random.Random, i: int) -> Record:
    """A record where every JSON member is independently missing, null, or a value."""
    rec: Record = {
        "eventVersion": rng.choice(["1.08", "1.11", "1.12", None]),
        "eventID": f"id-{i:05d}",
        "eventTime": rng.choice(["2025-03-01T10:00:00Z", "not a time", 17, "2025-03-01T10:00Z"]),
        "eventName": rng.choice(["DeleteTrail", "GetObject", "ConsoleLogin"]),
        "readOnly": rng.choice([True, False, "true", None]),
        "userAgent": rng.choice(["aws-cli/2 ünïcode ✓", "console", None, 12]),
    }
    kind = rng.choice(["Root", "IAMUser", "AssumedRole", None])
    identity: dict[str, Any] = {"type": kind, "arn": f"arn:aws:iam::1:user/u{i}"}
    if rng.random() < 0.5:
        identity["invokedBy"] = rng.choice([None, "signin.amazonaws.com"])
    if rng.random() < 0.3:
        identity["sessionContext"] = {"sessionIssuer": {"arn": "arn:aws:iam::1:role/r"}}
    if rng.random() < 0.2:
        identity["brandNew"] = {"nested": [1, None]}
    rec["userIdentity"] = identity
    values: list[Any] = [
        None,
        {},
        [],
        {"a": None, "requestParameters": None, "n": 1.5e300, "big": 12345678901234567890},
        [{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket"}],
        "plain",
        0,
        {"s": 'quote " and \\ and ünï'},
    ]
    for name in schema.JSON_COLUMNS:
        if rng.random() < 0.6:
            rec[name] = rng.choice(values)
    if rng.random() < 0.1:
        rec["@timestamp"] = "2020-09-14T01:19:40.123Z"
        rec.pop("eventTime")
    if rng.random() < 0.1:
        rec["someFutureField"] = {"x": [None]}
    rng_keys = list(rec)
    rng.shuffle(rng_keys)  # member order must not matter
    return {k: rec[k] for k in rng_keys}


def test_random_records_in_every_shape_store_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20251124)
    recs = [_random_record(rng, i) for i in range(600)]
    tree = tmp_path / "tree"
    tree.mkdir()
    chunks = [recs[i : i + 50] for i in range(0, 400, 50)]
    for n, chunk in enumerate(chunks):  # CloudTrail's shape, gzipped, raw UTF-8 or escaped
        body = json.dumps({"Records": chunk}, ensure_ascii=n % 2 == 0).encode()
        (tree / f"r{n}.json.gz").write_bytes(gzip.compress(body))
    # Odd members among the records: a number, a non-record object, an empty object.
    odd = json.dumps({"Records": [5, {"not": "an event"}, {}, *recs[400:450]], "x": 1})
    (tree / "odd.json").write_text(odd)
    (tree / "export.json").write_text(json.dumps(recs[450:500], indent=2))  # event history
    (tree / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in recs[500:560]) + "\n")
    for r in recs[560:570]:  # one record per file
        (tree / f"one-{r['eventID']}.json").write_text(json.dumps(r, indent=1))
    (tree / "late.json").write_text(json.dumps({"x": 1, "Records": recs[570:600]}))
    db = _assert_same(tree, tmp_path, monkeypatch)
    _json_columns_match_source(db, recs)


def test_extra_keeps_invoked_by_and_new_fields_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"eventVersion": "1.09", "eventTime": "2025-01-01T00:00:00Z", "eventName": "X"}
    recs = [
        {**base, "eventID": "root-null", "userIdentity": {"type": "Root", "invokedBy": None}},
        {**base, "eventID": "root-absent", "userIdentity": {"type": "Root"}},
        {**base, "eventID": "user", "userIdentity": {"type": "IAMUser", "invokedBy": None}},
        {**base, "eventID": "v2", "eventVersion": "2.0", "newThing": None},
    ]
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.json").write_text(json.dumps({"Records": recs}))
    db = _assert_same(tmp_path / "t", tmp_path, monkeypatch)
    con = connect(db, read_only=True)
    extra = dict(con.execute("SELECT eventID, extra FROM tw_records").fetchall())
    # A member present as null, at any depth and for any identity type, is kept as delivered.
    assert json.loads(extra["root-null"])["userIdentity"]["invokedBy"] is None
    assert extra["root-absent"] is None  # held exactly by the typed columns
    assert json.loads(extra["user"])["userIdentity"]["invokedBy"] is None
    assert json.loads(extra["v2"])["newThing"] is None


def test_statement_slices_keep_order_and_bound_the_text() -> None:
    paths = [f"/s/{i}.records.json" for i in range(7)]
    sizes = [5, 5, 5, 30, 1, 1, 1]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(store, "STATEMENT_BYTES", 10)
        runs = store._slices(paths, sizes)
    assert [p for run in runs for p in run] == paths  # every file once, in order
    # A run is cut before it would pass the budget; a file larger than it runs alone.
    assert [len(run) for run in runs] == [2, 1, 1, 3]


def test_many_small_statements_store_the_same_rows(
    tmp_path: Path, trail_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, many = tmp_path / "one.duckdb", tmp_path / "many.duckdb"
    ingest(local_files(trail_tree), one, Scope())
    monkeypatch.setattr(store, "STATEMENT_BYTES", 1)  # one file per statement
    ingest(local_files(trail_tree), many, Scope())
    assert _rows(many) == _rows(one)
