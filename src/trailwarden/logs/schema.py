"""The DuckDB schema: typed columns for what people filter on, JSON for the polymorphic parts.

Column names are CloudTrail's own (DuckDB matches names case-insensitively, so Athena's lower-case
``useridentity.arn`` works too) and ``userIdentity``/``tlsDetails`` are STRUCTs, so a CloudTrail
Lake or Athena query needs only its table name changed to ``events``.
"""

from __future__ import annotations

import json
from typing import Any

from trailwarden.logs import lossless
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
        # Web identity and OIDC sessions (GitHub Actions, EKS service accounts); AWS's own
        # CloudTrail table for Athena types it too. ``attributes`` differs per provider.
        "webIdFederationData": {"federatedProvider": _S, "attributes": "JSON"},
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


# How the transforms read each member: as TYPED says, except eventTime, read as text and parsed
# by event_time_sql (json_transform's TIMESTAMP drops a UTC offset: 12:00+02:00 became 12:00),
# and the two objects, read as JSON text and typed from it, so that the text can be compared with
# what the typed STRUCT holds (lossless.py).
READ_AS: dict[str, Any] = {**TYPED, "eventTime": _S, "userIdentity": "JSON", "tlsDetails": "JSON"}
OBJECTS = ("userIdentity", "tlsDetails")


def event_time_sql(text: str) -> str:
    """SQL for ``trailstore.records.parse_event_time`` of the VARCHAR expression ``text``: the
    same grammar, the instant kept (the connection's TimeZone is UTC, see store.connect)."""
    return (
        f"CASE WHEN regexp_full_match({text}, '{EVENT_TIME_PATTERN}') "
        f"THEN try_cast({text} AS TIMESTAMPTZ)::TIMESTAMP END"
    )


def sql_type(shape: Any) -> str:
    """The DuckDB type for a json_transform shape."""
    if isinstance(shape, dict):
        inner = ", ".join(f'"{k}" {sql_type(v)}' for k, v in shape.items())
        return f"STRUCT({inner})"
    return str(shape)


def transform_shape() -> str:
    """The json_transform argument reading one record (READ_AS plus Logstash's time)."""
    return json.dumps({**READ_AS, "@timestamp": _S})


def table_ddl(table: str) -> str:
    cols = ["file_id INTEGER"]
    cols += [f'"{name}" {sql_type(shape)}' for name, shape in TYPED.items()]
    cols += [f'"{name}" JSON' for name in JSON_COLUMNS]
    # The record as delivered, without the JSON columns, for the records whose typed columns do not
    # hold them exactly (lossless.py): fields this schema does not know, members present as null,
    # values of another type, an eventTime not written as CloudTrail writes it. NULL otherwise.
    cols.append("extra JSON")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def _typed_columns(row: str) -> str:
    """The typed columns from ``row`` (a record read with READ_AS, its objects typed as ``o_*``)."""
    parts = []
    for name in TYPED:
        if name == "eventTime":
            logstash = event_time_sql(f'{row}."@timestamp"')
            parts.append(f'coalesce("o_eventTime", {logstash}) AS "eventTime"')
        elif name in OBJECTS:
            parts.append(f'"o_{name}" AS "{name}"')
        else:
            parts.append(f'{row}."{name}"')
    return ", ".join(parts)


def _objects(row: str) -> str:
    """Beside ``row``: its objects typed from their JSON text (``o_userIdentity``,
    ``o_tlsDetails``) and its eventTime parsed (``o_eventTime``), each computed once."""
    objects = [
        f'json_transform({row}."{name}", \'{json.dumps(TYPED[name])}\') AS "o_{name}"'
        for name in OBJECTS
    ]
    parsed = event_time_sql(row + '."eventTime"')
    return ", ".join([*objects, f'{parsed} AS "o_eventTime"'])


def lossless_sql(row: str, keys: str) -> str:
    """True when the typed columns hold the record ``row`` exactly (lossless.py)."""
    return lossless.lossless_sql(
        row, keys, READ_AS, JSON_COLUMNS, {n: TYPED[n] for n in OBJECTS}, '"o_eventTime"'
    )


# Where a document keeps its records: ``{"Records": [...]}`` or a top-level array.
LIST_PATHS = {"records": "$.Records", "array": "$"}
# ``extra`` of a record typed from a whole document, whose own text is not at hand: the writer
# then types that document's records again one by one (store._refill), which sets ``extra``.
REFILL = "'\"trailwarden:refill\"'::JSON"


def select_typed(source: str) -> str:
    """SELECT list turning ``rec`` (one record as JSON) into the table's columns."""
    paths = ", ".join(f"'$.{name}'" for name in JSON_COLUMNS)
    blobs = ", ".join(f'j[{i + 1}] AS "{name}"' for i, name in enumerate(JSON_COLUMNS))
    drop = json.dumps({name: None for name in JSON_COLUMNS})  # RFC 7386: null deletes
    extra = f"CASE WHEN NOT ({lossless_sql('t', 'k')}) THEN json_merge_patch(rec, '{drop}') END"
    return (
        f"SELECT file_id, {_typed_columns('t')}, {blobs}, {extra} AS extra FROM ("
        f"SELECT *, {_objects('t')} FROM ("
        f"SELECT file_id, rec, json_transform(rec, '{transform_shape()}') AS t, "
        f"json_keys(rec) AS k, json_extract(rec, [{paths}]) AS j FROM {source}))"
    )


def select_documents(source: str, kind: str) -> str:
    """SELECT list typing whole documents of one kind (rows of ``source``: file_id, content).

    Same columns and values as ``select_typed`` over the split records, for less CPU (about 15%
    less for a whole ingest: ``benchmarks/logs.py --split-ingest``): each document is parsed by
    ONE ``json_transform`` into the typed columns plus the JSON columns, instead of being split
    into record texts that are parsed twice more. The transform turns a member present as
    ``null`` into SQL NULL like a missing one, so the records' key lists (``json_keys``, one more
    parse, no values copied) tell the two apart. A record the typed columns do not hold exactly
    gets ``extra`` = REFILL, and the writer types its document again through ``select_typed``.
    """
    path = LIST_PATHS[kind]
    shape = {**READ_AS, **{c: "JSON" for c in JSON_COLUMNS}, "@timestamp": _S}
    doc_shape = json.dumps({"Records": [shape]} if kind == "records" else [shape])
    docs = f"json_transform(content, '{doc_shape}')"
    if kind == "records":
        docs = f"struct_extract({docs}, 'Records')"
    blobs = ", ".join(
        f"coalesce(r.\"{c}\", CASE WHEN list_contains(k, '{c}') THEN 'null'::JSON END) AS \"{c}\""
        for c in JSON_COLUMNS
    )
    extra = f"CASE WHEN NOT held THEN {REFILL} END"
    # The typed records and their key lists are unnested side by side: one entry per element of
    # the document's list, in order.
    return (
        f"SELECT file_id, {_typed_columns('r')}, {blobs}, {extra} AS extra FROM ("
        f"SELECT *, {lossless_sql('r', 'k')} AS held FROM ("
        f"SELECT *, {_objects('r')} FROM ("
        "SELECT file_id, unnest(d) AS r, unnest(k) AS k FROM ("
        f"SELECT file_id, {docs} AS d, json_keys(content, '{path}[*]') AS k "
        f"FROM {source}))))"
    )


def events_view(table: str) -> str:
    """The documented ``events`` view: CloudTrail's names and nesting, one row per event, and
    ``extra`` (the record as delivered where the typed columns do not hold it exactly)."""
    return f"CREATE OR REPLACE VIEW events AS SELECT * EXCLUDE (file_id) FROM {table}"
