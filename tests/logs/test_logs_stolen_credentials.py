"""The stolen-instance-credentials hunt on real recordings of the technique and on made-up cases.

Stratus Red Team's ``aws.credential-access.ec2-steal-instance-credentials`` runs the instance
role's credentials from the operator's own address and tool; the OTRF recording is an SSRF-style
theft (an instance role used from a laptop's aws-cli at the address of a console user).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trailwarden.trailstore.records import Record

HUNT = "stolen-instance-credentials"


def _rows(cli: Any, where: list[str]) -> list[dict[str, Any]]:
    res = cli(["logs", "hunt", HUNT, *where, "-o", "json"])
    assert res.code in (0, 1), res.stderr
    rows = json.loads(res.stdout)
    assert isinstance(rows, list)
    return rows


def _instance_session(rec: Record) -> bool:
    return str(rec["userIdentity"].get("arn", "")).split("/")[-1].startswith("i-")


def test_real_thefts_are_found(
    cli: Any, trail_db: Path, stratus: dict[str, list[Record]], otrf: list[Record]
) -> None:
    stolen = [r for r in stratus["aws.credential-access.ec2-steal-instance-credentials"]]
    want = {r["eventID"] for r in [*stolen, *otrf] if _instance_session(r)}
    assert len(want) == 13  # 2 Stratus calls, 11 OTRF calls
    rows = _rows(cli, ["--db", str(trail_db)])
    assert {r["eventID"] for r in rows} == want
    operator = "arn:aws:iam::017622104382:user/christophe"
    stratus_rows = [r for r in rows if r["instance"] == "i-786a3A8B5C0d92eF4"]
    assert {r["eventName"] for r in stratus_rows} == {"GetCallerIdentity", "DescribeInstances"}
    assert all(f"source IP also used by {operator}" in r["reason"] for r in stratus_rows)


def _call(eid: str, when: str, arn: str, ip: str, ua: str, **extra: Any) -> Record:
    return {
        "eventVersion": "1.09",
        "eventID": eid,
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "userAgent": ua,
        "recipientAccountId": "111111111111",
        "userIdentity": {"type": "AssumedRole", "arn": arn, **extra},
    }


def test_a_session_leaving_its_instance(cli: Any, tmp_path: Path) -> None:
    role = "arn:aws:sts::111111111111:assumed-role/app"
    web = {"sessionContext": {"ec2RoleDelivery": "2.0"}}
    sdk = "aws-sdk-java/2.20 Linux/6.1 ec2"
    records = [
        # Two instances behind one NAT address, working as they do every day.
        _call(
            "a1", "2024-08-01T10:00:00Z", f"{role}/i-0aaaaaaaaaaaaaaaa", "198.51.100.7", sdk, **web
        ),
        _call(
            "b1", "2024-08-01T10:05:00Z", f"{role}/i-0bbbbbbbbbbbbbbbb", "198.51.100.7", sdk, **web
        ),
        _call(
            "a2", "2024-08-01T13:00:00Z", f"{role}/i-0aaaaaaaaaaaaaaaa", "198.51.100.7", sdk, **web
        ),
        # Hours later instance a's credentials call from elsewhere, with another tool.
        _call(
            "a3", "2024-08-01T15:00:00Z", f"{role}/i-0aaaaaaaaaaaaaaaa", "203.0.113.9", "aws-cli/2"
        ),
        # A person's own session (not an instance): never flagged itself.
        _call(
            "p1",
            "2024-08-01T16:00:00Z",
            "arn:aws:sts::111111111111:assumed-role/admin/bob",
            "192.0.2.1",
            "aws-cli/2",
        ),
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "r.json").write_text(json.dumps(records))
    rows = _rows(cli, ["--source", str(folder)])
    assert [(r["eventID"], r["instance"]) for r in rows] == [("a3", "i-0aaaaaaaaaaaaaaaa")]
    assert rows[0]["reason"] == (
        "source IP the instance never used; user agent the instance never used; "
        "user agent also used by arn:aws:sts::111111111111:assumed-role/admin/bob"
    )
