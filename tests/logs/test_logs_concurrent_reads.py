"""Reads in flight: files are read and decompressed ahead on a pool, and come back in order.

A trail's bucket is read with ``S3Source.reads_in_flight`` GETs at once (latency hides behind
them); what the rest of the pipeline sees must not change: the same files, in listing order,
the same corrupt-file reports, the same rows in the database.
"""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from trailwarden.logs.layout import Scope
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import FileRef, local_files
from trailwarden.trailstore.records import ReadStats, iter_file_bytes
from trailwarden.trailstore.s3 import open_source


class _SlowSource:
    """Files whose reads take random times; counts how many run at once."""

    def __init__(self, bodies: dict[str, bytes], reads_in_flight: int) -> None:
        self.bodies = bodies
        self.reads_in_flight = reads_in_flight
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.rng = random.Random(5)

    def files(self, scope: Scope) -> Iterator[FileRef]:
        for name, body in self.bodies.items():
            yield FileRef(name, len(body))

    def read(self, ref: FileRef) -> bytes:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            pause = self.rng.uniform(0, 0.01)
        time.sleep(pause)
        with self.lock:
            self.running -= 1
        body = self.bodies[ref.name]
        if body == b"unreadable":
            raise ValueError("cannot read: AccessDenied")
        if body == b"broken":
            raise RuntimeError("connection reset")
        return body


def _bodies(n: int) -> dict[str, bytes]:
    out = {}
    for i in range(n):
        doc = json.dumps({"Records": [{"eventID": f"e{i}", "eventName": "X"}]}).encode()
        out[f"f{i:03d}.json.gz"] = gzip.compress(doc) if i % 2 else doc
    return out


def test_files_come_back_in_listing_order_while_reads_overlap() -> None:
    bodies = _bodies(60)
    bodies["f010.json.gz"] = b"unreadable"
    bodies["f011.json.gz"] = b"\x1f\x8b not gzip"
    src = _SlowSource(bodies, reads_in_flight=8)
    stats = ReadStats()
    got = [(ref.name, data) for ref, data in iter_file_bytes(src, Scope(), stats)]
    assert src.most > 1  # reads did overlap
    assert [n for n, _ in got] == [n for n in bodies if n not in ("f010.json.gz", "f011.json.gz")]
    for name, data in got:
        assert json.loads(data)["Records"][0]["eventID"] == "e" + str(int(name[1:4]))
    assert [n for n, _ in stats.corrupt] == ["f010.json.gz", "f011.json.gz"]
    assert stats.corrupt[0][1] == "cannot read: AccessDenied"
    assert stats.corrupt[1][1].startswith("bad gzip")
    assert stats.files == 60


def test_one_read_at_a_time_when_the_source_asks_for_it() -> None:
    src = _SlowSource(_bodies(20), reads_in_flight=1)
    assert len(list(iter_file_bytes(src, Scope(), ReadStats()))) == 20
    assert src.most == 1


def test_an_unexpected_read_error_stops_the_read() -> None:
    bodies = _bodies(30)
    bodies["f005.json.gz"] = b"broken"
    src = _SlowSource(bodies, reads_in_flight=4)
    seen = []
    with pytest.raises(RuntimeError, match="connection reset"):
        for ref, _ in iter_file_bytes(src, Scope(), ReadStats()):
            seen.append(ref.name)
    assert seen == [f"f{i:03d}.json.gz" for i in range(5)]


def test_ingest_from_a_bucket_stores_what_the_same_folder_stores(
    aws: str, trail_tree: Path, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-bucket")
    for path in sorted(trail_tree.rglob("*.json.gz")):
        s3.put_object(
            Bucket="trail-bucket",
            Key=path.relative_to(trail_tree).as_posix(),
            Body=path.read_bytes(),
        )
    src = open_source("s3://trail-bucket")
    assert src.reads_in_flight > 1
    from_s3, from_dir = tmp_path / "s3.duckdb", tmp_path / "dir.duckdb"
    ingest(src, from_s3, Scope())
    ingest(local_files(trail_tree), from_dir, Scope())

    def rows(db: Path) -> list[tuple[object, ...]]:
        con = connect(db, read_only=True)
        out = con.execute("SELECT * FROM events ORDER BY eventID").fetchall()
        names = [n for (n,) in con.execute("SELECT name FROM tw_files ORDER BY file_id").fetchall()]
        con.close()
        return [*out, tuple(Path(n).name for n in names)]

    assert rows(from_s3) == rows(from_dir)
