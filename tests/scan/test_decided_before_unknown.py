"""A fact that decides wins over a read that failed (issue 14, item 4): when a trail already cannot
qualify, an unreadable status or selectors must not turn FAILED into NOT_AVAILABLE."""

from __future__ import annotations

from typing import Any

import pytest
from tests.scan.build import make_snapshot, make_trail
from tests.scan.test_controls_cloudwatch import chain

from trailwarden.controls import Status, evaluate
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.snapshot.model import LogGroup, Trail

WRITE_ONLY = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
ACCOUNT_CONTROLS = ["CloudTrail.1", *(c.control_id for c in CIS_CONTROLS)]

# (what decides, the read that failed): the failed read never carries the deciding fact.
CASES = [
    pytest.param({"multi": False}, {"logging": None}, id="single-Region, status unread"),
    pytest.param(
        {"multi": False}, {"selectors_known": False}, id="single-Region, selectors unread"
    ),
    pytest.param({"logging": False}, {"selectors_known": False}, id="stopped, selectors unread"),
    pytest.param({"basic": WRITE_ONLY}, {"logging": None}, id="write-only, status unread"),
]


def home_statuses(trail: Trail, group: LogGroup | None, controls: list[str]) -> dict[str, Status]:
    groups = {trail.account: [group]} if group is not None else None
    snap = make_snapshot([trail], regions=[trail.home_region], groups=groups)
    return {f.control: f.status for f in evaluate(snap, only=controls).findings}


@pytest.mark.parametrize(("decides", "unread"), CASES)
def test_a_trail_that_cannot_qualify_fails_every_account_control(
    decides: dict[str, Any], unread: dict[str, Any]
) -> None:
    trail = make_trail(**decides, **unread)
    found = home_statuses(trail, chain(trail), ACCOUNT_CONTROLS)
    assert found == dict.fromkeys(ACCOUNT_CONTROLS, Status.FAILED)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"cloudwatch_logs_log_group_arn": None}, id="no CloudWatch Logs"),
        pytest.param({"exists": False}, id="log group missing"),
        pytest.param({"metric_filters": []}, id="no metric filter"),
    ],
)
@pytest.mark.parametrize("unread", [{"logging": None}, {"selectors_known": False}])
def test_a_missing_link_further_down_fails_cloudwatch_despite_an_unread_trail(
    broken: dict[str, Any], unread: dict[str, Any]
) -> None:
    trail_fields = {k: v for k, v in broken.items() if k == "cloudwatch_logs_log_group_arn"}
    trail = make_trail(**trail_fields, **unread)
    group = None if trail_fields else chain(trail, **broken)
    controls = [c.control_id for c in CIS_CONTROLS]
    assert home_statuses(trail, group, controls) == dict.fromkeys(controls, Status.FAILED)


@pytest.mark.parametrize("unread", [{"logging": None}, {"selectors_known": False}])
def test_an_unread_trail_that_could_qualify_stays_not_available(unread: dict[str, Any]) -> None:
    trail = make_trail(**unread)
    found = home_statuses(trail, chain(trail), ACCOUNT_CONTROLS)
    assert found == dict.fromkeys(ACCOUNT_CONTROLS, Status.NOT_AVAILABLE)
