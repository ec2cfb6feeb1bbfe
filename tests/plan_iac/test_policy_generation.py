"""The shipped IAM policies are exactly what the code's permission declarations generate.

Whether the declarations are complete is proven elsewhere: tests/scan/test_scan_policy.py and
tests/apply/test_apply_policy.py record every call a run makes and check the shipped file allows it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trailwarden.apply.operations import handler
from trailwarden.policies import generate
from trailwarden.policies.permissions import (
    DeclarationError,
    PolicyStatement,
    grant,
    policy_document,
)

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "src" / "trailwarden" / "policies"


@pytest.mark.parametrize("name", [generate.SCAN_POLICY_FILE, generate.APPLY_POLICY_FILE])
def test_shipped_policy_is_what_the_declarations_generate(name: str) -> None:
    shipped = (POLICIES / name).read_text(encoding="utf-8")
    assert shipped == generate.generated()[name], "run: python -m trailwarden.policies.generate"


def test_readme_least_privilege_block_is_the_generated_scan_policy() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Least privilege") :]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == generate.scan_policy()
    assert block.group(1) == generate.render(generate.scan_policy())


def test_check_reports_a_stale_file_and_writing_fixes_it(tmp_path: Path) -> None:
    for name, text in generate.generated().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    stale = tmp_path / generate.APPLY_POLICY_FILE
    stale.write_text("{}\n", encoding="utf-8")
    assert generate.main(["--check", "--dir", str(tmp_path)]) == 1
    assert stale.read_text(encoding="utf-8") == "{}\n"
    assert generate.main(["--dir", str(tmp_path)]) == 0
    assert generate.main(["--check", "--dir", str(tmp_path)]) == 0
    assert json.loads(stale.read_text(encoding="utf-8")) == generate.apply_policy()


def test_the_apply_policy_gathers_every_handler_and_the_access() -> None:
    actions = {
        action
        for statement in generate.apply_policy()["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert {"sts:GetCallerIdentity", "cloudwatch:PutMetricAlarm", "iam:PassRole"} <= actions
    assert "s3:CreateBucket" in actions and "organizations:EnableAWSServiceAccess" in actions


A = PolicyStatement("A")
B = PolicyStatement("B", resource="arn:aws:iam::*:role/*")
ONLY = PolicyStatement("Only", condition={"StringEquals": {"k": "v"}}, only="iam:PassRole")


def test_document_sorts_and_dedupes_actions_in_the_layout_order() -> None:
    doc = policy_document(
        [B, A, ONLY],
        [
            grant(A, "s3:Put", "s3:Get"),
            grant(A, "s3:Get"),
            grant(B, "iam:X"),
            grant(ONLY, "iam:PassRole"),
        ],
    )
    assert doc["Version"] == "2012-10-17"
    assert [s["Sid"] for s in doc["Statement"]] == ["B", "A", "Only"]
    assert doc["Statement"][1]["Action"] == ["s3:Get", "s3:Put"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:iam::*:role/*"
    assert doc["Statement"][2]["Action"] == "iam:PassRole"
    assert doc["Statement"][2]["Condition"] == {"StringEquals": {"k": "v"}}
    assert "Condition" not in doc["Statement"][1]


@pytest.mark.parametrize(
    ("grants", "problem"),
    [
        ([grant(A, "s3:Get"), grant(B, "s3:Get")], "both A and B"),
        ([grant(A, "s3:Get"), grant(PolicyStatement("Z"), "s3:Put")], "unknown statement Z"),
        ([grant(A, "s3:Get"), grant(ONLY, "iam:PassRole", "iam:GetRole")], "iam:PassRole alone"),
        ([grant(ONLY, "iam:PassRole")], "nothing declares an action for A"),
    ],
)
def test_declarations_that_cannot_make_a_policy_are_refused(
    grants: list[object], problem: str
) -> None:
    with pytest.raises(DeclarationError, match=problem):
        policy_document([A, B, ONLY], grants)  # type: ignore[arg-type]


def test_a_handler_must_declare_what_it_needs() -> None:
    with pytest.raises(TypeError, match="must declare"):
        handler("s3", "PutNothing")


def test_one_action_may_sit_in_several_single_action_statements_only() -> None:
    """Passing one role to CloudTrail and another to EventBridge are two grants of iam:PassRole,
    each with its own condition; the same action in a plain statement is still a mistake."""
    other = PolicyStatement("Other", condition={"StringEquals": {"k": "w"}}, only="iam:PassRole")
    doc = policy_document(
        [A, ONLY, other], [grant(A, "s3:Get"), *(grant(s, "iam:PassRole") for s in (ONLY, other))]
    )
    assert [s["Action"] for s in doc["Statement"][1:]] == ["iam:PassRole", "iam:PassRole"]
    with pytest.raises(DeclarationError, match="both Only and A"):
        policy_document([A, ONLY], [grant(ONLY, "iam:PassRole"), grant(A, "iam:PassRole")])
