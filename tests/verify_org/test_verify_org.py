"""``verify PLAN --org`` on the moto server: coverage per account, the organisation trail, the
guardrail SCP, the conformance pack and the EventBridge rule, each PASS/FAIL/NOT_AVAILABLE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.verify_org.world import MANAGEMENT, REGIONS, build

from trailwarden.trailstore import layout


def run(cli: Any, plan: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli(["verify", str(plan), "--org", "--output", "json", *extra])
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout)


def rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["account"]: row for row in doc["accounts"]}


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["check"]: c["status"] for c in doc["checks"]}


def test_everything_in_place_passes(aws: str, cli: Any, tmp_path: Path) -> None:
    world = build()
    world.land_everywhere()
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 0, doc
    assert doc["schema"] == "trailwarden.verify-org/1" and doc["ok"] is True
    assert doc["regions"] == REGIONS
    assert set(statuses(doc).values()) == {"PASS"}
    assert set(statuses(doc)) == {
        "organisation trail exists",
        "organisation trail covers every account and Region",
        "organisation trail logging",
        "organisation accounts listed",
        "guardrail SCP content as planned",
        "guardrail SCP attached as planned",
        "conformance pack deployed",
        "EventBridge rule as planned",
        "EventBridge rule targets the topic",
    }
    by_account = rows(doc)
    assert set(by_account) == {MANAGEMENT, *world.members}
    for account, row in by_account.items():
        assert row["status"] == "PASS" and row["covered_by"] == "org-trail"
        assert row["regions_with_files"] == REGIONS
        assert row["api_calls"] == len(REGIONS)  # one listing per account-Region
        assert f"AWSLogs/{world.org_id}/{account}/CloudTrail/REGION/" in row["evidence"]
    assert by_account[MANAGEMENT]["scp"] == "exempt (management account)"
    assert by_account[world.members[0]]["scp"] == f"via root {world.root}"
    assert doc["counts"] == {"PASS": 9 + 3, "FAIL": 0, "NOT_AVAILABLE": 0}
    # Nothing is read in the members: every call goes to the management account.
    assert set(doc["api_calls"]["by_account_called"]) == {MANAGEMENT}


def test_an_account_without_a_file_in_one_region_fails_naming_it(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    world = build()
    for account in [MANAGEMENT, *world.members]:
        world.land(account, "us-east-1")
    missing = world.members[1]
    for account in (MANAGEMENT, world.members[0]):
        world.land(account, "eu-west-1")
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1 and doc["ok"] is False
    row = rows(doc)[missing]
    assert row["status"] == "FAIL" and row["regions_with_files"] == ["us-east-1"]
    assert "no log file since" in row["evidence"] and "in eu-west-1 under" in row["evidence"]
    assert rows(doc)[world.members[0]]["status"] == "PASS"
    assert set(statuses(doc).values()) == {"PASS"}  # only the coverage of one account fails


def test_a_file_from_before_start_logging_does_not_count(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    world = build(members=1)
    world.land_everywhere()
    old = datetime.now(UTC) - timedelta(days=2)
    late = world.members[0]
    world.files.clear()
    # Replace the member's eu-west-1 file by one delivered two days before logging started.
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket="org-trail-logs", Prefix=f"AWSLogs/{world.org_id}/{late}/")
    for obj in listed["Contents"]:
        if "/eu-west-1/" in obj["Key"]:
            s3.delete_object(Bucket="org-trail-logs", Key=obj["Key"])
    world.land(late, "eu-west-1", old)
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1
    assert rows(doc)[late]["regions_with_files"] == ["us-east-1"]


def test_a_key_prefix_is_read_from_the_trail(aws: str, cli: Any, tmp_path: Path) -> None:
    world = build(members=1, prefix="org/logs")
    world.land_everywhere()
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 0, doc
    assert "s3://org-trail-logs/org/logs/AWSLogs/" in rows(doc)[MANAGEMENT]["evidence"]


def test_regions_option_overrides_the_plan(aws: str, cli: Any, tmp_path: Path) -> None:
    world = build(members=1)
    for account in (MANAGEMENT, *world.members):
        world.land(account, "us-east-1")
    plan = world.save(tmp_path / "plan.json")
    assert run(cli, plan)[0] == 1  # the plan expects eu-west-1 too
    code, doc = run(cli, plan, "--regions", "us-east-1")
    assert code == 0 and doc["regions"] == ["us-east-1"]


def test_logs_since_puts_earlier_files_before_and_later_after() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 3, 1, 10, 30, 15, tzinfo=UTC)
    folder, after = layout.logs_since("p", "o-abcdefghij", "111111111111", "eu-west-1", start)
    assert folder == "p/AWSLogs/o-abcdefghij/111111111111/CloudTrail/eu-west-1/"

    def key(when: datetime) -> str:
        return layout.log_key("p", "o-abcdefghij", "111111111111", "eu-west-1", when, "x")

    assert key(start - timedelta(minutes=1)) < after
    assert key(start - timedelta(days=1)) < after
    assert key(start) > after and key(start + timedelta(hours=20)) > after
    assert all(k.startswith(folder) for k in (key(start), after))


def test_an_account_created_after_the_trail_is_covered_once_its_file_lands(
    aws: str, tmp_path: Path
) -> None:
    import time

    from tests.apply.support import access
    from tests.verify_org.world import create_account

    from trailwarden.verify.org import verify_org

    world = build(members=1)
    world.land_everywhere()
    time.sleep(1.1)  # StartLoggingTime has whole seconds: join strictly later
    newcomer = create_account("newcomer")
    plan = world.plan()
    first = verify_org(access(), plan)
    row = next(r for r in first.accounts if r.member.account == newcomer)
    assert row.status == "FAIL" and row.covered_by == "org-trail"
    assert "covered without any step" in row.note
    landed: list[float] = []

    def sleep(seconds: float) -> None:  # the next delivery lands while verify waits
        landed.append(seconds)
        for region in REGIONS:
            world.land(newcomer, region)

    report = verify_org(access(), plan, wait_s=60, interval_s=5, sleep=sleep)
    assert report.ok and report.attempts == 2 and landed == [5]
    row = next(r for r in report.accounts if r.member.account == newcomer)
    assert row.status == "PASS" and "covered without any step" in row.note
    assert not next(r for r in report.accounts if r.member.account == MANAGEMENT).note


def test_a_detached_scp_fails_and_says_where(aws: str, cli: Any, tmp_path: Path) -> None:
    import boto3

    world = build(members=1)
    world.land_everywhere()
    boto3.client("organizations").detach_policy(PolicyId=world.policy_id, TargetId=world.root)
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1
    check = next(c for c in doc["checks"] if c["check"] == "guardrail SCP attached as planned")
    assert check["status"] == "FAIL" and world.root in check["evidence"]
    assert statuses(doc)["guardrail SCP content as planned"] == "PASS"
    assert rows(doc)[world.members[0]]["scp"] == "not attached"


def test_an_scp_on_an_ou_reaches_the_accounts_below_it(aws: str, cli: Any, tmp_path: Path) -> None:
    import boto3

    world = build(members=2)
    world.land_everywhere()
    org = boto3.client("organizations")
    ou = org.create_organizational_unit(ParentId=world.root, Name="workloads")
    ou_id = ou["OrganizationalUnit"]["Id"]
    inner = org.create_organizational_unit(ParentId=ou_id, Name="inner")["OrganizationalUnit"]
    org.move_account(
        AccountId=world.members[1], SourceParentId=world.root, DestinationParentId=inner["Id"]
    )
    org.detach_policy(PolicyId=world.policy_id, TargetId=world.root)
    org.attach_policy(PolicyId=world.policy_id, TargetId=ou_id)
    code, doc = run(cli, world.save(tmp_path / "plan.json", guardrail=None))
    assert code == 0  # no guardrail planned: nothing to prove about it
    assert "guardrail SCP: not planned" in doc["notes"]
    assert rows(doc)[world.members[1]]["scp"] == "not planned"
    plan = world.plan()
    assert plan.organization is not None and plan.organization.guardrail is not None
    guardrail = plan.organization.guardrail.model_copy(update={"targets": [ou_id]})
    code, doc = run(cli, world.save(tmp_path / "ou.json", guardrail=guardrail))
    assert code == 0, doc
    assert rows(doc)[world.members[1]]["scp"] == f"via {ou_id}"
    assert rows(doc)[world.members[0]]["scp"] == "not attached"


def test_drift_not_planned_and_drift_not_as_planned(aws: str, cli: Any, tmp_path: Path) -> None:
    import boto3

    world = build(members=1)
    world.land_everywhere()
    code, doc = run(cli, world.save(tmp_path / "none.json", drift=None))
    assert code == 0 and "conformance pack deployed" not in statuses(doc)
    assert any("drift detection" in n and "not planned" in n for n in doc["notes"])
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(Name="trailwarden-trail-drift", EventPattern=json.dumps({"source": ["x"]}))
    events.remove_targets(Rule="trailwarden-trail-drift", Ids=["alarm-topic"])
    boto3.client("config", region_name="us-east-1").delete_organization_conformance_pack(
        OrganizationConformancePackName="trailwarden-cloudtrail"
    )
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1
    got = {c["check"]: c for c in doc["checks"]}
    assert got["conformance pack deployed"]["status"] == "FAIL"
    assert "no organisation conformance pack" in got["conformance pack deployed"]["evidence"]
    assert got["EventBridge rule as planned"]["status"] == "FAIL"
    assert "EventPattern differs" in got["EventBridge rule as planned"]["evidence"]
    assert got["EventBridge rule targets the topic"]["status"] == "FAIL"


def test_a_plan_without_organization_is_one_line_exit_2(aws: str, cli: Any, tmp_path: Path) -> None:
    world = build(members=0)
    path = tmp_path / "plan.json"
    path.write_text(world.plan().model_copy(update={"organization": None}).to_json())
    result = cli(["verify", str(path), "--org"])
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "trailwarden: error: the plan has no organization section: make one with plan --org-trail"
    ]


def test_text_output_pipes_one_tab_separated_row_per_account(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    world = build(members=1)
    world.land_everywhere()
    result = cli(["verify", str(world.save(tmp_path / "plan.json")), "--org"])
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines.index("status\taccount\tname\tcovered by\tRegions with files\tSCP\tevidence")
    table = lines[header + 1 : header + 3]
    assert sorted(line.split("\t")[1] for line in table) == sorted([MANAGEMENT, *world.members])
    assert all(line.split("\t")[4] == "2/2" for line in table)
    assert any(line.startswith("PASS organisation organisation trail logging:") for line in lines)
    assert lines[-1].startswith("organisation verified: 11/11 after 1 attempt(s)")


def test_the_bucket_is_read_in_the_log_archive_account(aws: str, cli: Any, tmp_path: Path) -> None:
    world = build(members=1, log_archive=True)
    assert world.log_archive is not None
    world.land_everywhere()
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 0, doc
    assert statuses(doc)["log-archive account readable"] == "PASS"
    called = doc["api_calls"]["by_account_called"]
    listings = sum(doc["api_calls"]["per_member_account"].values())
    assert listings == 3 * len(REGIONS)
    # Every listing went to the log-archive account (plus its one GetBucketLocation).
    assert called[world.log_archive] == listings + 1


def test_a_log_archive_account_that_cannot_be_assumed_is_named(
    aws: str, cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from tests.support.proxy import Fault, latency_proxy

    world = build(members=1, log_archive=True)
    world.land_everywhere()
    plan = world.save(tmp_path / "plan.json")
    with latency_proxy(aws, delay_s=0.0) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        proxy.add_fault(Fault(service="sts", operation="AssumeRole"))
        code, doc = run(cli, plan)
    assert code == 1 and doc["ok"] is False
    check = next(c for c in doc["checks"] if c["check"] == "log-archive account readable")
    assert check["status"] == "NOT_AVAILABLE" and world.log_archive in check["evidence"]
    for row in doc["accounts"]:
        assert row["status"] == "NOT_AVAILABLE" and world.log_archive in row["evidence"]
        assert row["regions_with_files"] == [] and row["api_calls"] == 0
    assert statuses(doc)["organisation trail logging"] == "PASS"  # the rest is still proved


def test_what_cannot_be_read_is_not_available_never_pass(
    aws: str, cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from tests.support.proxy import Fault, latency_proxy

    world = build(members=1)
    world.land_everywhere()
    plan = world.save(tmp_path / "plan.json")
    with latency_proxy(aws, delay_s=0.0) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        proxy.add_fault(Fault(service="events"))
        proxy.add_fault(Fault(service="s3", operation="ListObjectsV2", region="us-east-1"))
        code, doc = run(cli, plan, "--max-attempts", "1")
    assert code == 1
    got = statuses(doc)
    assert got["EventBridge rule as planned"] == "NOT_AVAILABLE"
    assert got["EventBridge rule targets the topic"] == "NOT_AVAILABLE"
    assert got["organisation trail logging"] == "PASS"
    for row in doc["accounts"]:
        assert row["status"] == "NOT_AVAILABLE", row
        assert "cannot read" in row["regions_unreadable"]["us-east-1"]


def test_every_page_of_accounts_is_read(aws: str, cli: Any, tmp_path: Path) -> None:
    import boto3

    from trailwarden.verify.org import list_members

    world = build(members=24)
    organizations = boto3.client("organizations")
    assert "NextToken" in organizations.list_accounts(MaxResults=10)  # three pages of ten
    members = list_members(organizations, page_size=10)
    assert sorted(m.account for m in members) == sorted([MANAGEMENT, *world.members])
    world.land_everywhere()
    code, doc = run(cli, world.save(tmp_path / "plan.json"), "--max-workers", "4")
    assert code == 0, doc
    assert len(doc["accounts"]) == 25 and all(r["status"] == "PASS" for r in doc["accounts"])


def test_a_missing_trail_fails_every_account_and_says_why(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    import boto3

    world = build(members=1)
    world.land_everywhere()
    boto3.client("cloudtrail", region_name="us-east-1").delete_trail(Name="org-trail")
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1
    got = statuses(doc)
    assert got["organisation trail exists"] == "FAIL"
    assert got["organisation trail logging"] == "FAIL"
    for row in doc["accounts"]:
        assert row["status"] == "FAIL" and row["covered_by"] == "none"
        assert row["evidence"] == "no file can be proved: the organisation trail does not exist"
        assert row["api_calls"] == 0


def test_a_trail_that_is_not_an_organisation_trail_covers_nobody(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    import boto3

    world = build(members=1)
    world.land_everywhere()
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    cloudtrail.update_trail(Name=world.trail_arn, IsOrganizationTrail=False)
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 1
    check = next(c for c in doc["checks"] if c["check"].endswith("every account and Region"))
    assert check["status"] == "FAIL" and "IsOrganizationTrail False" in check["evidence"]
    assert {r["covered_by"] for r in doc["accounts"]} == {"none"}


def test_an_account_that_is_not_active_is_not_expected_to_log(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    import boto3

    world = build(members=2)
    world.land_everywhere()
    closed = world.members[1]
    boto3.client("organizations").close_account(AccountId=closed)
    listed = boto3.client("organizations").list_accounts()["Accounts"]
    assert next(a for a in listed if a["Id"] == closed)["Status"] != "ACTIVE"
    code, doc = run(cli, world.save(tmp_path / "plan.json"))
    assert code == 0, doc
    assert set(rows(doc)) == {MANAGEMENT, world.members[0]}
