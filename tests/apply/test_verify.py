"""``verify`` on the moto server: nothing is proven before delivery; after the demo's simulated
delivery (signed digests) and a confirmed subscriber every check passes; tampering is caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.apply.support import HOME, access, apply, confirm_all, make_plan, not_passing, scan

from trailwarden.apply.runner import ApplyReport
from trailwarden.demo.delivery import fix_accounts, simulate_delivery
from trailwarden.plan.model import Plan, save_plan
from trailwarden.trailstore.fixtures import FixtureKey
from trailwarden.verify import parse_duration, verify_plan
from trailwarden.verify.checks import Check

pytestmark = pytest.mark.slow


def applied_plan(tmp_path: Path) -> tuple[Plan, Path, ApplyReport]:
    plan = make_plan()
    report = apply(plan)
    assert report.failed is None
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    return plan, path, report


def by_name(checks: list[dict[str, str]]) -> dict[str, str]:
    return {c["check"]: c["status"] for c in checks}


def test_verify_fails_before_delivery_and_passes_after(aws: str, cli: Any, tmp_path: Path) -> None:
    plan, path, applied = applied_plan(tmp_path)
    before = cli(["verify", str(path), "--output", "json"])
    assert before.code == 1, before.stderr
    doc = json.loads(before.stdout)
    assert doc["schema"] == "trailwarden.verify/1" and doc["ok"] is False
    (account,) = doc["accounts"]
    status = by_name(account["checks"])
    assert status["logging"] == "PASS" and status["selectors as planned"] == "PASS"
    assert status["CIS filters and alarms as planned"] == "PASS"
    assert status["log file delivered"] == "FAIL" and status["digest file validates"] == "FAIL"
    assert status["events in CloudWatch Logs"] == "FAIL"
    assert status["confirmed subscriber"] == "FAIL"  # the e-mail is not confirmed yet

    key = FixtureKey.generate()
    (acct,) = plan.accounts
    delivery = simulate_delivery(access(), acct, key=key)
    assert delivery.log_files and delivery.digest_files and delivery.log_events == 3
    s3 = boto3.client("s3", region_name=HOME)
    head = s3.head_object(Bucket=delivery.bucket, Key=delivery.digest_files[0])
    assert head["Metadata"]["trailwarden-simulated"] == "demo"  # labelled as the simulator's
    confirm_all(applied)  # the recipient clicks the link
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.pem())
    # Without the fixture key verify asks ListPublicKeys, which moto lacks: the digest check fails.
    no_key = cli(["verify", str(path), "--output", "json"])
    assert by_name(json.loads(no_key.stdout)["accounts"][0]["checks"])["digest file validates"] == (
        "FAIL"
    )
    after = cli(["verify", str(path), "--public-key", str(pem)])
    assert after.code == 0, after.stdout + after.stderr
    assert "all checks pass: 8/8" in after.stdout
    assert "1/1 digest(s) and 2/2 log file(s) valid" in after.stdout

    # Tamper with a delivered log file: the digest chain no longer validates.
    s3.put_object(Bucket=delivery.bucket, Key=delivery.log_files[0], Body=b"tampered")
    tampered = cli(["verify", str(path), "--public-key", str(pem)])
    assert tampered.code == 1
    assert "FAIL 123456789012 digest file validates" in tampered.stdout


def test_wait_polls_until_everything_passes(aws: str, tmp_path: Path) -> None:
    plan, _, applied = applied_plan(tmp_path)
    confirm_all(applied)
    key = FixtureKey.generate()
    attempts: list[list[Check]] = []
    slept: list[float] = []
    clock = iter(range(0, 10_000, 10))

    def deliver_after_first(checks: list[Check]) -> None:
        attempts.append(checks)
        if len(attempts) == 1:
            simulate_delivery(access(), plan.accounts[0], key=key)

    result = verify_plan(
        access(),
        plan,
        public_keys=[key.public()],
        wait_s=parse_duration("20m"),
        interval_s=30,
        on_attempt=deliver_after_first,
        sleep=slept.append,
        clock=lambda: float(next(clock)),
    )
    assert result.ok and result.attempts == 2 and slept == [30]
    assert not all(c.status == "PASS" for c in attempts[0])


def test_bad_wait_is_a_one_line_error(cli: Any, tmp_path: Path) -> None:
    result = cli(["verify", str(tmp_path / "missing.json")])
    assert result.code == 2 and "plan file not found" in result.stderr
    path = tmp_path / "plan.json"
    save_plan(Plan.model_validate({"generated_at": "2026-11-24T10:00:00Z"}), path)
    result = cli(["verify", str(path), "--wait", "soon"])
    assert result.code == 2
    assert result.stderr.strip() == (
        "trailwarden: error: --wait 'soon' is not a duration like 90s, 20m or 1h"
    )


def test_fix_accounts_is_the_demo_hook(aws: str) -> None:
    assert not_passing(scan())  # the fresh account fails
    fix = fix_accounts(
        access(), scan(), {"home_region": HOME, "alarm_email": ["sec@example.com"]},
        ["123456789012"],
    )  # fmt: skip
    assert fix.apply.failed is None and fix.confirmed_subscriptions
    assert fix.verification.ok, [c for c in fix.verification.checks if c.status != "PASS"]
    calls = fix.api_calls["123456789012"]
    assert (
        calls["plan checks"] > 0 and calls["apply"] > calls["plan checks"] and calls["verify"] > 0
    )
    assert not_passing(scan()) == []
