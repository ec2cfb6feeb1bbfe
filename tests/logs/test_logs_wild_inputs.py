"""Inputs seen in the wild, read by every path: Insights in a flat folder, Firehose-style lines of
``{"Records": ...}`` documents, a UTF-8 byte-order mark, Sigma rule collections."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from trailwarden.logs.direct import iter_matching_records
from trailwarden.logs.layout import Scope, make_scope
from trailwarden.logs.questions import timeline
from trailwarden.logs.readers import iter_records
from trailwarden.logs.sigma import load_rules
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.records import ReadStats

WINDOW = ("2024-08-01T00:00:00Z", "2024-08-02T00:00:00Z")


def _call(eid: str, minute: int = 0, name: str = "DeleteTrail") -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "eventID": eid,
        "eventTime": f"2024-08-01T10:{minute:02d}:00Z",
        "eventType": "AwsApiCall",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "eventCategory": "Management",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/a"},
        "recipientAccountId": "111111111111",
    }


def _insight(eid: str) -> dict[str, Any]:
    # The shape of CloudTrail's Insights events: no caller, the API named in insightDetails.
    return {
        "eventVersion": "1.08",
        "eventTime": "2024-08-01T10:30:00Z",
        "awsRegion": "us-east-1",
        "eventID": eid,
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": "111111111111",
        "sharedEventID": "s-" + eid,
        "insightDetails": {
            "state": "Start",
            "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "DeleteTrail",
            "insightType": "ApiCallRateInsight",
        },
        "eventCategory": "Insight",
    }


def _ids_everywhere(folder: Path, tmp_path: Path) -> tuple[list[str], list[str]]:
    """eventIDs read from the files and from an ingested database (timeline over WINDOW)."""
    scope = make_scope(start=WINDOW[0], end=WINDOW[1])
    on_files = sorted(
        str(r["eventID"]) for r in iter_records(local_files(folder), scope, ReadStats())
    )
    db = tmp_path / "t.duckdb"
    result = ingest(local_files(folder), db, Scope())
    assert result.stats.corrupt == []
    con = connect(db, read_only=True)
    on_db = sorted(str(r["eventID"]) for r in timeline(con, scope, 1000))
    con.close()
    return on_files, on_db


def test_insights_in_a_flat_folder_are_not_api_calls(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    name = "111111111111_CloudTrail-Insight_us-east-1_20240801T1030Z_abc.json.gz"
    (folder / name).write_bytes(gzip.compress(json.dumps({"Records": [_insight("i1")]}).encode()))
    # An export mixing calls and Insights events (the file name tells nothing).
    (folder / "export.json").write_text(json.dumps([_call("c1"), _insight("i2")]))
    stats = ReadStats()
    assert [r["eventID"] for r in iter_records(local_files(folder), Scope(), stats)] == ["c1"]
    assert stats.files == 1  # the Insights file is not read at all
    assert _ids_everywhere(folder, tmp_path) == (["c1"], ["c1"])


def test_firehose_lines_of_records_documents(tmp_path: Path) -> None:
    folder = tmp_path / "firehose"
    folder.mkdir()
    lines = [
        json.dumps({"Records": [_call("a", 1), _call("b", 2)]}),
        json.dumps({"Records": [_call("c", 3)]}),
        json.dumps(_call("d", 4)),  # a bare record between them
    ]
    (folder / "delivery-1.json").write_text("\n".join(lines) + "\n")
    (folder / "delivery-2.gz").write_bytes(gzip.compress("\n".join(lines[:2]).encode()))
    want = ["a", "a", "b", "b", "c", "c", "d"]
    on_files, on_db = _ids_everywhere(folder, tmp_path)
    assert sorted(set(on_files)) == sorted(set(want))
    assert on_db == on_files == sorted(set(want))  # each eventID once
    needles = (b'"DeleteTrail"',)
    hunted = iter_matching_records(local_files(folder), Scope(), ReadStats(), needles)
    assert sorted(str(r["eventID"]) for r in hunted) == sorted(set(want))


def test_utf8_byte_order_mark(tmp_path: Path) -> None:
    folder = tmp_path / "bom"
    folder.mkdir()
    bom = b"\xef\xbb\xbf"
    (folder / "a.json").write_bytes(bom + json.dumps({"Records": [_call("x", 1)]}).encode())
    (folder / "b.json.gz").write_bytes(gzip.compress(bom + json.dumps([_call("y", 2)]).encode()))
    lines = "\n".join(json.dumps(_call(e, i)) for i, e in enumerate(["z1", "z2"]))
    (folder / "c.jsonl").write_bytes(bom + lines.encode())
    assert _ids_everywhere(folder, tmp_path) == (["x", "y", "z1", "z2"], ["x", "y", "z1", "z2"])


def test_sigma_rule_collections(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "collection.yml").write_text(
        """title: CloudTrail changes
logsource:
  product: aws
  service: cloudtrail
level: high
action: global
---
id: stop
detection:
  sel:
    eventName: StopLogging
  condition: sel
---
id: delete
detection:
  sel:
    eventName: DeleteTrail
  condition: sel
---
action: repeat
id: update
detection:
  sel:
    eventName: UpdateTrail
---
"""
    )
    loaded, problems = load_rules(rules)
    assert problems == []
    assert [(r.id, r.title, r.level) for r in loaded] == [
        ("stop", "CloudTrail changes", "high"),
        ("delete", "CloudTrail changes", "high"),
        ("update", "CloudTrail changes", "high"),
    ]
    by_id = {r.id: r.match for r in loaded}
    assert by_id["delete"](_call("d")) and not by_id["stop"](_call("d"))
    assert by_id["update"](_call("u", name="UpdateTrail"))
