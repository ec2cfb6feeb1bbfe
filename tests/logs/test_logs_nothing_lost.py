"""Nothing in a record is lost on ingest: every field is reachable in ``events`` by its CloudTrail
path, and the records rebuilt from the database (Sigma, alarm replay) equal the files' records,
null apart from missing, offsets and unknown members included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import iter_records
from trailwarden.logs.sigma import compile_detection
from trailwarden.logs.store import connect, ingest, iter_db_records
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.records import ReadStats

ACCOUNT = "111122223333"
WEB_ID = "userIdentity.sessionContext.webIdFederationData"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def _github_session(eid: str) -> dict[str, Any]:
    """An AssumeRoleWithWebIdentity session of a GitHub Actions workflow, as CloudTrail logs it."""
    return {
        "eventVersion": "1.09",
        "eventID": eid,
        "eventTime": "2025-03-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutObject",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "4.148.0.10",
        "userAgent": "aws-sdk-js/3",
        "recipientAccountId": ACCOUNT,
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:GitHubActions",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/GitHubActions",
            "accountId": ACCOUNT,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/deploy"},
                "webIdFederationData": {"federatedProvider": GITHUB, "attributes": {}},
                "attributes": {"creationDate": "2025-03-01T09:59:00Z", "mfaAuthenticated": "false"},
            },
        },
    }


RECORDS = [
    _github_session("github"),
    # A member the schema does not know, nested in a record of a known version.
    {
        **_github_session("nested-new"),
        "userIdentity": {
            **_github_session("x")["userIdentity"],
            "sessionContext": {"someNewThing": {"a": [1, None]}},
        },
    },
    # Present as null (|exists must see it), at the top level and nested.
    {
        **_github_session("nulls"),
        "errorCode": None,
        "userIdentity": {"type": "IAMUser", "invokedBy": None},
    },
    # An offset time keeps its text; Logstash's members stay too.
    {**_github_session("offset"), "eventTime": "2025-03-01T12:00:00+02:00", "@version": "1"},
    # A number where CloudTrail writes a string, nested.
    {**_github_session("typed"), "tlsDetails": {"tlsVersion": 1.3}},
]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("nothing-lost")
    folder = root / "in"
    folder.mkdir()
    (folder / "records.json").write_text(json.dumps({"Records": RECORDS}))
    db = root / "t.duckdb"
    ingest(local_files(folder), db, Scope())
    return folder, db


def test_web_identity_federation_is_a_typed_column(ingested: tuple[Path, Path]) -> None:
    con = connect(ingested[1], read_only=True)
    row = con.execute(
        "SELECT userIdentity.sessionContext.webIdFederationData.federatedProvider "
        "FROM events WHERE eventID = 'github'"
    ).fetchone()
    con.close()
    assert row == (GITHUB,)


def test_what_the_schema_does_not_type_is_in_extra_at_its_path(ingested: tuple[Path, Path]) -> None:
    con = connect(ingested[1], read_only=True)
    got = dict(
        con.execute(
            "SELECT eventID, json_extract(extra, '$.userIdentity.sessionContext.someNewThing') "
            "FROM events WHERE eventID IN ('nested-new', 'github')"
        ).fetchall()
    )
    version = con.execute(
        "SELECT json_extract_string(extra, '$.\"@version\"') FROM events WHERE eventID = 'offset'"
    ).fetchone()
    con.close()
    assert json.loads(got["nested-new"]) == {"a": [1, None]}
    assert got["github"] is None  # held exactly by the typed columns: nothing stored twice
    assert version == ("1",)


def test_records_rebuilt_from_the_database_equal_the_files(ingested: tuple[Path, Path]) -> None:
    folder, db = ingested
    on_files = {r["eventID"]: r for r in iter_records(local_files(folder), Scope(), ReadStats())}
    con = connect(db, read_only=True)
    on_db = {r["eventID"]: r for r in iter_db_records(con)}
    con.close()
    assert on_db == on_files


@pytest.mark.parametrize(
    ("detection", "matches"),
    [
        (
            {
                "sel": {f"{WEB_ID}.federatedProvider|endswith": "githubusercontent.com"},
                "condition": "sel",
            },
            {"github", "offset", "typed"},
        ),
        ({"sel": {"userIdentity.invokedBy|exists": True}, "condition": "sel"}, {"nulls"}),
        ({"sel": {"errorCode|exists": True}, "condition": "sel"}, {"nulls"}),
        ({"sel": {"eventTime|endswith": "+02:00"}, "condition": "sel"}, {"offset"}),
        (
            {"sel": {"userIdentity.sessionContext.someNewThing|exists": True}, "condition": "sel"},
            {"nested-new"},
        ),
    ],
)
def test_sigma_sees_the_same_fields_on_files_and_database(
    ingested: tuple[Path, Path], detection: dict[str, Any], matches: set[str]
) -> None:
    folder, db = ingested
    rule = compile_detection(detection)
    on_files = {
        r["eventID"] for r in iter_records(local_files(folder), Scope(), ReadStats()) if rule(r)
    }
    con = connect(db, read_only=True)
    on_db = {r["eventID"] for r in iter_db_records(con) if rule(r)}
    con.close()
    assert on_db == on_files == matches
