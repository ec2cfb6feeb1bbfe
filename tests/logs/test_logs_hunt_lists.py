"""The canned hunts' event lists against the services' own API models (botocore's copies of them).

Every name must be an operation of its service (a typo would silently match nothing), and the IAM
list must hold every operation that writes, attaches, detaches or removes an identity policy or a
permissions boundary, whichever name AWS gives the next one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from trailwarden.logs import hunts

LISTS = [
    ("cloudtrail", hunts.TRAIL_TAMPERING),
    ("iam", hunts.IAM_POLICY_CHANGES),
    ("kms", hunts.KMS_DISABLE),
]


def _operations(service: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model(service).operation_names)


@pytest.mark.parametrize(("service", "names"), LISTS)
def test_every_hunted_name_is_an_operation_of_its_service(
    service: str, names: tuple[str, ...]
) -> None:
    assert set(names) <= _operations(service)
    assert len(set(names)) == len(names)


# What changes the policies that decide an IAM identity's permissions.
_IAM_WRITES = re.compile(
    r"(Put|Delete|Attach|Detach)(Group|Role|User)(Policy|PermissionsBoundary)"
    r"|(Create|Delete)Policy(Version)?|SetDefaultPolicyVersion|UpdateAssumeRolePolicy"
)


def test_iam_list_holds_every_policy_and_boundary_write() -> None:
    wanted = {op for op in _operations("iam") if _IAM_WRITES.fullmatch(op)}
    assert "DeleteRolePermissionsBoundary" in wanted  # the pattern covers removals too
    assert wanted <= set(hunts.IAM_POLICY_CHANGES)


def _boundary_removal(eid: str, name: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventID": eid,
        "eventTime": "2024-08-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/mallory"},
        "requestParameters": {"roleName": "app"} if "Role" in name else {"userName": "bob"},
        "recipientAccountId": "111111111111",
    }


def test_removing_a_permissions_boundary_is_a_policy_change(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    records = [
        _boundary_removal("r", "DeleteRolePermissionsBoundary"),
        _boundary_removal("u", "DeleteUserPermissionsBoundary"),
    ]
    (folder / "r.json").write_text(json.dumps(records))
    db = tmp_path / "t.duckdb"
    assert cli(["logs", "ingest", str(folder), "--db", str(db)]).code == 0
    for where in (["--source", str(folder)], ["--db", str(db)]):
        res = cli(["logs", "hunt", "iam-policy-changes", *where, "-o", "json"])
        assert res.code == 1, res.stderr
        assert {row["eventID"] for row in json.loads(res.stdout)} == {"r", "u"}
