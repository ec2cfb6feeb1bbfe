"""Every branch of CloudTrail.1-7, .9, .10, built from snapshots."""

from __future__ import annotations

from typing import Any

import pytest
from tests.scan.build import (
    ALL_ADVANCED,
    MEMBER,
    MGMT,
    make_snapshot,
    make_trail,
    owned_bucket,
)

from trailwarden.controls import Gap, Status, evaluate
from trailwarden.controls.causes import MissingTrail, TrailCause
from trailwarden.snapshot.model import Bucket, EventDataStore, Snapshot


def verdicts(snap: Snapshot, control: str, account: str = MGMT) -> dict[str, Status]:
    """region (or resource) -> status for one control in one account."""
    out = {}
    for f in evaluate(snap, only=[control]).findings:
        if f.account == account:
            key = f.region if f.resource.startswith("AWS::::Account") else f.resource
            out[key] = f.status
    return out


def only_status(snap: Snapshot, control: str, account: str = MGMT) -> Status:
    found = set(verdicts(snap, control, account).values())
    assert len(found) == 1, found
    return found.pop()


# -- CloudTrail.1 --------------------------------------------------------------------------------


def test_ct1_passes_with_basic_default_selector() -> None:
    assert only_status(make_snapshot([make_trail()]), "CloudTrail.1") == Status.PASSED


def test_ct1_accepts_the_advanced_form_of_the_default_selector() -> None:
    snap = make_snapshot([make_trail(advanced=ALL_ADVANCED)])
    assert only_status(snap, "CloudTrail.1") == Status.PASSED


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"multi": False, "home": "us-east-1"}, "single-Region"),
        ({"logging": False}, "not logging"),
        (
            {"basic": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
            "write-only",
        ),
        (
            {
                "basic": [
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": True,
                        "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                    }
                ]
            },
            "excluding kms.amazonaws.com",
        ),
        ({"basic": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, "no management"),
        (
            {
                "advanced": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    }
                ]
            },
            "write-only",
        ),
        (
            {
                "advanced": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["rdsdata.amazonaws.com"]},
                        ]
                    }
                ]
            },
            "excluding rdsdata.amazonaws.com",
        ),
        ({"basic": [], "advanced": []}, "no event selectors"),
    ],
)
def test_ct1_fails_with_reason(kwargs: dict[str, Any], words: str) -> None:
    snap = make_snapshot([make_trail(**kwargs)])
    findings = evaluate(snap, only=["CloudTrail.1"]).findings
    home = [f for f in findings if f.region == "us-east-1"]
    assert home[0].status == Status.FAILED
    assert words in home[0].reason
    assert home[0].root_cause == TrailCause(make_trail(**kwargs).arn, owner=MGMT)
    assert home[0].gap == Gap.NO_QUALIFYING_TRAIL


def test_ct1_split_read_and_write_across_two_trails_fails() -> None:
    reads = make_trail("reads", basic=[{"ReadWriteType": "ReadOnly"}])
    writes = make_trail("writes", basic=[{"ReadWriteType": "WriteOnly"}])
    assert only_status(make_snapshot([reads, writes]), "CloudTrail.1") == Status.FAILED


def test_ct1_split_read_and_write_selectors_on_one_trail_fails() -> None:
    split = [
        {
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": [value]},
            ]
        }
        for value in ("true", "false")
    ]
    snap = make_snapshot([make_trail(advanced=split)])
    finding = evaluate(snap, only=["CloudTrail.1"]).findings[0]
    assert finding.status == Status.FAILED
    assert "separate selectors" in finding.reason


def test_ct1_good_trail_beside_a_stopped_single_region_trail_passes() -> None:
    # Prowler v3's false negative (docs/aws-facts/controls.md#multi-region-trails): the first trail
    # by name decided.
    stopped = make_trail("aaa-old", multi=False, logging=False)
    good = make_trail("zzz-main")
    assert only_status(make_snapshot([stopped, good]), "CloudTrail.1") == Status.PASSED


def test_ct1_shadow_of_multi_region_trail_homed_elsewhere_passes_everywhere() -> None:
    snap = make_snapshot([make_trail(home="eu-west-1")])
    assert verdicts(snap, "CloudTrail.1") == {
        "us-east-1": Status.PASSED,
        "eu-west-1": Status.PASSED,
    }


def test_ct1_organisation_trail_counts_for_a_member() -> None:
    org = make_trail("org", org=True)
    snap = make_snapshot([org], accounts=[MGMT, MEMBER])
    findings = [f for f in evaluate(snap, only=["CloudTrail.1"]).findings if f.account == MEMBER]
    assert {f.status for f in findings} == {Status.PASSED}
    assert "organisation trail" in findings[0].reason


def test_ct1_no_trail_fails_with_missing_trail_as_root_cause() -> None:
    snap = make_snapshot([], accounts=[MEMBER])
    findings = evaluate(snap, only=["CloudTrail.1"]).findings
    assert {f.status for f in findings} == {Status.FAILED}
    assert {f.root_cause for f in findings} == {MissingTrail(MEMBER)}
    assert {f.gap for f in findings} == {Gap.NO_TRAIL}


def test_ct1_unknown_status_is_not_available_never_passed() -> None:
    snap = make_snapshot([make_trail(logging=None)])
    assert only_status(snap, "CloudTrail.1") == Status.NOT_AVAILABLE


def test_ct1_unknown_selectors_is_not_available() -> None:
    snap = make_snapshot([make_trail(selectors_known=False)])
    assert only_status(snap, "CloudTrail.1") == Status.NOT_AVAILABLE


def test_ct1_region_whose_trails_could_not_be_listed_is_not_available() -> None:
    snap = make_snapshot([make_trail()], region_errors={(MGMT, "eu-west-1")})
    assert verdicts(snap, "CloudTrail.1") == {
        "us-east-1": Status.PASSED,
        "eu-west-1": Status.NOT_AVAILABLE,
    }


# -- CloudTrail.3 --------------------------------------------------------------------------------


def test_ct3_single_region_trail_covers_only_its_region() -> None:
    snap = make_snapshot([make_trail(multi=False)])
    assert verdicts(snap, "CloudTrail.3") == {
        "us-east-1": Status.PASSED,
        "eu-west-1": Status.FAILED,
    }


def test_ct3_stopped_trail_fails_and_unknown_status_is_not_available() -> None:
    assert only_status(make_snapshot([make_trail(logging=False)]), "CloudTrail.3") == Status.FAILED
    assert (
        only_status(make_snapshot([make_trail(logging=None)]), "CloudTrail.3")
        == Status.NOT_AVAILABLE
    )


def test_ct3_org_trail_counts_in_member() -> None:
    snap = make_snapshot([make_trail("org", org=True)], accounts=[MGMT, MEMBER])
    assert only_status(snap, "CloudTrail.3", MEMBER) == Status.PASSED


# -- resource-level: .2 .4 .5 .9 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "field", "bad"),
    [
        ("CloudTrail.2", "kms_key_id", None),
        ("CloudTrail.4", "log_file_validation_enabled", False),
        ("CloudTrail.5", "cloudwatch_logs_log_group_arn", None),
        ("CloudTrail.9", "tags", {"aws:cloudformation:stack-name": "x"}),
    ],
)
def test_resource_controls_pass_and_fail(control: str, field: str, bad: Any) -> None:
    assert only_status(make_snapshot([make_trail()]), control) == Status.PASSED
    assert only_status(make_snapshot([make_trail(**{field: bad})]), control) == Status.FAILED


@pytest.mark.parametrize(
    "control", ["CloudTrail.2", "CloudTrail.4", "CloudTrail.5", "CloudTrail.9"]
)
def test_resource_controls_give_no_data_for_org_trails_in_members(control: str) -> None:
    org = make_trail("org", org=True, kms_key_id=None, log_file_validation_enabled=False)
    snap = make_snapshot([org], accounts=[MGMT, MEMBER])
    assert only_status(snap, control, MEMBER) == Status.NO_DATA


def test_resource_controls_evaluate_each_owned_trail_once_in_its_home_region() -> None:
    snap = make_snapshot([make_trail(home="eu-west-1")])
    findings = evaluate(snap, only=["CloudTrail.4"]).findings
    assert [(f.region, f.status) for f in findings] == [("eu-west-1", Status.PASSED)]


def test_ct9_unreadable_tags_not_available() -> None:
    assert (
        only_status(make_snapshot([make_trail(tags=None)]), "CloudTrail.9") == Status.NOT_AVAILABLE
    )


# -- bucket controls .6 .7 -------------------------------------------------------------------------

PUBLIC_POLICY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}
NO_BPA: dict[str, bool] = {}


def bucket_status(control: str, bucket: Bucket) -> Status:
    trail = make_trail(s3_bucket_name=bucket.name)
    return only_status(make_snapshot([trail], buckets={MGMT: [bucket]}), control)


def test_ct6_private_bucket_passes() -> None:
    assert bucket_status("CloudTrail.6", owned_bucket("b")) == Status.PASSED


def test_ct6_public_policy_without_block_fails() -> None:
    b = owned_bucket("b", public_access_block=NO_BPA, policy=PUBLIC_POLICY, policy_is_public=True)
    assert bucket_status("CloudTrail.6", b) == Status.FAILED


def test_ct6_public_policy_neutralised_by_account_level_block_passes() -> None:
    b = owned_bucket(
        "b",
        public_access_block=NO_BPA,
        policy=PUBLIC_POLICY,
        policy_is_public=True,
        account_public_access_block={"RestrictPublicBuckets": True, "IgnorePublicAcls": True},
    )
    assert bucket_status("CloudTrail.6", b) == Status.PASSED


def test_ct6_public_acl_fails_unless_ignored() -> None:
    grants = [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ",
        }
    ]
    assert (
        bucket_status(
            "CloudTrail.6", owned_bucket("b", public_access_block=NO_BPA, acl_grants=grants)
        )
        == Status.FAILED
    )
    ignored = owned_bucket(
        "b",
        public_access_block={"IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        acl_grants=grants,
    )
    assert bucket_status("CloudTrail.6", ignored) == Status.PASSED


def test_ct6_policy_status_missing_falls_back_to_reading_the_policy() -> None:
    b = owned_bucket("b", public_access_block=NO_BPA, policy=PUBLIC_POLICY, policy_is_public=None)
    assert bucket_status("CloudTrail.6", b) == Status.FAILED


def test_ct6_unreadable_inputs_are_not_available() -> None:
    b = owned_bucket(
        "b",
        public_access_block=None,
        account_public_access_block=None,
        policy=None,
        policy_is_public=None,
    )
    assert bucket_status("CloudTrail.6", b) == Status.NOT_AVAILABLE


@pytest.mark.parametrize("control", ["CloudTrail.6", "CloudTrail.7"])
def test_bucket_in_another_account_is_no_data_and_of_unknown_owner_not_available(
    control: str,
) -> None:
    assert bucket_status(control, Bucket(name="b", owned=False)) == Status.NO_DATA
    assert bucket_status(control, Bucket(name="b", owned=None)) == Status.NOT_AVAILABLE


@pytest.mark.parametrize("control", ["CloudTrail.6", "CloudTrail.7"])
def test_missing_bucket_fails(control: str) -> None:
    assert bucket_status(control, Bucket(name="b", owned=False, exists=False)) == Status.FAILED


def test_ct7_access_logging() -> None:
    assert bucket_status("CloudTrail.7", owned_bucket("b")) == Status.PASSED
    assert bucket_status("CloudTrail.7", owned_bucket("b", logging_enabled=False)) == Status.FAILED
    assert (
        bucket_status("CloudTrail.7", owned_bucket("b", logging_enabled=None))
        == Status.NOT_AVAILABLE
    )


def test_bucket_shared_by_two_trails_is_evaluated_once() -> None:
    trails = [make_trail("a", s3_bucket_name="b"), make_trail("c", s3_bucket_name="b")]
    snap = make_snapshot(trails, buckets={MGMT: [owned_bucket("b")]})
    assert len(evaluate(snap, only=["CloudTrail.7"]).findings) == 1


# -- CloudTrail.10 --------------------------------------------------------------------------------


def test_ct10_no_event_data_store_no_finding() -> None:
    assert evaluate(make_snapshot([make_trail()]), only=["CloudTrail.10"]).findings == []


def test_ct10_verdicts_per_store() -> None:
    stores = [
        EventDataStore(arn="arn:eds/plain"),
        EventDataStore(arn="arn:eds/cmk", kms_key_id="k", key_manager="CUSTOMER"),
        EventDataStore(arn="arn:eds/aws", kms_key_id="k2", key_manager="AWS"),
        EventDataStore(arn="arn:eds/unknown", kms_key_id="k3"),
    ]
    snap = make_snapshot([make_trail()], stores={(MGMT, "us-east-1"): stores})
    assert verdicts(snap, "CloudTrail.10") == {
        "arn:eds/plain": Status.FAILED,
        "arn:eds/cmk": Status.PASSED,
        "arn:eds/aws": Status.FAILED,
        "arn:eds/unknown": Status.NOT_AVAILABLE,
    }


def test_ct10_listing_failed_is_not_available() -> None:
    snap = make_snapshot([make_trail()], stores={(MGMT, "us-east-1"): None})
    assert verdicts(snap, "CloudTrail.10") == {"us-east-1": Status.NOT_AVAILABLE}


def test_opt_in_regions_not_enabled_are_no_data_for_account_level_controls() -> None:
    from trailwarden.snapshot.model import RegionScan, RegionState

    snap = make_snapshot([make_trail()])
    snap.regions.append(
        RegionScan(account=MGMT, region="af-south-1", state=RegionState.NOT_OPTED_IN)
    )
    for control in ("CloudTrail.1", "CloudTrail.3"):
        assert verdicts(snap, control)["af-south-1"] == Status.NO_DATA
    assert "af-south-1" not in verdicts(snap, "CloudWatch.1")


def test_ct9_required_tag_keys_parameter() -> None:
    from trailwarden.controls import ControlParams

    snap = make_snapshot([make_trail(tags={"owner": "security", "env": "prod"})])

    def status(keys: tuple[str, ...]) -> Status:
        findings = evaluate(snap, only=["CloudTrail.9"], params=ControlParams(keys)).findings
        return findings[0].status

    assert status(()) == Status.PASSED
    assert status(("owner", "env")) == Status.PASSED
    assert status(("owner", "cost-centre")) == Status.FAILED
