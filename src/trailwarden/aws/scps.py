"""The service control policies on an account's path, read live (for the SCP evaluator).

``policies.evaluate.evaluate_scps`` takes one entry per level, root first, then each OU, then the
account (docs/aws-facts/scp.md#scp-evaluation); this reads that path with ``ListParents`` and
each level's ``ListPoliciesForTarget`` + ``DescribePolicy``. Needs organizations:ListParents,
organizations:ListPoliciesForTarget and organizations:DescribePolicy in the management (or a
delegated policy-administrator) account.
"""

from __future__ import annotations

import json
from typing import Any

SCP = "SERVICE_CONTROL_POLICY"


def path_to_root(organizations: Any, child_id: str) -> list[str]:
    """``[root, OU..., child_id]``: the account's ancestors, root first."""
    path = [child_id]
    while not path[0].startswith("r-"):
        parents = organizations.list_parents(ChildId=path[0])["Parents"]
        if not parents:
            break
        path.insert(0, str(parents[0]["Id"]))
    return path


def attached_scps(organizations: Any, account_id: str) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per level of the account's path, root first: (policy name, document) of each SCP."""
    levels: list[list[tuple[str, dict[str, Any]]]] = []
    for target in path_to_root(organizations, account_id):
        pages = organizations.get_paginator("list_policies_for_target")
        level = []
        for page in pages.paginate(TargetId=target, Filter=SCP):
            for summary in page.get("Policies", []):
                got = organizations.describe_policy(PolicyId=summary["Id"])["Policy"]
                level.append((str(summary["Name"]), json.loads(got.get("Content") or "{}")))
        levels.append(level)
    return levels
