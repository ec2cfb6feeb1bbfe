"""The DuckDB schema: typed columns for what people filter on, JSON for the polymorphic parts.

Column names are CloudTrail's own (DuckDB matches names case-insensitively, so Athena's lower-case
``useridentity.arn`` works too) and ``userIdentity``/``tlsDetails`` are STRUCTs, so a CloudTrail
Lake or Athena query needs only its table name changed to ``events``.
"""

from __future__ import annotations

import json
from typing import Any

from trailwarden.trailstore.records import EVENT_TIME_PATTERN

_S = "VARCHAR"

# The nested parts people filter on, as DuckDB STRUCT types (json_transform shapes).
USER_IDENTITY: dict[str, Any] = {
    "type": _S,
    "principalId": _S,
    "arn": _S,
    "accountId": _S,
    "accessKeyId": _S,
    "userName": _S,
    "invokedBy": _S,
    "credentialId": _S,
    "identityProvider": _S,
    "sessionContext": {
        "attributes": {"creationDate": _S, "mfaAuthenticated": _S},
        "sessionIssuer": {
            "type": _S,
            "principalId": _S,
            "arn": _S,
            "accountId": _S,
            "userName": _S,
        },
        "sourceIdentity": _S,
        "ec2RoleDelivery": _S,
        "assumedRoot": _S,
    },
    "onBehalfOf": {"userId": _S, "identityStoreArn": _S},
}
TLS_DETAILS: dict[str, Any] = {"tlsVersion": _S, "cipherSuite": _S, "clientProvidedHostHeader": _S}

# Typed columns, in table order: name -> json_transform type.
TYPED: dict[str, Any] = {
    "eventVersion": _S,
    "userIdentity": USER_IDENTITY,
    "eventTime": "TIMESTAMP",
    "eventSource": _S,
    "eventName": _S,
    "awsRegion": _S,
    "sourceIPAddress": _S,
    "userAgent": _S,
    "errorCode": _S,
    "errorMessage": _S,
    "requestID": _S,
    "eventID": _S,
    "readOnly": "BOOLEAN",
    "eventType": _S,
    "apiVersion": _S,
    "managementEvent": "BOOLEAN",
    "recipientAccountId": _S,
    "sharedEventID": _S,
    "vpcEndpointId": _S,
    "vpcEndpointAccountId": _S,
    "eventCategory": _S,
    "sessionCredentialFromConsole": _S,
    "tlsDetails": TLS_DETAILS,
}

# Every eventVersion whose fields this schema covers (1.0 to 1.11 as of this writing).
KNOWN_VERSIONS = (
    "1.0",
    "1.01",
    "1.02",
    "1.03",
    "1.04",
    "1.05",
    "1.06",
    "1.07",
    "1.08",
    "1.09",
    "1.10",
    "1.11",
)

# Kept as JSON text: their shape differs per API. Extracted with json_extract, so a member that is
# present but null is JSON 'null' and a missing member is SQL NULL: the two stay distinct.
JSON_COLUMNS = [
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "resources",
    "serviceEventDetails",
    "addendum",
    "edgeDeviceDetails",
    "insightDetails",
    "eventContext",
    "inScopeOf",
]


# How the transforms read each typed member: as TYPED says, except eventTime, which is read as
# text and parsed by event_time_sql (json_transform's TIMESTAMP drops a UTC offset: 12:00+02:00
# became 12:00 instead of 10:00).
READ_AS: dict[str, Any] = {**TYPED, "eventTime": _S}


def event_time_sql(text: str) -> str:
    """SQL for ``trailstore.records.parse_event_time`` of the VARCHAR expression ``text``: the
    same grammar, the instant kept (the connection's TimeZone is UTC, see store.connect)."""
    return (
        f"CASE WHEN regexp_full_match({text}, '{EVENT_TIME_PATTERN}') "
        f"THEN try_cast({text} AS TIMESTAMPTZ)::TIMESTAMP END"
    )


def _time_column(rec: str) -> str:
    """The eventTime column from a typed row ``rec`` read with READ_AS: eventTime, else the
    Logstash ``@timestamp`` (as records.event_time)."""
    own, logstash = event_time_sql(rec + '."eventTime"'), event_time_sql(rec + '."@timestamp"')
    return f'coalesce({own}, {logstash}) AS "eventTime"'


def sql_type(shape: Any) -> str:
    """The DuckDB type for a json_transform shape."""
    if isinstance(shape, dict):
        inner = ", ".join(f'"{k}" {sql_type(v)}' for k, v in shape.items())
        return f"STRUCT({inner})"
    return str(shape)


def transform_shape() -> str:
    """The json_transform argument for the typed columns."""
    return json.dumps({**READ_AS, "@timestamp": _S})


def _known_leaves(shape: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge patch deleting every typed member (RFC 7386: null deletes)."""
    out: dict[str, Any] = {}
    for key, sub in shape.items():
        if key in KEEP_IN_EXTRA:
            continue
        out[key] = _known_leaves(sub) if isinstance(sub, dict) else None
    return out


# Typed, but also kept verbatim in ``extra`` because its presence matters even when null: the
# CIS root pattern says ``$.userIdentity.invokedBy NOT EXISTS``. It is rare, so this is cheap.
KEEP_IN_EXTRA = frozenset({"invokedBy"})


def extra_patch() -> str:
    known = _known_leaves(TYPED)
    known.update({name: None for name in JSON_COLUMNS})
    return json.dumps(known)


def table_ddl(table: str) -> str:
    cols = ["file_id INTEGER"]
    cols += [f'"{name}" {sql_type(shape)}' for name, shape in TYPED.items()]
    cols += [f'"{name}" JSON' for name in JSON_COLUMNS]
    # What the typed and JSON columns do not hold, for records of versions newer than this
    # schema (so their new fields are not lost) and root calls (see select_typed).
    cols.append("extra JSON")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def select_typed(source: str) -> str:
    """SELECT list turning ``rec`` (one record as JSON) into the table's columns."""
    typed = ", ".join(_time_column("t") if name == "eventTime" else f't."{name}"' for name in TYPED)
    paths = ", ".join(f"'$.{name}'" for name in JSON_COLUMNS)
    blobs = ", ".join(f'j[{i + 1}] AS "{name}"' for i, name in enumerate(JSON_COLUMNS))
    # ``extra`` costs a parse and a re-serialisation per record, so it is computed only where it
    # can hold something: records of a version newer than this schema, and root calls (whose
    # invokedBy presence the CIS root pattern tests).
    extra = f"CASE WHEN {_newer_or_root('t')} THEN json_merge_patch(rec, '{extra_patch()}') END"
    return (
        f"SELECT file_id, {typed}, {blobs}, {extra} AS extra "
        f"FROM (SELECT file_id, rec, json_transform(rec, '{transform_shape()}') AS t, "
        f"json_extract(rec, [{paths}]) AS j FROM {source})"
    )


def _newer_or_root(rec: str) -> str:
    """Records whose ``extra`` is kept: a version newer than this schema, or a root call."""
    known = ", ".join(f"'{v}'" for v in KNOWN_VERSIONS)
    return f'({rec}."eventVersion" NOT IN ({known}) OR {rec}."userIdentity"."type" = \'Root\')'


# Where a document keeps its records: ``{"Records": [...]}`` or a top-level array.
LIST_PATHS = {"records": "$.Records", "array": "$"}


def select_documents(source: str, kind: str) -> str:
    """SELECT list typing whole documents of one kind (rows of ``source``: file_id, content).

    Same columns and values as ``select_typed`` over the split records, for less CPU (about 15%
    less for a whole ingest: ``benchmarks/logs.py --split-ingest``): each document is parsed by
    ONE ``json_transform`` into the typed STRUCTs plus the JSON columns, instead of being split
    into record texts that are parsed twice more. What the transform folds is restored from
    cheap extras:

    - it turns a member present as ``null`` into SQL NULL like a missing one, so the records'
      key lists (``json_keys``, one more parse, no values copied) tell the two apart;
    - ``extra`` needs the record's text, which is cut out (``json_extract`` at the record's
      position in the list) only for the rare records that are root calls or of a newer version:
      the test runs on the typed rows, vectorised, and the document text is passed along by
      reference (a per-document lambda over the typed list cost ~1 CPU s per GB).
    """
    path = LIST_PATHS[kind]
    shape = {**READ_AS, **{c: "JSON" for c in JSON_COLUMNS}, "@timestamp": _S}
    doc_shape = json.dumps({"Records": [shape]} if kind == "records" else [shape])
    docs = f"json_transform(content, '{doc_shape}')"
    if kind == "records":
        docs = f"struct_extract({docs}, 'Records')"
    typed = ", ".join(_time_column("r") if name == "eventTime" else f'r."{name}"' for name in TYPED)
    blobs = ", ".join(
        f"coalesce(r.\"{c}\", CASE WHEN list_contains(k, '{c}') THEN 'null'::JSON END) AS \"{c}\""
        for c in JSON_COLUMNS
    )
    rec = f"json_extract(content, '{path}[' || (i - 1) || ']')"
    extra = f"CASE WHEN {_newer_or_root('r')} THEN json_merge_patch({rec}, '{extra_patch()}') END"
    # The typed records, their key lists and their positions are unnested side by side: one
    # entry per element of the document's list, in order.
    return (
        f"SELECT file_id, {typed}, {blobs}, {extra} AS extra FROM ("
        "SELECT file_id, content, unnest(d) AS r, unnest(k) AS k, "
        "generate_subscripts(d, 1) AS i FROM ("
        f"SELECT file_id, content, {docs} AS d, json_keys(content, '{path}[*]') AS k "
        f"FROM {source}))"
    )


def events_view(table: str) -> str:
    """The documented ``events`` view: CloudTrail's names and nesting, one row per event."""
    return f"CREATE OR REPLACE VIEW events AS SELECT * EXCLUDE (file_id, extra) FROM {table}"
