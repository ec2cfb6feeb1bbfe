"""Run questions on Athena, where the logs are: create the table and view if absent, then query.

The trail's bucket is walked (delimiter listings only) to learn the accounts and Regions for the
enum projections; the table is recreated only when it does not exist yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from trailwarden.aws.errors import error_code
from trailwarden.errors import AccessError, TrailwardenError, UsageError
from trailwarden.logs import athena_sql
from trailwarden.logs.layout import Scope
from trailwarden.trailstore.files import TrailFiles

POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 900.0


@dataclass
class Athena:
    database: str = "trailwarden"
    table: str = "cloudtrail_logs"
    workgroup: str = "primary"
    output: str | None = None
    client: Any = None

    def __post_init__(self) -> None:
        athena_sql._ident(self.database)
        athena_sql._ident(self.table)
        if self.output is not None and not self.output.startswith("s3://"):
            raise UsageError(f"--athena-output {self.output}: expected s3://bucket/prefix/")
        if self.client is None:
            self.client = boto3.client("athena")

    def run(self, sql: str) -> list[dict[str, Any]]:
        """Submit one statement, wait for it, return its rows as dicts (all values as text)."""
        kwargs: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.database},
            "WorkGroup": self.workgroup,
        }
        if self.output:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output}
        try:
            qid = self.client.start_query_execution(**kwargs)["QueryExecutionId"]
            self._wait(qid)
            return self._results(qid)
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", "")
            raise AccessError(f"Athena: {error_code(exc, '')}: {message}") from None

    def _wait(self, qid: str) -> None:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            status = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"][
                "Status"
            ]
            state = status.get("State")
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason", state)
                raise TrailwardenError(f"Athena query {qid} {state.lower()}: {reason}")
            if time.monotonic() > deadline:
                raise TrailwardenError(f"Athena query {qid} still running after {TIMEOUT_SECONDS}s")
            time.sleep(POLL_SECONDS)

    def _results(self, qid: str) -> list[dict[str, Any]]:
        names: list[str] = []
        rows: list[dict[str, Any]] = []
        first = True
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
            meta = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
            names = names or [c["Name"] for c in meta]
            for row in page["ResultSet"].get("Rows", []):
                values = [d.get("VarCharValue") for d in row.get("Data", [])]
                if first and values == names:
                    first = False  # SELECT results repeat the header as the first row
                    continue
                first = False
                rows.append(dict(zip(names, values, strict=False)))
        return rows

    @classmethod
    def over(cls, files: TrailFiles, client: Any, **where: Any) -> Athena:
        """A runner over the trail's bucket (``where``: database, table, workgroup, output),
        with the trail's table and ``events`` view in place."""
        runner = cls(client=client, **where)
        runner.ensure(files)
        return runner

    def ensure(self, source: TrailFiles) -> None:
        """Create the database, the projected table (if absent) and the ``events`` view."""
        org, accounts, regions = discover(source)
        self.run(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        ddl = athena_sql.table_ddl(self.table, source.bucket, source.prefix, org, accounts, regions)
        self.run(ddl)
        self.run(athena_sql.view_ddl(self.table))


def discover(source: TrailFiles) -> tuple[str | None, list[str], list[str]]:
    """The organisation id (if any), accounts and Regions present in the trail's bucket."""
    org: str | None = None
    accounts: set[str] = set()
    regions: set[str] = set()
    for acct in source.accounts(Scope()):
        parts = acct.rstrip("/").split("/")
        accounts.add(parts[-1])
        if parts[-2].startswith("o-"):
            org = parts[-2]
        regions.update(source.regions(acct, Scope()))
    return org, sorted(accounts), sorted(regions)
