"""The questions an investigator asks, as SQL over the ``events`` view of an ingested database.

Every answer is a list of row dicts (column -> value), rendered by the CLI as a table, JSON or CSV.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from trailwarden.errors import UsageError
from trailwarden.logs.hunts import EVENT_COLUMNS, Hunt
from trailwarden.logs.interrupt import interruptible
from trailwarden.logs.layout import Scope

Row = dict[str, Any]
Runner = Callable[[str], list[Row]]  # runs one SQL text (DuckDB dialect) on some engine


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    def run() -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = con.execute(sql, params or [])
        return [d[0] for d in cur.description or []], cur.fetchall()

    try:
        # Off the main thread, so Ctrl-C stops a long query (logs.interrupt).
        names, found = interruptible(con, run)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"query failed: {first}") from None
    return [dict(zip(names, r, strict=True)) for r in found]


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def window_sql(scope: Scope) -> str:
    """A WHERE fragment for the scope's time window, accounts and Regions."""
    parts = ["TRUE"]
    if scope.start is not None:
        parts.append(f"eventTime >= TIMESTAMP '{_ts(scope.start)}'")
    if scope.end is not None:
        parts.append(f"eventTime <= TIMESTAMP '{_ts(scope.end)}'")
    if scope.accounts:
        parts.append("recipientAccountId IN (" + ", ".join(f"'{a}'" for a in scope.accounts) + ")")
    if scope.regions:
        regions = ", ".join("'" + r.replace("'", "''") + "'" for r in sorted(scope.regions))
        parts.append(f"awsRegion IN ({regions})")
    return " AND ".join(parts)


_PRINCIPAL = (
    "coalesce(userIdentity.arn, userIdentity.invokedBy, userIdentity.accountId, userIdentity.type)"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_value_regex(value: str) -> str:
    """A regular expression (RE2 and Java alike) finding ``value`` as a whole JSON string value in
    JSON text, never as a key or as part of a longer string.

    The opening quote must not be escaped (an even run of backslashes before it) and the closing
    quote must be followed by what follows a value (``,``, ``]``, ``}``), not by the ``:`` that
    follows a key: ``"name"`` matches ``{"trail": "name"}`` but not ``{"name": "x"}``.
    """
    token = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return r"(^|[^\\])(\\\\)*" + re.escape(token) + r"\s*[,\]}]"


def who_sql(resource: str, scope: Scope, extra: str = "TRUE") -> str:
    """Every principal that touched a resource (by ARN or name), first/last time, from where.

    A resource is "touched" when its ARN or name is a string value in the event's resources,
    requestParameters or responseElements (a value, never a key: json_value_regex); a name given
    as an ARN also matches its short name.
    Written so that it also renders for Trino (``strpos``, ``GROUP BY 1``).
    """
    if not resource.strip():
        raise UsageError("--resource must not be empty")
    needles = [resource]
    if resource.startswith("arn:"):
        short = re.split(r"[:/]", resource)[-1]
        if short and short != resource:
            needles.append(short)
    hay = (
        "coalesce(CAST(resources AS VARCHAR), '') || ' ' || coalesce(CAST(requestParameters AS "
        "VARCHAR), '') || ' ' || coalesce(CAST(responseElements AS VARCHAR), '')"
    )
    cond = " OR ".join(f"regexp_matches({hay}, {_literal(json_value_regex(n))})" for n in needles)
    return (
        f"SELECT {_PRINCIPAL} AS principal, "
        "strftime(min(eventTime), '%Y-%m-%dT%H:%M:%SZ') AS firstSeen, "
        "strftime(max(eventTime), '%Y-%m-%dT%H:%M:%SZ') AS lastSeen, count(*) AS events, "
        "string_agg(DISTINCT eventName, ',' ORDER BY eventName) AS eventNames, "
        "string_agg(DISTINCT sourceIPAddress, ',' ORDER BY sourceIPAddress) AS sourceIPs "
        f"FROM events WHERE ({cond}) AND {window_sql(scope)} AND {extra} GROUP BY 1 "
        "ORDER BY firstSeen, principal"
    )


def who(run: Runner, resource: str, scope: Scope, extra: str = "TRUE") -> list[Row]:
    return run(who_sql(resource, scope, extra))


@dataclass(frozen=True)
class Issue:
    """One credential issuance: who called AssumeRole* / GetFederationToken, and what it gave."""

    issued_key: str
    caller: str
    caller_key: str | None
    action: str


def _issuances(run: Runner, extra: str) -> dict[str, Issue]:
    sql = (
        "SELECT json_extract_string(responseElements, '$.credentials.accessKeyId') AS k, "
        f"{_PRINCIPAL} AS caller, userIdentity.accessKeyId AS ck, eventName AS action "
        "FROM events WHERE eventName IN ('AssumeRole', 'AssumeRoleWithSAML', "
        "'AssumeRoleWithWebIdentity', 'GetFederationToken', 'GetSessionToken', "
        f"'AssumeRoot') AND errorCode IS NULL AND {extra}"
    )
    out: dict[str, Issue] = {}
    for row in run(sql):
        k, caller, ck = row.get("k"), row.get("caller"), row.get("ck")
        if k:
            out[str(k)] = Issue(str(k), str(caller), str(ck) if ck else None, str(row["action"]))
    return out


def chain_of(key: str | None, issued: dict[str, Issue]) -> list[str]:
    """The principals behind a session key, nearest first, back to the original principal."""
    chain: list[str] = []
    seen: set[str] = set()
    while key and key in issued and key not in seen:
        seen.add(key)
        issue = issued[key]
        chain.append(issue.caller)
        key = issue.caller_key
    return chain


def actor(run: Runner, principal: str, scope: Scope, extra: str = "TRUE") -> list[Row]:
    """Everything a user, role (session) or access key did, each event with its origin chain.

    ``extra`` narrows both queries (Athena: partition pruning); issuances outside it are not
    followed.
    """
    if not principal.strip():
        raise UsageError("the principal must not be empty")
    p = _literal(principal)
    match = (
        f"(userIdentity.arn = {p} OR userIdentity.userName = {p} OR "
        f"userIdentity.accessKeyId = {p} OR userIdentity.principalId = {p} OR "
        f"userIdentity.sessionContext.sessionIssuer.arn = {p} OR "
        f"userIdentity.sessionContext.sessionIssuer.userName = {p})"
    )
    sql = (
        f"SELECT {EVENT_COLUMNS.replace(', eventID', '')}, userIdentity.accessKeyId AS accessKeyId,"
        f" eventID FROM events WHERE {match} AND {window_sql(scope)} AND {extra} "
        "ORDER BY eventTime, eventID"
    )
    found = run(sql)
    issued = _issuances(run, extra)
    for row in found:
        chain = chain_of(row.get("accessKeyId"), issued)
        row["origin"] = " <- ".join([str(row["principal"]), *chain])
    return found


def undated(run: Runner, extra: str = "TRUE") -> int:
    """How many stored events have no time (records.event_time): the database's counterpart of
    ``ReadStats.undated``, for the note a windowed question prints."""
    found = run(f"SELECT count(*) AS n FROM events WHERE eventTime IS NULL AND {extra}")
    return int(found[0]["n"]) if found else 0


def undated_note(count: int) -> str | None:
    """What a command prints when records without a time were left out of its window."""
    if count == 0:
        return None
    return (
        f"note: {count:,} record(s) without a parseable eventTime are in no --start/--end window "
        "(docs/logs.md, 'Records without a time')"
    )


def duckdb_runner(con: duckdb.DuckDBPyConnection) -> Runner:
    return lambda sql: rows(con, sql)


def timeline_sql(scope: Scope, limit: int, extra: str = "TRUE") -> str:
    if scope.start is None or scope.end is None:
        raise UsageError("timeline needs both --start-time and --end-time")
    return (
        f"SELECT {EVENT_COLUMNS} FROM events WHERE {window_sql(scope)} AND {extra} "
        f"ORDER BY eventTime, eventID LIMIT {int(limit)}"
    )


def timeline(con: duckdb.DuckDBPyConnection, scope: Scope, limit: int) -> list[Row]:
    return rows(con, timeline_sql(scope, limit))


def hunt(con: duckdb.DuckDBPyConnection, which: Hunt, scope: Scope) -> list[Row]:
    return rows(con, which.sql(window_sql(scope)))


def to_duckdb(sql: str) -> str:
    """Accept CloudTrail Lake / Athena (Trino) SQL: translate its functions to DuckDB's.

    Queries that are already DuckDB SQL pass through unchanged when sqlglot cannot parse them.
    """
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        out = sqlglot.transpile(sql, read="trino", write="duckdb")
    except SqlglotError:
        return sql
    return out[0] if len(out) == 1 else sql


def query(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    if not sql.strip():
        raise UsageError("the query is empty")
    try:
        return rows(con, to_duckdb(sql))
    except UsageError:
        # The translation may be what failed; DuckDB's own dialect gets the final word.
        return rows(con, sql)
