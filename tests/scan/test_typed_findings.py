"""Typed findings: each root-cause kind keeps its findings/1 string; gaps go with FAILED only."""

from __future__ import annotations

import pytest
from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail, owned_bucket

from trailwarden.controls import Evaluation, Gap, Status, evaluate
from trailwarden.controls.causes import (
    LakeStores,
    MissingTrail,
    RegionNotScanned,
    RootCause,
    TrailCause,
    UnreachableAccount,
)
from trailwarden.controls.cloudtrail import CT2
from trailwarden.controls.context import AccountView
from trailwarden.controls.grouping import group_failures
from trailwarden.report.findings_json import findings_document
from trailwarden.snapshot.model import EventDataStore, RegionScan, RegionState, Snapshot

TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/main"


def _every_kind() -> Snapshot:
    """MGMT: a trail, a Lake store, a Region whose trails could not be listed and an opt-in Region
    not enabled; MEMBER: no trail at all; a third account that could not be reached."""
    snap = make_snapshot(
        [make_trail(multi=False)],
        accounts=[MGMT, MEMBER],
        stores={(MGMT, "us-east-1"): [EventDataStore(arn="arn:eds/plain")]},
        region_errors={(MGMT, "eu-west-1")},
    )
    snap.regions.append(
        RegionScan(account=MGMT, region="af-south-1", state=RegionState.NOT_OPTED_IN)
    )
    gone = snap.accounts[0].model_copy(update={"account": "333333333333", "reachable": False})
    snap.accounts.append(gone)
    return snap


def test_each_root_cause_kind_serialises_as_findings_1_always_did() -> None:
    evaluation = evaluate(_every_kind())
    written = {f["root_cause"] for f in findings_document(evaluation)["findings"]}
    assert written == {
        TRAIL_ARN,
        f"no-trail:{MGMT}",  # a Region not scanned: findings/1 names the account's missing trail
        f"no-trail:{MEMBER}",
        f"lake:{MGMT}",
        "unreachable:333333333333",
    }
    kinds = {type(f.root_cause) for f in evaluation.findings}
    assert kinds == {TrailCause, MissingTrail, RegionNotScanned, LakeStores, UnreachableAccount}


@pytest.mark.parametrize(
    ("cause", "text"),
    [
        (TrailCause(TRAIL_ARN, owner=MGMT), TRAIL_ARN),
        (TrailCause(TRAIL_ARN, owner=None), TRAIL_ARN),
        (MissingTrail(MEMBER), f"no-trail:{MEMBER}"),
        (RegionNotScanned(MGMT, "eu-west-1"), f"no-trail:{MGMT}"),
        (LakeStores(MGMT), f"lake:{MGMT}"),
        (UnreachableAccount(MEMBER), f"unreachable:{MEMBER}"),
    ],
)
def test_root_cause_text_is_pinned(cause: RootCause, text: str) -> None:
    assert cause.text == text


def test_a_trail_cause_is_the_trail_whoever_is_named_its_owner() -> None:
    # Grouping keys on it: the same ARN must be one group even where the owner is unknown.
    assert TrailCause(TRAIL_ARN, owner=MGMT) == TrailCause(TRAIL_ARN, owner=None)
    assert TrailCause(TRAIL_ARN, owner=MGMT).name == "main"


def test_gap_is_set_exactly_on_failed_findings() -> None:
    evaluation = evaluate(_every_kind())
    statuses = {f.status for f in evaluation.findings}
    assert {Status.FAILED, Status.PASSED, Status.NOT_AVAILABLE} <= statuses
    for f in evaluation.findings:
        assert (f.gap is not None) == (f.status == Status.FAILED), f


def test_a_failed_finding_without_a_gap_is_refused() -> None:
    view = AccountView.all(make_snapshot([make_trail()]))[0]
    cause = TrailCause(TRAIL_ARN, owner=MGMT)

    def finding(status: Status, gap: Gap | None) -> object:
        return view.finding(
            CT2,
            status,
            region="us-east-1",
            resource=TRAIL_ARN,
            reason="r",
            root_cause=cause,
            gap=gap,
        )

    assert finding(Status.FAILED, Gap.NOT_ENCRYPTED) is not None
    with pytest.raises(ValueError):
        finding(Status.FAILED, None)
    with pytest.raises(ValueError):
        finding(Status.PASSED, Gap.NOT_ENCRYPTED)


def _gaps(evaluation: Evaluation, control: str) -> set[Gap | None]:
    return {f.gap for f in evaluation.findings if f.control == control and f.region == "us-east-1"}


def test_gaps_name_what_is_missing() -> None:
    trail = make_trail(
        kms_key_id=None,
        log_file_validation_enabled=False,
        cloudwatch_logs_log_group_arn=None,
        tags={},
        logging=False,
    )
    public = owned_bucket(str(trail.s3_bucket_name), policy_is_public=True, logging_enabled=False)
    public = public.model_copy(update={"public_access_block": {}})
    evaluation = evaluate(make_snapshot([trail], buckets={MGMT: [public]}))
    assert _gaps(evaluation, "CloudTrail.1") == {Gap.NO_QUALIFYING_TRAIL}
    assert _gaps(evaluation, "CloudTrail.2") == {Gap.NOT_ENCRYPTED}
    assert _gaps(evaluation, "CloudTrail.3") == {Gap.NOT_LOGGING}
    assert _gaps(evaluation, "CloudTrail.4") == {Gap.NO_LOG_FILE_VALIDATION}
    assert _gaps(evaluation, "CloudTrail.5") == {Gap.NO_CLOUDWATCH_LOGS}
    assert _gaps(evaluation, "CloudTrail.6") == {Gap.BUCKET_PUBLIC}
    assert _gaps(evaluation, "CloudTrail.7") == {Gap.NO_ACCESS_LOGGING}
    assert _gaps(evaluation, "CloudTrail.9") == {Gap.UNTAGGED}
    assert _gaps(evaluation, "CloudWatch.1") == {Gap.NOT_LOGGING}


def test_cloudwatch_fix_follows_the_gap_not_the_wording() -> None:
    # The trail's name holds the word the old text search looked for; its gap is NOT_LOGGING.
    trail = make_trail("subscriber-alerts", logging=False)
    groups = group_failures(evaluate(make_snapshot([trail])).findings)
    (group,) = [g for g in groups if "CloudWatch.1" in g.controls]
    assert "confirm a subscriber" not in group.fix()
    assert "add the CIS metric filters, alarms and a confirmed SNS subscriber" in group.fix()


def test_organisation_trail_fix_names_its_owner_account() -> None:
    org = make_trail("org", org=True, multi=False)
    groups = group_failures(evaluate(make_snapshot([org], accounts=[MGMT, MEMBER])).findings)
    by_account = {(g.account, g.root_cause): g for g in groups}
    member = by_account[(MEMBER, TrailCause(org.arn, owner=MGMT))]
    assert not member.owned
    assert f"fix trail org (organisation trail: fix in account {MGMT}): " in member.fix()
    own = by_account[(MGMT, TrailCause(org.arn, owner=MGMT))]
    assert own.owned and "organisation trail" not in own.fix()
