"""Athena: DDL and rendered queries are valid Athena/Trino; the calls work against moto."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot

from trailwarden.logs import athena_sql
from trailwarden.logs.hunts import HUNTS, by_event_names
from trailwarden.logs.layout import make_scope
from trailwarden.logs.questions import actor, timeline_sql, who_sql, window_sql

ORG = "o-a1b2c3d4e5"


def test_table_ddl_projects_org_layout() -> None:
    ddl = athena_sql.table_ddl(
        "cloudtrail_logs", "bucket", "pre", ORG, ["111111111111", "222222222222"], ["us-east-1"]
    )
    parsed = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(parsed, sqlglot.exp.Create)
    assert "'projection.account.values'='111111111111,222222222222'" in ddl
    assert (
        "'storage.location.template'='s3://bucket/pre/AWSLogs/o-a1b2c3d4e5/"
        "${account}/CloudTrail/${region}/${timestamp}'" in ddl
    )
    assert "com.amazon.emr.cloudtrail.CloudTrailInputFormat" in ddl
    single = athena_sql.table_ddl("t", "bucket", "", None, ["111111111111"], ["eu-west-1"])
    assert "LOCATION 's3://bucket/AWSLogs/'" in single


def test_view_and_rendered_queries_are_trino() -> None:
    sqlglot.parse_one(athena_sql.view_ddl("cloudtrail_logs"), read="trino")
    scope = make_scope(["111111111111"], ["us-east-1"], "2024-08-01", "2024-08-02")
    window = window_sql(scope) + " AND " + athena_sql.day_filter(scope)
    queries = [h.athena_sql(window) for h in HUNTS.values()]
    queries.append(by_event_names(["DeleteTrail"]).athena_sql(window))
    rendered = [athena_sql.render(q) for q in queries if q is not None]
    rendered.append(athena_sql.render(timeline_sql(scope, 100, athena_sql.day_filter(scope))))
    rendered.append(athena_sql.render(who_sql("arn:aws:cloudtrail:x:1:trail/it's", scope)))
    captured: list[str] = []

    def capture(sql: str) -> list[dict[str, Any]]:
        captured.append(athena_sql.render(sql))
        return []

    actor(capture, "ASIAEXAMPLE", scope, athena_sql.day_filter(scope))
    assert len(captured) == 2  # the events, then the issuances for the role chain
    rendered += captured
    assert len(rendered) >= 9
    for sql in rendered:
        tree = sqlglot.parse_one(sql, read="trino")
        assert tree.sql("trino")
        # DuckDB-only spellings must not survive the rendering.
        for duck in ("strftime", "json_extract_string", "tw_records"):
            assert duck not in sql.lower()
        assert not re.search(r"\bextra\b", sql)
    assert "\"timestamp\" >= '2024/07/31'" in rendered[0]  # delivery-day slack
    assert "DATE_FORMAT" in rendered[0]


def test_bad_athena_names_are_usage_errors() -> None:
    from trailwarden.errors import UsageError

    with pytest.raises(UsageError):
        athena_sql.table_ddl("bad-name", "b", "", None, ["1"], ["r"])
    with pytest.raises(UsageError):
        athena_sql.table_ddl("t", "b", "", None, [], [])


def _upload(trail_tree: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail")
    for path in sorted(trail_tree.rglob("*.json.gz")):
        key = "logs/" + path.relative_to(trail_tree).as_posix()
        s3.put_object(Bucket="trail", Key=key, Body=path.read_bytes())


def _queries() -> list[str]:
    athena = boto3.client("athena", region_name="us-east-1")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    execs = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    execs.sort(key=lambda e: e["Status"]["SubmissionDateTime"])
    return [e["Query"] for e in execs]


def test_hunt_on_athena_creates_table_view_and_queries(
    cli: Any, aws: str, trail_tree: Path
) -> None:
    _upload(trail_tree)
    res = cli(
        [
            "logs",
            "hunt",
            "trail-tampering",
            "--engine",
            "athena",
            "--source",
            "s3://trail/logs",
            "--athena-output",
            "s3://results/",
            "-o",
            "json",
        ]
    )
    assert res.code == 0, res.stderr  # moto runs nothing: no rows
    # Athena's SerDe cannot keep what DuckDB keeps: the command says so (issue 14 item 10).
    assert "on Athena, members AWS's CloudTrail table does not declare" in res.stderr
    queries = _queries()
    assert queries[0] == "CREATE DATABASE IF NOT EXISTS trailwarden"
    ddl = queries[1]
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs")
    assert f"s3://trail/logs/AWSLogs/{ORG}/" in ddl
    accounts = {p.name for p in (trail_tree / "AWSLogs" / ORG).iterdir()}
    assert all(a in ddl for a in accounts)
    assert queries[2].startswith("CREATE OR REPLACE VIEW events AS SELECT")
    assert "'StopLogging'" in queries[3] and "FROM events" in queries[3]
    sqlglot.parse_one(queries[3], read="trino")


def test_athena_results_are_rendered(cli: Any, aws: str, trail_tree: Path) -> None:
    _upload(trail_tree)
    empty: dict[str, Any] = {"rows": [], "column_info": []}
    cols = [{"Name": n, "Type": "varchar"} for n in ("eventName", "eventID")]
    rows = [
        {"Data": [{"VarCharValue": "eventName"}, {"VarCharValue": "eventID"}]},
        {"Data": [{"VarCharValue": "StopLogging"}, {"VarCharValue": "e-1"}]},
    ]
    body = {"results": [empty, empty, empty, {"rows": rows, "column_info": cols}]}
    req = urllib.request.Request(
        f"{aws}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30):
        pass
    res = cli(
        [
            "logs",
            "query",
            "SELECT eventName, eventID FROM events",
            "--engine",
            "athena",
            "--source",
            "s3://trail/logs",
            "--athena-output",
            "s3://results/",
            "-o",
            "json",
        ]
    )
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout) == [{"eventName": "StopLogging", "eventID": "e-1"}]


def test_athena_needs_an_s3_source(cli: Any, trail_db: Path) -> None:
    res = cli(["logs", "hunt", "--engine", "athena", "--db", str(trail_db)])
    assert res.code == 2 and "needs --source s3://" in res.stderr


def test_who_on_athena_sends_trino(cli: Any, aws: str, trail_tree: Path) -> None:
    _upload(trail_tree)
    res = cli(
        [
            "logs",
            "who",
            "--resource",
            "my-trail",
            "--engine",
            "athena",
            "--source",
            "s3://trail/logs",
            "--athena-output",
            "s3://results/",
            "-o",
            "json",
        ]
    )
    assert res.code == 0, res.stderr
    last = _queries()[-1]
    # The value-only regular expression of questions.json_value_regex, as Trino's REGEXP_LIKE.
    assert "REGEXP_LIKE(" in last and '"my\\-trail"\\s*[,\\]}]' in last
    sqlglot.parse_one(last, read="trino")
