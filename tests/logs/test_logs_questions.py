"""who / actor / timeline / query / hunt on the real detonations, checked against the files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from trailwarden.trailstore.records import Record


def _json(res: Any) -> list[dict[str, Any]]:
    assert res.stderr == "" or "Traceback" not in res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc, list)
    return doc


def _hunt_ids(cli: Any, name: str, where: list[str]) -> set[str]:
    res = cli(["logs", "hunt", *([name] if name else []), *where, "-o", "json"])
    assert res.code in (0, 1), res.stderr
    return {row["eventID"] for row in _json(res)}


# Technique file -> the hunt that must find every event of that name in it.
TECHNIQUES = [
    ("aws.defense-evasion.cloudtrail-delete", "trail-tampering", "DeleteTrail"),
    ("aws.defense-evasion.cloudtrail-stop", "trail-tampering", "StopLogging"),
    ("aws.defense-evasion.cloudtrail-event-selectors", "trail-tampering", "PutEventSelectors"),
    ("aws.initial-access.console-login-without-mfa", "console-login-no-mfa", "ConsoleLogin"),
    ("aws.persistence.iam-backdoor-role", "iam-policy-changes", "UpdateAssumeRolePolicy"),
    ("aws.persistence.iam-create-admin-user", "iam-policy-changes", "AttachUserPolicy"),
    ("aws.persistence.iam-create-backdoor-role", "iam-policy-changes", "AttachRolePolicy"),
]


@pytest.mark.parametrize(("technique", "hunt", "event_name"), TECHNIQUES)
@pytest.mark.parametrize("mode", ["db", "files"])
def test_hunts_find_the_detonated_techniques(
    cli: Any,
    trail_db: Path,
    trail_tree: Path,
    stratus: dict[str, list[Record]],
    technique: str,
    hunt: str,
    event_name: str,
    mode: str,
) -> None:
    where = ["--db", str(trail_db)] if mode == "db" else ["--source", str(trail_tree)]
    expected = {r["eventID"] for r in stratus[technique] if r["eventName"] == event_name}
    assert expected
    assert expected <= _hunt_ids(cli, hunt, where)


@pytest.mark.parametrize("hunt", ["trail-tampering", "console-login-no-mfa", "iam-policy-changes"])
def test_hunts_find_nothing_else(
    cli: Any, trail_db: Path, trail_tree: Path, stratus: dict[str, list[Record]], hunt: str
) -> None:
    expected = {
        r["eventID"]
        for tech, h, name in TECHNIQUES
        if h == hunt
        for r in stratus[tech]
        if r["eventName"] == name
    }
    assert _hunt_ids(cli, hunt, ["--db", str(trail_db)]) == expected
    assert _hunt_ids(cli, hunt, ["--source", str(trail_tree)]) == expected


def test_access_denied_burst_finds_the_denied_sessions(
    cli: Any, trail_db: Path, stratus: dict[str, list[Record]]
) -> None:
    res = cli(["logs", "hunt", "access-denied-burst", "--db", str(trail_db), "-o", "json"])
    assert res.code == 1
    rows = _json(res)
    # Computed from the files: principals with >= 10 denied calls in one 5-minute bucket.
    by_principal: dict[str, int] = {}
    for recs in stratus.values():
        for r in recs:
            if r.get("errorCode") in ("AccessDenied", "Client.UnauthorizedOperation"):
                arn = r["userIdentity"].get("arn")
                by_principal[arn] = by_principal.get(arn, 0) + 1
    assert {r["principal"] for r in rows} == {p for p, n in by_principal.items() if n >= 10}
    assert sorted(r["denied"] for r in rows) == sorted(n for n in by_principal.values() if n >= 10)


def _synthetic(tmp_path: Path, records: list[Record]) -> Path:
    from trailwarden.trailstore.fixtures import write_layout

    write_layout(records, tmp_path / "tree")
    return tmp_path / "tree"


def _ev(eid: str, when: str, **extra: Any) -> Record:
    base: Record = {
        "eventVersion": "1.09",
        "eventID": eid,
        "eventTime": when,
        "eventType": "AwsApiCall",
        "eventName": "ListBuckets",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.1",
        "recipientAccountId": "111111111111",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/alice"},
    }
    base.update(extra)
    return base


def test_root_usage_respects_invoked_by_not_exists(cli: Any, tmp_path: Path) -> None:
    root = {"type": "Root", "arn": "arn:aws:iam::111111111111:root"}
    tree = _synthetic(
        tmp_path,
        [
            _ev("root-cli", "2024-08-01T10:00:00Z", userIdentity=root),
            _ev(
                "root-svc",
                "2024-08-01T10:01:00Z",
                userIdentity={**root, "invokedBy": "s3.amazonaws.com"},
            ),
            # Present but null is still "exists": the CIS pattern must not match it.
            _ev("root-null", "2024-08-01T10:02:00Z", userIdentity={**root, "invokedBy": None}),
            _ev(
                "root-event", "2024-08-01T10:03:00Z", userIdentity=root, eventType="AwsServiceEvent"
            ),
            _ev("alice", "2024-08-01T10:04:00Z"),
        ],
    )
    for where in (["--source", str(tree)], ["--db", str(_ingest(cli, tree, tmp_path))]):
        assert _hunt_ids(cli, "root-usage", where) == {"root-cli"}


def _ingest(cli: Any, tree: Path, tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    assert cli(["logs", "ingest", str(tree), "--db", str(db)]).code == 0
    return db


def test_kms_and_new_ip_region(cli: Any, tmp_path: Path) -> None:
    kms = {"eventSource": "kms.amazonaws.com"}
    tree = _synthetic(
        tmp_path,
        [
            _ev("k1", "2024-08-01T10:00:00Z", eventName="ScheduleKeyDeletion", **kms),
            _ev("k2", "2024-08-01T10:00:01Z", eventName="DisableKey", **kms),
            _ev("k3", "2024-08-01T10:00:02Z", eventName="DescribeKey", **kms),
            _ev("a2", "2024-08-01T12:00:00Z", sourceIPAddress="203.0.113.9"),
            _ev("a3", "2024-08-01T13:00:00Z", awsRegion="ap-south-1"),
        ],
    )
    db = _ingest(cli, tree, tmp_path)
    assert _hunt_ids(cli, "kms-key-disable", ["--db", str(db)]) == {"k1", "k2"}
    assert _hunt_ids(cli, "kms-key-disable", ["--source", str(tree)]) == {"k1", "k2"}
    res = cli(["logs", "hunt", "new-ip-region", "--db", str(db), "-o", "json"])
    assert res.code == 1
    assert {(r["kind"], r["value"]) for r in _json(res)} == {
        ("ip", "203.0.113.9"),
        ("region", "ap-south-1"),
    }


def test_who_touched_the_stopped_trail(
    cli: Any, trail_db: Path, stratus: dict[str, list[Record]]
) -> None:
    stop = stratus["aws.defense-evasion.cloudtrail-stop"][0]
    name = stop["requestParameters"]["name"]
    res = cli(["logs", "who", "--resource", name, "--db", str(trail_db), "-o", "json"])
    assert res.code == 0, res.stderr
    assert _json(res) == [
        {
            "principal": stop["userIdentity"]["arn"],
            "firstSeen": stop["eventTime"],
            "lastSeen": stop["eventTime"],
            "events": 1,
            "eventNames": "StopLogging",
            "sourceIPs": stop["sourceIPAddress"],
        }
    ]
    # A name that is only a prefix of the trail's name touches nothing.
    res = cli(["logs", "who", "--resource", name[:-3], "--db", str(trail_db), "-o", "json"])
    assert _json(res) == []


def test_actor_follows_the_role_chain(
    cli: Any, trail_db: Path, stratus: dict[str, list[Record]]
) -> None:
    recs = stratus["aws.credential-access.ec2-get-password-data"]
    session = [r for r in recs if r["userIdentity"]["type"] == "AssumedRole"]
    key = session[0]["userIdentity"]["accessKeyId"]
    # By hand: the AssumeRole whose response issued that key was made by this user.
    issuer = next(
        r
        for r in recs
        if r["eventName"] == "AssumeRole"
        and (r.get("responseElements") or {}).get("credentials", {}).get("accessKeyId") == key
    )
    res = cli(["logs", "actor", key, "--db", str(trail_db), "-o", "json"])
    assert res.code == 0, res.stderr
    rows = _json(res)
    assert {r["eventID"] for r in rows} == {
        r["eventID"] for r in session if r["userIdentity"]["accessKeyId"] == key
    }
    assert all(r["origin"].endswith(" <- " + issuer["userIdentity"]["arn"]) for r in rows)


def test_actor_chain_over_two_hops(cli: Any, tmp_path: Path) -> None:
    user = {
        "type": "IAMUser",
        "arn": "arn:aws:iam::111111111111:user/alice",
        "accessKeyId": "AKIA1",
    }
    r1 = {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::111111111111:assumed-role/r1/s",
        "accessKeyId": "ASIA1",
    }
    r2 = {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::222222222222:assumed-role/r2/s",
        "accessKeyId": "ASIA2",
    }
    sts = {"eventName": "AssumeRole", "eventSource": "sts.amazonaws.com"}
    tree = _synthetic(
        tmp_path,
        [
            _ev(
                "h1",
                "2024-08-01T10:00:00Z",
                userIdentity=user,
                responseElements={"credentials": {"accessKeyId": "ASIA1"}},
                **sts,
            ),
            _ev(
                "h2",
                "2024-08-01T10:01:00Z",
                userIdentity=r1,
                responseElements={"credentials": {"accessKeyId": "ASIA2"}},
                **sts,
            ),
            _ev("act", "2024-08-01T10:02:00Z", userIdentity=r2, eventName="DeleteBucket"),
        ],
    )
    db = _ingest(cli, tree, tmp_path)
    rows = _json(cli(["logs", "actor", r2["arn"], "--db", str(db), "-o", "json"]))
    assert [r["origin"] for r in rows] == [f"{r2['arn']} <- {r1['arn']} <- {user['arn']}"]


def test_timeline_window(cli: Any, trail_db: Path, all_records: list[Record]) -> None:
    start, end = "2024-07-31T12:00:00Z", "2024-07-31T14:00:00Z"
    expected = sorted(
        r["eventID"] for r in all_records if "eventTime" in r and start <= r["eventTime"] <= end
    )
    res = cli(
        ["logs", "timeline", "--start", start, "--end", end, "--db", str(trail_db), "-o", "csv"]
    )
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted(r["eventID"] for r in rows) == expected
    assert [r["eventTime"] for r in rows] == sorted(r["eventTime"] for r in rows)


def test_query_accepts_cloudtrail_lake_sql(
    cli: Any, trail_db: Path, all_records: list[Record]
) -> None:
    sql = (
        "SELECT eventName, userIdentity.arn AS arn FROM events WHERE "
        "regexp_like(eventName, '^Stop') AND eventTime > '2024-01-01 00:00:00' ORDER BY 1"
    )
    res = cli(["logs", "query", sql, "--db", str(trail_db), "-o", "json"])
    assert res.code == 0, res.stderr
    expected = sorted(
        (r["eventName"], r["userIdentity"].get("arn"))
        for r in all_records
        if r["eventName"].startswith("Stop") and r.get("eventTime", "") > "2024"
    )
    assert [(r["eventName"], r["arn"]) for r in _json(res)] == expected


@pytest.mark.parametrize(
    "args",
    [
        ["logs", "query", "DROP TABLE tw_files"],
        ["logs", "query", "SELECT nope FROM events"],
        ["logs", "hunt", "no-such-hunt"],
        ["logs", "who", "--resource", " "],
    ],
)
def test_bad_questions_are_one_line_errors(cli: Any, trail_db: Path, args: list[str]) -> None:
    res = cli([*args, "--db", str(trail_db)])
    assert res.code == 2
    assert res.stderr.startswith("trailwarden: error:") and res.stderr.count("\n") == 1
    assert cli(["logs", "who", "--resource", "x"]).code == 2  # neither --db nor --source
    assert cli(["logs", "query", "SELECT 1", "--db", "/nonexistent.duckdb"]).code == 2


def test_event_name_hunt_on_files_and_db(
    cli: Any, trail_db: Path, trail_tree: Path, all_records: list[Record]
) -> None:
    expected = {
        r["eventID"] for r in all_records if r["eventName"] in ("DeleteTrail", "RunInstances")
    }
    args = ["--event-name", "DeleteTrail", "--event-name", "RunInstances"]
    assert _hunt_ids(cli, "", [*args, "--source", str(trail_tree)]) == expected
    assert _hunt_ids(cli, "", [*args, "--db", str(trail_db)]) == expected
    res = cli(["logs", "hunt", "--event-name", "Bad'Name", "--db", str(trail_db)])
    assert res.code == 2


def test_direct_hunt_skips_corrupt_files(cli: Any, tmp_path: Path) -> None:
    import gzip

    tree = _synthetic(tmp_path, [_ev("good", "2024-08-01T10:00:00Z", eventName="DeleteTrail")])
    (tree / "bad.json").write_text('{"Records": [{"eventName": "DeleteTrail", ')
    (tree / "cut.json.gz").write_bytes(gzip.compress(b'{"Records": []}')[:-5])
    res = cli(["logs", "hunt", "--event-name", "DeleteTrail", "--source", str(tree), "-o", "json"])
    assert res.code == 1
    assert [r["eventID"] for r in json.loads(res.stdout)] == ["good"]
    assert "bad.json" in res.stderr and "cut.json.gz" in res.stderr


def test_aggregate_hunt_straight_from_files(cli: Any, trail_tree: Path, trail_db: Path) -> None:
    def rows(where: list[str]) -> list[tuple[str, int]]:
        res = cli(["logs", "hunt", "access-denied-burst", *where, "-o", "json"])
        assert res.code == 1, res.stderr
        return sorted((r["principal"], r["denied"]) for r in _json(res))

    assert rows(["--source", str(trail_tree)]) == rows(["--db", str(trail_db)])


def test_who_matches_values_never_keys(cli: Any, tmp_path: Path) -> None:
    """A resource named like a JSON key ("name", "bucketName") is found only where it is a value."""
    tree = _synthetic(
        tmp_path,
        [
            # "name" is a key here, never a value: not touched.
            _ev("key", "2024-08-01T10:00:00Z", requestParameters={"name": "other-trail"}),
            _ev("nested-key", "2024-08-01T10:00:01Z", responseElements={"x": {"name": 1}}),
            # ... and a value here, in a list and in an object.
            _ev("value", "2024-08-01T10:00:02Z", requestParameters={"trailName": "name"}),
            _ev("listed", "2024-08-01T10:00:03Z", resources=[{"ARN": "name"}, {"ARN": "b"}]),
            # Inside a longer string (an escaped quote before it): not a value of its own.
            _ev("inside", "2024-08-01T10:00:04Z", requestParameters={"q": 'say "name"'}),
        ],
    )
    db = _ingest(cli, tree, tmp_path)
    res = cli(["logs", "who", "--resource", "name", "--db", str(db), "-o", "json"])
    assert res.code == 0, res.stderr
    rows = _json(res)
    assert [r["events"] for r in rows] == [2]
    assert set(rows[0]["eventNames"].split(",")) == {"ListBuckets"}
    assert rows[0]["firstSeen"] == "2024-08-01T10:00:02Z"
    assert rows[0]["lastSeen"] == "2024-08-01T10:00:03Z"
