"""Athena: the CloudTrail table (partition projection over the trail's bucket) and an ``events``
view with the same names and types as the DuckDB one, so the same questions run on both engines.

Pure text (no AWS calls): the DDL is Hive DDL as Athena takes it, the view and the queries are
Trino SQL rendered from the DuckDB text with sqlglot. Tests parse all of it with sqlglot's
Athena/Trino dialects.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot.errors import SqlglotError

from trailwarden.errors import UsageError
from trailwarden.logs.layout import SLACK, Scope
from trailwarden.trailstore.records import EVENT_TIME_PATTERN

# Hive column types (lower-case names, as Athena stores them) for the fields the view exposes.
_UI = (
    "STRUCT<type:STRING, principalid:STRING, arn:STRING, accountid:STRING, invokedby:STRING, "
    "accesskeyid:STRING, username:STRING, credentialid:STRING, identityprovider:STRING, "
    "onbehalfof:STRUCT<userid:STRING, identitystorearn:STRING>, "
    "sessioncontext:STRUCT<attributes:STRUCT<mfaauthenticated:STRING, creationdate:STRING>, "
    "sessionissuer:STRUCT<type:STRING, principalid:STRING, arn:STRING, accountid:STRING, "
    "username:STRING>, sourceidentity:STRING, ec2roledelivery:STRING, assumedroot:STRING>>"
)
COLUMNS: list[tuple[str, str]] = [
    ("eventversion", "STRING"),
    ("useridentity", _UI),
    ("eventtime", "STRING"),
    ("eventsource", "STRING"),
    ("eventname", "STRING"),
    ("awsregion", "STRING"),
    ("sourceipaddress", "STRING"),
    ("useragent", "STRING"),
    ("errorcode", "STRING"),
    ("errormessage", "STRING"),
    ("requestparameters", "STRING"),
    ("responseelements", "STRING"),
    ("additionaleventdata", "STRING"),
    ("requestid", "STRING"),
    ("eventid", "STRING"),
    ("readonly", "STRING"),
    ("resources", "ARRAY<STRUCT<arn:STRING, accountid:STRING, type:STRING>>"),
    ("eventtype", "STRING"),
    ("apiversion", "STRING"),
    ("managementevent", "STRING"),
    ("recipientaccountid", "STRING"),
    ("serviceeventdetails", "STRING"),
    ("sharedeventid", "STRING"),
    ("vpcendpointid", "STRING"),
    ("vpcendpointaccountid", "STRING"),
    ("eventcategory", "STRING"),
    ("addendum", "STRING"),
    ("sessioncredentialfromconsole", "STRING"),
    ("edgedevicedetails", "STRING"),
    (
        "tlsdetails",
        "STRUCT<tlsversion:STRING, ciphersuite:STRING, clientprovidedhostheader:STRING>",
    ),
]
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,127}")


def _ident(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(f"invalid Athena name {name!r}: use lower-case letters, digits and _")
    return name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_ddl(
    table: str,
    bucket: str,
    prefix: str,
    org: str | None,
    accounts: list[str],
    regions: list[str],
    since: str = "2013/11/01",
) -> str:
    """CREATE EXTERNAL TABLE with projected account, Region and day partitions (no crawler)."""
    if not accounts or not regions:
        raise UsageError("the trail's bucket has no AWSLogs/<account>/CloudTrail/<region>/ data")
    root = f"s3://{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}AWSLogs/"
    root += f"{org}/" if org else ""
    cols = ",\n  ".join(f"{name} {kind}" for name, kind in COLUMNS)
    props = {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(regions),
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "projection.timestamp.range": f"{since},NOW",
        "storage.location.template": root + "${account}/CloudTrail/${region}/${timestamp}",
    }
    tblprops = ",\n  ".join(f"{_quote(k)}={_quote(v)}" for k, v in props.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_ident(table)} (\n  {cols})\n"
        "PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION {_quote(root)}\n"
        f"TBLPROPERTIES (\n  {tblprops})"
    )


# The view's columns: CloudTrail's names and the DuckDB view's types.
_VIEW_EXPR = {
    # The eventTime grammar of every other path (records.EVENT_TIME_PATTERN), then the instant in
    # UTC: a plain CAST of a timestamp with time zone keeps the wall time (12:00+02:00 -> 12:00).
    "eventtime": f"CASE WHEN regexp_like(eventtime, '^(?:{EVENT_TIME_PATTERN})$') THEN "
    "CAST(from_iso8601_timestamp(eventtime) AT TIME ZONE 'UTC' AS timestamp) END "
    'AS "eventTime"',
    "readonly": 'CAST(readonly AS boolean) AS "readOnly"',
    "managementevent": 'CAST(managementevent AS boolean) AS "managementEvent"',
    "resources": 'CAST(resources AS json) AS "resources"',
}


def view_ddl(table: str, view: str = "events") -> str:
    """The ``events`` view over the table, so queries written for DuckDB's view run unchanged."""
    parts = [_VIEW_EXPR.get(name, name) for name, _kind in COLUMNS]
    parts += ["account", "region", '"timestamp"']
    return (
        f"CREATE OR REPLACE VIEW {_ident(view)} AS SELECT {', '.join(parts)} FROM {_ident(table)}"
    )


def render(sql: str) -> str:
    """DuckDB SQL (as the questions and hunts write it) rendered as Trino SQL for Athena."""
    try:
        out = sqlglot.transpile(sql, read="duckdb", write="trino")
    except SqlglotError as exc:
        raise UsageError(
            f"cannot render the query for Athena: {str(exc).splitlines()[0]}"
        ) from None
    if len(out) != 1:
        raise UsageError("exactly one SQL statement is allowed")
    return out[0]


def day_filter(scope: Scope) -> str:
    """Partition pruning on the projected ``timestamp`` (yyyy/MM/dd), account and Region.

    Days are delivery days: widened by the layout's slack like the S3 key pruning.
    """
    parts = []
    if scope.start is not None:
        parts.append(f'"timestamp" >= {_quote((scope.start - SLACK).strftime("%Y/%m/%d"))}')
    if scope.end is not None:
        parts.append(f'"timestamp" <= {_quote((scope.end + SLACK).strftime("%Y/%m/%d"))}')
    if scope.accounts:
        parts.append("account IN (" + ", ".join(map(_quote, sorted(scope.accounts))) + ")")
    if scope.regions:
        parts.append("region IN (" + ", ".join(map(_quote, sorted(scope.regions))) + ")")
    return " AND ".join(parts) or "TRUE"
