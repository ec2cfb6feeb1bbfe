"""Every AWS operation ``verify --org`` makes is in verify-policy.json (recorded, not predicted)."""

from __future__ import annotations

import boto3
from tests.apply.support import access
from tests.apply.test_canary_policy import IAM_ACTION, shipped
from tests.verify_org.world import build

from trailwarden.verify.org import verify_org

# Granted by the caller's own identity policy and the target role's trust, which trailwarden
# does not ship (as for scan); GetCallerIdentity needs no grant at all.
NOT_IN_POLICY = {("sts", "AssumeRole")}


def test_every_recorded_verify_org_call_is_in_the_policy(aws: str) -> None:
    world = build(members=2, log_archive=True)
    world.land_everywhere()
    org = boto3.client("organizations")
    ou = org.create_organizational_unit(ParentId=world.root, Name="workloads")
    ou_id = ou["OrganizationalUnit"]["Id"]
    org.attach_policy(PolicyId=world.policy_id, TargetId=ou_id)  # ListChildren is walked too
    counting = access()
    report = verify_org(counting, world.plan())
    assert report.ok, [c for c in report.all_checks if c.status != "PASS"]
    recorded = {(service, op) for (_, service, op) in counting.calls} - NOT_IN_POLICY
    assert {("organizations", "ListChildren"), ("s3", "ListObjectsV2")} <= recorded
    actions = {IAM_ACTION.get(call, f"{call[0]}:{call[1]}") for call in recorded}
    assert sorted(actions - shipped()) == []
