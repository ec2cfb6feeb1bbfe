"""scan --org's accounts x controls matrix and the accounts that rest on their own trail, on
hand-made snapshots (the moto-backed run is in test_org_matrix_moto.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from tests.scan.build import MEMBER, MGMT, REGIONS, make_snapshot, make_trail

from trailwarden.controls import Status, evaluate
from trailwarden.controls.coverage import account_matrix, own_trail_only, worst
from trailwarden.report import matrix
from trailwarden.report.matrix import coverage_document, render_matrix

LONE = "333333333333"
CONTROLS = [f"CloudTrail.{n}" for n in (1, 2, 3, 4, 5, 6, 7, 9, 10)] + [
    f"CloudWatch.{n}" for n in range(1, 15)
]


def _org_trail(logging: bool = True) -> Any:
    return make_trail("org", MGMT, org=True, logging=logging)


def test_worst_status_over_regions() -> None:
    assert worst([Status.PASSED, Status.FAILED, Status.NO_DATA]) is Status.FAILED
    assert worst([Status.PASSED, Status.NOT_AVAILABLE]) is Status.NOT_AVAILABLE
    assert worst([Status.NO_DATA, Status.PASSED]) is Status.PASSED
    assert worst([Status.NO_DATA]) is Status.NO_DATA
    assert worst([]) is None


def test_matrix_takes_the_worst_region_per_account_and_control() -> None:
    # The member's own trail is single-Region: CloudTrail.1 fails in both Regions; CloudTrail.3
    # passes in its home Region and fails in the other, so the worst is FAILED.
    snapshot = make_snapshot(
        [make_trail("main", MGMT), make_trail("local", MEMBER, multi=False)],
        accounts=[MGMT, MEMBER],
    )
    rows = {r.account: r for r in account_matrix(snapshot, evaluate(snapshot).findings)}
    assert rows[MGMT].statuses["CloudTrail.1"] is Status.PASSED
    assert rows[MEMBER].statuses["CloudTrail.1"] is Status.FAILED
    assert rows[MEMBER].statuses["CloudTrail.3"] is Status.FAILED
    # CloudTrail.1-10 (Security Hub retired CloudTrail.8) and CloudWatch.1-14.
    assert list(rows[MGMT].statuses) == CONTROLS


def test_accounts_carried_only_by_their_own_trail_are_listed() -> None:
    snapshot = make_snapshot(
        [_org_trail(), make_trail("main", MEMBER), make_trail("main", LONE)],
        accounts=[MGMT, MEMBER, LONE],
    )
    # The organisation trail meets CloudTrail.1 everywhere: nobody rests on their own trail.
    assert own_trail_only(snapshot, evaluate(snapshot).findings) == []

    stopped = make_snapshot(
        [
            _org_trail(logging=False),
            make_trail("main", MEMBER),
            make_trail("local", LONE, multi=False),
        ],
        accounts=[MGMT, MEMBER, LONE],
    )
    found = own_trail_only(stopped, evaluate(stopped).findings)
    # The member's own trail carries it; LONE's single-Region trail does not pass CloudTrail.1
    # at all, and the management account has only the stopped organisation trail.
    assert [(o.account, o.regions) for o in found] == [(MEMBER, sorted(REGIONS))]
    assert found[0].trails == [f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/main"]


def test_management_own_non_org_trail_counts_when_the_org_trail_is_stopped() -> None:
    snapshot = make_snapshot(
        [_org_trail(logging=False), make_trail("main", MGMT)], accounts=[MGMT, MEMBER]
    )
    found = own_trail_only(snapshot, evaluate(snapshot).findings)
    assert [o.account for o in found] == [MGMT]


def _rendered(snapshot: Any, monkeypatch: pytest.MonkeyPatch, *, pipe: bool) -> str:
    monkeypatch.setattr(matrix, "piped", lambda: pipe)
    monkeypatch.setattr("trailwarden.report.text.piped", lambda: pipe)
    out = io.StringIO()
    render_matrix(evaluate(snapshot), Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_piped_matrix_is_tab_separated_whole_values(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = make_snapshot(
        [_org_trail(logging=False), make_trail("main", MEMBER)], accounts=[MGMT, MEMBER]
    )
    lines = _rendered(snapshot, monkeypatch, pipe=True).splitlines()
    header = lines.index("# " + matrix.MATRIX_TITLE) + 1
    columns = lines[header].split("\t")
    assert columns[:4] == ["account", "name", "CloudTrail.1", "CloudTrail.2"]
    assert columns[-1] == "CloudWatch.14"
    member = next(line.split("\t") for line in lines if line.startswith(MEMBER))
    assert member[2] == "PASSED" and len(member) == len(columns)
    management = next(line.split("\t") for line in lines if line.startswith(MGMT))
    assert management[2] == "FAILED"
    own = lines.index("# " + matrix.OWN_TITLE)
    assert lines[own + 2].split("\t")[:2] == [MEMBER, ", ".join(sorted(REGIONS))]


def test_terminal_matrix_is_one_letter_per_control(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = make_snapshot([_org_trail(), make_trail("main", MEMBER)], accounts=[MGMT, MEMBER])
    text = _rendered(snapshot, monkeypatch, pipe=False)
    lines = text.splitlines()
    numbers = next(line for line in lines if line.startswith("account"))
    assert numbers.split()[1:] == [c.partition(".")[2] for c in CONTROLS]
    member = next(line for line in lines if line.startswith(MEMBER))
    # Each letter sits under its control's number: CloudTrail.1 passed, CloudTrail.3 too.
    assert member[numbers.index(" 1 ") + 1] == "P"
    assert member[numbers.index(" 3 ") + 1] == "P"
    groups = lines[lines.index(numbers) - 1]
    assert groups.index("CloudTrail") == numbers.index(" 1 ") + 1
    assert "No account rests on its own trail alone." in text
    assert matrix.LEGEND in text


def test_json_document_names_every_control_and_account() -> None:
    snapshot = make_snapshot(
        [_org_trail(logging=False), make_trail("main", MEMBER)], accounts=[MGMT, MEMBER]
    )
    doc = coverage_document(evaluate(snapshot))
    assert doc["controls"] == CONTROLS
    assert [a["account"] for a in doc["accounts"]] == [MGMT, MEMBER]
    assert doc["accounts"][1]["statuses"]["CloudTrail.1"] == "PASSED"
    assert doc["own_trail_only"] == [
        {
            "account": MEMBER,
            "regions": sorted(REGIONS),
            "trails": [f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/main"],
        }
    ]
