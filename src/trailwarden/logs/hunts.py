"""Canned hunts: each is written once as SQL over the ``events`` view (fast on an ingested
database) and, for the per-event ones, as a record predicate with substring needles, so a hunt can
also run directly over the files: a file that contains none of the needles is never parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trailwarden.trailstore.layout import fmt_display
from trailwarden.trailstore.records import Record, event_time

# Each list below was reviewed against the service's API reference (every operation it lists) and
# is checked against botocore's model of the same API by tests/logs/test_logs_hunt_lists.py.
#
# CloudTrail API reference, "Actions":
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Operations.html
# The calls that stop, delete or narrow what a trail or an event data store records. Left out:
# StartLogging/Create* (they add logging), channels, dashboards, imports and queries (they do not
# change what is recorded).
TRAIL_TAMPERING = (
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "PutInsightSelectors",
    "DeleteEventDataStore",
    "StopEventDataStoreIngestion",
    # Can replace the store's event selectors, shorten its retention or lift termination protection.
    "UpdateEventDataStore",
)
# IAM API reference, "Actions": https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
# Every call that writes an identity policy (inline or managed, and its versions), attaches or
# detaches one, changes a role's trust policy, or sets or removes a permissions boundary. CIS 4.4
# lists the inline, managed and attachment calls; the trust-policy and boundary calls are what
# privilege escalation uses: "Deleting the permissions boundary for a role might increase its
# permissions" (API_DeleteRolePermissionsBoundary.html).
IAM_POLICY_CHANGES = (
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "PutUserPermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
)
# KMS API reference, "Actions": https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html
# The calls that make a key unusable: disabled, scheduled for deletion, or its imported key material
# deleted (the key becomes PendingImport). CIS 4.7 (CloudWatch.7) watches the first two.
KMS_DISABLE = ("DisableKey", "ScheduleKeyDeletion", "DeleteImportedKeyMaterial")
DENIED_CODES = (
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
)

# Columns every per-event hunt returns.
EVENT_COLUMNS = (
    "strftime(eventTime, '%Y-%m-%dT%H:%M:%SZ') AS eventTime, eventName, eventSource, awsRegion, "
    "coalesce(userIdentity.arn, userIdentity.invokedBy, userIdentity.type) AS principal, "
    "sourceIPAddress, errorCode, recipientAccountId, eventID"
)


def _in(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


_ABSENT = object()


def _lookup(rec: Record, path: tuple[str, ...]) -> Any:
    """The value at ``path``, or ``_ABSENT`` where a member is missing (or its parent is not an
    object)."""
    cur: Any = rec
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return _ABSENT
        cur = cur[key]
    return cur


def _get(rec: Record, *path: str) -> Any:
    found = _lookup(rec, path)
    return None if found is _ABSENT else found


def _has(rec: Record, *path: str) -> bool:
    """Present (even if null): the distinction CIS's ``NOT EXISTS`` depends on."""
    return _lookup(rec, path) is not _ABSENT


@dataclass(frozen=True)
class Hunt:
    name: str
    title: str
    sql_where: str | None  # per-event hunts: a WHERE clause over tw_records
    sql_full: str | None = None  # aggregate hunts: a whole query over events
    predicate: Callable[[Record], bool] | None = None
    needles: tuple[bytes, ...] = ()  # a matching file contains at least one of these
    # Athena has no ``extra`` column: a WHERE clause over the ``events`` view instead.
    athena_where: str | None = None

    def sql(self, window: str = "TRUE") -> str:
        if self.sql_full is not None:
            return self.sql_full.format(window=window)
        return (
            f"SELECT {EVENT_COLUMNS} FROM tw_records WHERE ({self.sql_where}) AND {window} "
            "ORDER BY eventTime, eventID"
        )

    def athena_sql(self, window: str = "TRUE") -> str | None:
        """The per-event hunt over Athena's ``events`` view (DuckDB text; render() it)."""
        where = self.athena_where or self.sql_where
        if self.sql_full is not None or where is None:
            return None  # aggregate hunts use DuckDB-only functions
        return (
            f"SELECT {EVENT_COLUMNS} FROM events WHERE ({where}) AND {window} "
            "ORDER BY eventTime, eventID"
        )


def _root(rec: Record) -> bool:
    # CIS 4.3: {$.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS &&
    # $.eventType != "AwsServiceEvent"}
    return (
        _get(rec, "userIdentity", "type") == "Root"
        and not _has(rec, "userIdentity", "invokedBy")
        and rec.get("eventType") != "AwsServiceEvent"
    )


def _console_no_mfa(rec: Record) -> bool:
    return (
        rec.get("eventName") == "ConsoleLogin"
        and _get(rec, "additionalEventData", "MFAUsed") != "Yes"
        and _get(rec, "responseElements", "ConsoleLogin") == "Success"
    )


def _by_name(source: str, names: tuple[str, ...]) -> Callable[[Record], bool]:
    wanted = frozenset(names)

    def pred(rec: Record) -> bool:
        return rec.get("eventSource") == source and rec.get("eventName") in wanted

    return pred


def _needles(names: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(f'"{n}"'.encode() for n in names)


def _calls(name: str, title: str, source: str, names: tuple[str, ...]) -> Hunt:
    """A hunt for any of one service's calls, as SQL and as a predicate with the same names."""
    return Hunt(
        name,
        title,
        f"eventSource = '{source}' AND eventName IN {_in(names)}",
        predicate=_by_name(source, names),
        needles=_needles(names),
    )


# An EC2 instance profile's role session is named after the instance (assumed-role/ROLE/i-...) and
# carries sessionContext.ec2RoleDelivery, the IMDS version that delivered it (CloudTrail's
# userIdentity reference). Its credentials belong on that instance; used from anywhere else they
# were stolen (MITRE ATT&CK T1552.005, Stratus Red Team aws.credential-access.ec2-steal-instance-
# credentials). CloudTrail alone names no instance address, so "where the instance works" is what
# its own session did first: the source IPs and user agents of its first hour. Any later event from
# another IP or user agent is flagged, and so is any event from an IP or user agent that a principal
# other than an instance session used in the window (a person's laptop, a CI runner): the
# credentials were carried off the instance, which is how the Stratus detonation looks, the role
# session calling from the operator's own address and tool.
_INSTANCE_SESSION = (
    "userIdentity.type = 'AssumedRole' AND (userIdentity.sessionContext.ec2RoleDelivery IS NOT "
    "NULL OR regexp_matches(userIdentity.arn, '/i-[0-9a-fA-F]{{8,17}}$'))"
)
STOLEN_INSTANCE_CREDENTIALS = (
    "WITH ev AS (SELECT eventTime, eventID, eventName, awsRegion, sourceIPAddress AS ip, "
    "userAgent AS ua, userIdentity.arn AS principal, "
    f"coalesce({_INSTANCE_SESSION}, false) AS inst FROM events "
    "WHERE userIdentity.arn IS NOT NULL AND {window}), "
    "s AS (SELECT * FROM ev WHERE inst), "
    "t0 AS (SELECT principal, min(eventTime) AS t0 FROM s GROUP BY ALL), "
    # What the instance itself used: its first hour.
    "home AS (SELECT s.principal, list(DISTINCT s.ip) AS ips, list(DISTINCT s.ua) AS uas "
    "FROM s JOIN t0 USING (principal) WHERE s.eventTime <= t0.t0 + INTERVAL 1 HOUR GROUP BY ALL), "
    "ip_others AS (SELECT ip, string_agg(DISTINCT principal, ',' ORDER BY principal) AS who "
    "FROM ev WHERE NOT inst GROUP BY ALL), "
    "ua_others AS (SELECT ua, string_agg(DISTINCT principal, ',' ORDER BY principal) AS who "
    "FROM ev WHERE NOT inst GROUP BY ALL), "
    "flagged AS (SELECT s.*, concat_ws('; ', "
    "CASE WHEN NOT list_contains(h.ips, s.ip) THEN 'source IP the instance never used' END, "
    "CASE WHEN NOT list_contains(h.uas, s.ua) THEN 'user agent the instance never used' END, "
    "CASE WHEN io.who IS NOT NULL THEN 'source IP also used by ' || io.who END, "
    "CASE WHEN uo.who IS NOT NULL THEN 'user agent also used by ' || uo.who END) AS reason "
    "FROM s JOIN home h USING (principal) LEFT JOIN ip_others io ON io.ip = s.ip "
    "LEFT JOIN ua_others uo ON uo.ua = s.ua) "
    "SELECT strftime(eventTime, '%Y-%m-%dT%H:%M:%SZ') AS eventTime, principal, "
    "regexp_extract(principal, '/([^/]+)$', 1) AS instance, eventName, awsRegion, "
    "ip AS sourceIPAddress, ua AS userAgent, reason, eventID FROM flagged WHERE reason <> '' "
    "ORDER BY flagged.eventTime, eventID"
)


HUNTS: dict[str, Hunt] = {
    h.name: h
    for h in [
        Hunt(
            "root-usage",
            "Root user activity (CIS root usage pattern)",
            # invokedBy NOT EXISTS: not in the typed column, and not kept as a null in the
            # record's ``extra`` (lossless.py keeps a record with a null member there).
            "userIdentity.type = 'Root' AND userIdentity.invokedBy IS NULL AND "
            "json_extract(extra, '$.userIdentity.invokedBy') IS NULL"
            " AND eventType IS DISTINCT FROM 'AwsServiceEvent'",
            predicate=_root,
            needles=(b'"Root"',),
            # Athena's JSON SerDe folds a null invokedBy into a missing one (CloudTrail never
            # writes a null there).
            athena_where="userIdentity.type = 'Root' AND userIdentity.invokedBy IS NULL "
            "AND eventType IS DISTINCT FROM 'AwsServiceEvent'",
        ),
        Hunt(
            "console-login-no-mfa",
            "Successful console logins without MFA",
            "eventName = 'ConsoleLogin' AND json_extract_string(responseElements, "
            "'$.ConsoleLogin') = 'Success' AND json_extract_string(additionalEventData, "
            "'$.MFAUsed') IS DISTINCT FROM 'Yes'",
            predicate=_console_no_mfa,
            needles=(b'"ConsoleLogin"',),
        ),
        _calls("iam-policy-changes", "IAM policy changes", "iam.amazonaws.com", IAM_POLICY_CHANGES),
        _calls(
            "trail-tampering",
            "CloudTrail stopped, deleted or reconfigured",
            "cloudtrail.amazonaws.com",
            TRAIL_TAMPERING,
        ),
        _calls(
            "kms-key-disable",
            "KMS keys disabled or scheduled for deletion",
            "kms.amazonaws.com",
            KMS_DISABLE,
        ),
        Hunt(
            "access-denied-burst",
            "Bursts of access-denied errors (>= 10 by one principal in 5 minutes)",
            None,
            sql_full=(
                "SELECT strftime(time_bucket(INTERVAL 5 MINUTE, eventTime), '%Y-%m-%dT%H:%M:%SZ')"
                " AS windowStart, coalesce(userIdentity.arn, userIdentity.invokedBy, "
                "userIdentity.type) AS principal, count(*) AS denied, "
                "string_agg(DISTINCT eventName, ',' ORDER BY eventName) AS eventNames, "
                "string_agg(DISTINCT sourceIPAddress, ',' ORDER BY sourceIPAddress) AS sourceIPs "
                f"FROM events WHERE errorCode IN {_in(DENIED_CODES)} AND {{window}} "
                "GROUP BY ALL HAVING count(*) >= 10 ORDER BY windowStart, principal"
            ),
        ),
        Hunt(
            "new-ip-region",
            "A principal acting from an IP address or Region it had not used before",
            None,
            # The principal's first hour is its baseline; later first appearances are new.
            sql_full=(
                "WITH a AS (SELECT coalesce(userIdentity.sessionContext.sessionIssuer.arn, "
                "userIdentity.arn) AS principal, eventTime, sourceIPAddress, awsRegion "
                "FROM events WHERE userIdentity.arn IS NOT NULL AND {window}), "
                "base AS (SELECT principal, min(eventTime) AS t0 FROM a GROUP BY ALL), "
                "firsts AS (SELECT principal, 'ip' AS kind, sourceIPAddress AS value, "
                "min(eventTime) AS firstSeen, count(*) AS events FROM a GROUP BY ALL UNION ALL "
                "SELECT principal, 'region', awsRegion, min(eventTime), count(*) FROM a "
                "GROUP BY ALL) SELECT f.principal, kind, value, "
                "strftime(firstSeen, '%Y-%m-%dT%H:%M:%SZ') AS firstSeen, events FROM firsts f "
                "JOIN base b USING (principal) WHERE firstSeen > t0 + INTERVAL 1 HOUR "
                "ORDER BY firstSeen, principal, kind"
            ),
        ),
        Hunt(
            "stolen-instance-credentials",
            "EC2 instance-role credentials used from where the instance never worked",
            None,
            sql_full=STOLEN_INSTANCE_CREDENTIALS,
        ),
    ]
}


def by_event_names(names: list[str]) -> Hunt:
    """An ad-hoc hunt for events with these names (any service)."""
    import re

    from trailwarden.errors import UsageError

    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise UsageError(f"invalid event name {name!r}")
    wanted = tuple(names)
    return Hunt(
        "event-name",
        "Events named " + ", ".join(wanted),
        f"eventName IN {_in(wanted)}",
        predicate=lambda rec: rec.get("eventName") in wanted,
        needles=_needles(wanted),
    )


def event_row(rec: Record) -> dict[str, Any]:
    """The per-event hunt columns for one record (the same as the SQL's EVENT_COLUMNS)."""
    raw = rec.get("userIdentity")
    ui: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        # As the SQL's strftime: the instant in UTC, None when the record has no time.
        "eventTime": fmt_display(when) if (when := event_time(rec)) is not None else None,
        "eventName": rec.get("eventName"),
        "eventSource": rec.get("eventSource"),
        "awsRegion": rec.get("awsRegion"),
        "principal": ui.get("arn") or ui.get("invokedBy") or ui.get("type"),
        "sourceIPAddress": rec.get("sourceIPAddress"),
        "errorCode": rec.get("errorCode"),
        "recipientAccountId": rec.get("recipientAccountId"),
        "eventID": rec.get("eventID"),
    }
