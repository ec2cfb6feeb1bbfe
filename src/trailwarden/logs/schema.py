"""The DuckDB schema: typed columns for what people filter on, JSON for the polymorphic parts.

Column names are CloudTrail's own (DuckDB matches names case-insensitively, so Athena's lower-case
``useridentity.arn`` works too) and ``userIdentity``/``tlsDetails`` are STRUCTs, so a CloudTrail
Lake or Athena query needs only its table name changed to ``events``.
"""

from __future__ import annotations

import json
from typing import Any

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
]


def sql_type(shape: Any) -> str:
    """The DuckDB type for a json_transform shape."""
    if isinstance(shape, dict):
        inner = ", ".join(f'"{k}" {sql_type(v)}' for k, v in shape.items())
        return f"STRUCT({inner})"
    return str(shape)


def transform_shape() -> str:
    """The json_transform argument for the typed columns."""
    return json.dumps(TYPED)


def table_ddl(table: str) -> str:
    cols = ["file_id INTEGER"]
    cols += [f'"{name}" {sql_type(shape)}' for name, shape in TYPED.items()]
    cols += [f'"{name}" JSON' for name in JSON_COLUMNS]
    # The record exactly as delivered: unknown fields (minor versions add some) are never lost.
    cols.append("record JSON")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def select_typed(source: str) -> str:
    """SELECT list turning ``rec`` (one record as JSON) into the table's columns, parsing once."""
    # Logstash-shipped records (OTRF) carry the time as "@timestamp" instead of eventTime.
    typed = ", ".join(
        'coalesce(t."eventTime", try_cast(json_extract_string(rec, \'$."@timestamp"\') '
        'AS TIMESTAMPTZ)::TIMESTAMP) AS "eventTime"'
        if name == "eventTime"
        else f't."{name}"'
        for name in TYPED
    )
    paths = ", ".join(f"'$.{name}'" for name in JSON_COLUMNS)
    blobs = ", ".join(f'j[{i + 1}] AS "{name}"' for i, name in enumerate(JSON_COLUMNS))
    return (
        f"SELECT file_id, {typed}, {blobs}, rec AS record FROM ("
        f"SELECT file_id, rec, json_transform(rec, '{transform_shape()}') AS t, "
        f"json_extract(rec, [{paths}]) AS j FROM {source})"
    )


def events_view(table: str) -> str:
    """The documented ``events`` view: CloudTrail's names and nesting, one row per event."""
    return f"CREATE OR REPLACE VIEW events AS SELECT * EXCLUDE (file_id, record) FROM {table}"
