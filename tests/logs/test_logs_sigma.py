"""Sigma: every SigmaHQ CloudTrail rule loads and runs; matches are checked against the files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailwarden.logs.sigma import SigmaError, compile_detection, load_rules
from trailwarden.trailstore.records import Record


@pytest.fixture(scope="module")
def rules_dir(datasets_dir: Path) -> Path:
    return datasets_dir / "sigma-aws-cloudtrail-rules"


def test_every_shared_rule_loads_and_runs(rules_dir: Path, all_records: list[Record]) -> None:
    rules, problems = load_rules(rules_dir)
    assert problems == []
    assert len(rules) == len(list(rules_dir.glob("*.yml")))
    for rule in rules:
        for rec in all_records:
            rule.match(rec)  # must not raise on any real record


def _sigma(cli: Any, rules_dir: Path, where: list[str]) -> list[dict[str, Any]]:
    res = cli(["logs", "sigma", "--rules", str(rules_dir), *where, "-o", "json"])
    assert res.code == 1, res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc, list)
    return doc


def test_sigma_finds_the_detonations(
    cli: Any, rules_dir: Path, trail_tree: Path, stratus: dict[str, list[Record]]
) -> None:
    rows = _sigma(cli, rules_dir, [str(trail_tree)])
    by_rule: dict[str, set[str]] = {}
    for row in rows:
        by_rule.setdefault(row["rule"], set()).add(row["eventID"])

    def ids(technique: str, *names: str) -> set[str]:
        return {r["eventID"] for r in stratus[technique] if r["eventName"] in names}

    trail = ids("aws.defense-evasion.cloudtrail-stop", "StopLogging") | ids(
        "aws.defense-evasion.cloudtrail-delete", "DeleteTrail"
    )
    assert by_rule["AWS CloudTrail Important Change"] == trail
    assert by_rule["AWS Successful Console Login Without MFA"] == ids(
        "aws.initial-access.console-login-without-mfa", "ConsoleLogin"
    )
    assert by_rule["AWS VPC Flow Logs Deleted"] == ids(
        "aws.defense-evasion.vpc-remove-flow-logs", "DeleteFlowLogs"
    )
    assert by_rule["AWS User Login Profile Was Modified"] == ids(
        "aws.privilege-escalation.iam-update-user-login-profile", "UpdateLoginProfile"
    )
    assert by_rule["AWS Snapshot Backup Exfiltration"] == ids(
        "aws.exfiltration.ec2-share-ebs-snapshot", "ModifySnapshotAttribute"
    )


def test_sigma_on_database_equals_sigma_on_files(
    cli: Any, rules_dir: Path, trail_tree: Path, trail_db: Path
) -> None:
    def key(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(r["ruleId"], r["eventID"]) for r in rows}

    assert key(_sigma(cli, rules_dir, ["--db", str(trail_db)])) == key(
        _sigma(cli, rules_dir, [str(trail_tree)])
    )


REC: Record = {
    "eventName": "PutUserPolicy",
    "eventSource": "iam.amazonaws.com",
    "errorCode": None,
    "userAgent": "S3 Browser 9.5.5",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/bob", "userName": "bob"},
    "requestParameters": {"userName": "bob", "layers": ["l1", "l2"], "n": 5},
    "readOnly": False,
}


@pytest.mark.parametrize(
    ("detection", "expected"),
    [
        ({"s": {"eventName": "putuserpolicy"}, "condition": "s"}, True),  # case-insensitive
        ({"s": {"eventName|cased": "putuserpolicy"}, "condition": "s"}, False),
        ({"s": {"eventName": "Put*Policy"}, "condition": "s"}, True),
        ({"s": {"eventName": "Put?serPolicy"}, "condition": "s"}, True),
        ({"s": {"userAgent|contains": "browser"}, "condition": "s"}, True),
        ({"s": {"userAgent|startswith": "S3 "}, "condition": "s"}, True),
        ({"s": {"userAgent|endswith": "9.5"}, "condition": "s"}, False),
        ({"s": {"requestParameters|contains|all": ['"bob"', '"n":5']}, "condition": "s"}, True),
        ({"s": {"requestParameters|contains|all": ['"bob"', "nope"]}, "condition": "s"}, False),
        ({"s": {"requestParameters.layers|contains": "*"}, "condition": "s"}, True),
        ({"s": {"requestParameters.layers": "l2"}, "condition": "s"}, True),
        ({"s": {"userIdentity.arn|re": ":user/b.b$"}, "condition": "s"}, True),
        ({"s": {"errorCode": None}, "condition": "s"}, True),  # present but null
        ({"s": {"errorMessage": None}, "condition": "s"}, True),  # missing
        ({"s": {"errorMessage|contains": "*"}, "condition": "s"}, False),
        ({"s": {"readOnly": False}, "condition": "s"}, True),
        ({"s": {"requestParameters.n|gte": 5}, "condition": "s"}, True),
        (
            {
                "s": {"userIdentity.userName|fieldref": "requestParameters.userName"},
                "condition": "s",
            },
            True,
        ),
        ({"s": {"errorCode|exists": True}, "condition": "s"}, True),
        (
            {
                "a_1": {"eventName": "x"},
                "a_2": {"eventName": "PutUserPolicy"},
                "condition": "1 of a_*",
            },
            True,
        ),
        (
            {
                "a_1": {"eventName": "x"},
                "a_2": {"eventName": "PutUserPolicy"},
                "condition": "all of a_*",
            },
            False,
        ),
        (
            {
                "a": {"eventName": "PutUserPolicy"},
                "b": {"userIdentity.type": "IAMUser"},
                "condition": "all of them",
            },
            True,
        ),
        (
            {
                "a": {"eventName": "x"},
                "b": {"eventName": "PutUserPolicy"},
                "condition": "not (a or not b) and b",
            },
            True,
        ),
        ({"a": [{"eventName": "x"}, {"eventSource": "iam.amazonaws.com"}], "condition": "a"}, True),
        ({"k": ["S3 Browser"], "condition": "k"}, True),  # keywords anywhere
        ({"a": {"eventName": "x"}, "condition": ["a", "not a"]}, True),
    ],
)
def test_rule_subset_semantics(detection: dict[str, Any], expected: bool) -> None:
    assert compile_detection(detection)(REC) is expected


@pytest.mark.parametrize(
    "detection",
    [
        {"s": {"eventName|base64offset": "x"}, "condition": "s"},
        {"s": {"eventName": "x"}, "condition": "s | count() > 5"},
        {"s": {"eventName": "x"}, "condition": "t"},
        {"s": {"eventName": "x"}, "condition": "(s"},
        {"s": {"eventName|re": "("}, "condition": "s"},
        {"s": {"eventName": "x"}},
    ],
)
def test_unsupported_rules_are_load_errors(detection: dict[str, Any]) -> None:
    with pytest.raises(SigmaError):
        compile_detection(detection)


def test_cli_reports_bad_rules_and_runs_the_rest(
    cli: Any, tmp_path: Path, rules_dir: Path, trail_tree: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yml").write_text((rules_dir / "aws_cloudtrail_disable_logging.yml").read_text())
    (rules / "bad.yml").write_text(
        "title: x\nlogsource: {product: aws, service: cloudtrail}\n"
        "detection: {s: {eventName|nope: x}, condition: s}\n"
    )
    (rules / "windows.yml").write_text(
        "title: w\nlogsource: {product: windows}\ndetection: {s: {a: b}, condition: s}\n"
    )
    res = cli(["logs", "sigma", "--rules", str(rules), str(trail_tree), "-o", "json"])
    assert res.code == 1
    assert {r["eventName"] for r in json.loads(res.stdout)} == {"StopLogging", "DeleteTrail"}
    assert "bad.yml: unsupported modifier |nope" in res.stderr
    assert "windows.yml: skipped" in res.stderr
    res = cli(["logs", "sigma", "--rules", str(tmp_path / "none"), str(trail_tree)])
    assert res.code == 2 and "Traceback" not in res.stderr


def test_contains_on_an_object_sees_non_ascii_text(tmp_path: Path) -> None:
    """|contains on an object-valued field compares the text as the record holds it, on the
    files and on the database alike (no \\u escapes)."""
    from trailwarden.logs.layout import Scope
    from trailwarden.logs.readers import iter_records
    from trailwarden.logs.store import connect, ingest, iter_db_records
    from trailwarden.trailstore.files import local_files
    from trailwarden.trailstore.records import ReadStats

    rec = {
        "eventVersion": "1.08",
        "eventID": "e1",
        "eventTime": "2024-08-01T10:00:00Z",
        "eventName": "CreateBucket",
        "eventSource": "s3.amazonaws.com",
        "requestParameters": {"bucketName": "données-café", "tag": "日本"},
    }
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "r.json").write_text(json.dumps([rec]))  # written with \u escapes, as json does
    match = compile_detection(
        {"sel": {"requestParameters|contains": ["café", "日本"]}, "condition": "sel"}
    )
    keyword = compile_detection(
        {"sel": {"requestParameters|contains|all": ["é", "本"]}, "condition": "sel"}
    )
    on_files = list(iter_records(local_files(folder), Scope(), ReadStats()))
    db = tmp_path / "t.duckdb"
    ingest(local_files(folder), db, Scope())
    con = connect(db, read_only=True)
    on_db = list(iter_db_records(con))
    con.close()
    for records in (on_files, on_db):
        assert [match(r) for r in records] == [True]
        assert [keyword(r) for r in records] == [True]
