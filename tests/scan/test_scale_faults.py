"""Faults that large organisations meet, on moto over HTTP behind the fault proxy: an operation
that fails everywhere (the circuit breaker), throttling everywhere (still backed off), and assumed
credentials that expire in the middle of a scan (refreshed, never used expired)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import moto.sts.models
import pytest
from tests.scan.seed import MANAGEMENT
from tests.support.proxy import Fault

from trailwarden.aws.session import AccessOptions, AwsAccess
from trailwarden.collect import ScanOptions, collect
from trailwarden.controls import evaluate
from trailwarden.report.findings_json import findings_document

REGIONS = ["us-east-1", "eu-west-1", "eu-west-2", "ap-south-1"]
EDS = ("cloudtrail", "ListEventDataStores")


def scan(cli: Any, *extra: str) -> tuple[dict[str, Any], str]:
    result = cli(["scan", "--org", "--regions", ",".join(REGIONS), "--output", "json", *extra])
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout), result.stderr


def test_an_operation_failing_everywhere_is_not_retried_everywhere(
    members: list[str], proxy: Any, cli: Any
) -> None:
    proxy.add_fault(Fault(service=EDS[0], operation=EDS[1], kind="http500"))
    doc, stderr = scan(cli, "--max-attempts", "8")
    scopes = [(a, r) for a in sorted([MANAGEMENT, *members]) for r in sorted(REGIONS)]
    failed = [(e["account"], e["region"]) for e in doc["errors"]]
    assert failed == scopes  # one error per affected scope, nothing else failed
    assert all("(InternalError)" in e["error"] for e in doc["errors"])
    # Unbroken, every scope would make its 1 + 8 attempts: 108 requests.
    assert proxy.count(service=EDS[0], operation=EDS[1]) < 3 * len(scopes)
    assert stderr.count("cloudtrail:ListEventDataStores kept failing with InternalError") == 1
    trail_verdicts = {f["status"] for f in doc["findings"] if f["control"] == "CloudTrail.1"}
    assert trail_verdicts == {"PASSED"}


# botocore's max_attempts counts the retries after the first call.
ATTEMPTS = 1 + 3


def test_an_error_in_one_place_is_retried_and_says_nothing(
    members: list[str], proxy: Any, cli: Any
) -> None:
    where = {"account": members[0], "region": "eu-west-1", "service": EDS[0], "operation": EDS[1]}
    proxy.add_fault(Fault(**where, kind="http500"))  # type: ignore[arg-type]
    doc, stderr = scan(cli, "--max-attempts", "3")
    assert [(e["account"], e["region"]) for e in doc["errors"]] == [(members[0], "eu-west-1")]
    assert proxy.count(**where) == ATTEMPTS
    assert "kept failing" not in stderr


def test_throttling_everywhere_still_backs_off_every_attempt(
    members: list[str], proxy: Any, cli: Any
) -> None:
    proxy.add_fault(Fault(service=EDS[0], operation=EDS[1], kind="throttle"))
    doc, stderr = scan(cli, "--max-attempts", "3")
    scopes = 3 * len(REGIONS)
    assert len(doc["errors"]) == scopes
    assert proxy.count(service=EDS[0], operation=EDS[1]) == ATTEMPTS * scopes
    assert "kept failing" not in stderr


class _Clock:
    """Scan time that jumps 59 minutes ahead after ``after`` requests into ``account`` (in the
    middle of its reads); at the jump every assumed-role key issued so far is refused by the
    proxy as expired, as AWS would."""

    def __init__(self, proxy: Any, account: str, after: int) -> None:
        self.proxy, self.account, self.after = proxy, account, after
        self.offset = timedelta(0)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            if not self.offset and self.proxy.count(account=self.account) >= self.after:
                self.offset = timedelta(minutes=59)
                for key in self.proxy.keys_seen - {"testing", ""}:
                    self.proxy.add_fault(Fault(access_key=key, kind="expired_token"))
            return datetime.now(UTC) + self.offset


def _findings(access: AwsAccess, accounts: list[str]) -> tuple[list[Any], list[Any]]:
    options = ScanOptions(accounts=accounts, regions=REGIONS, max_workers=1)
    snapshot = collect(access, options)
    doc = findings_document(evaluate(snapshot))
    return snapshot.errors, doc["findings"]


def test_credentials_expiring_mid_scan_are_refreshed_before_use(
    members: list[str], proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [MANAGEMENT, *members]
    _, clean = _findings(AwsAccess(AccessOptions()), accounts)
    proxy.reset_counts()
    clock = _Clock(proxy, members[0], after=3)
    # moto issues credentials by the same clock, so refreshed ones expire an hour after the jump.
    monkeypatch.setattr(moto.sts.models, "utcnow", lambda: clock().replace(tzinfo=None))
    errors, findings = _findings(AwsAccess(AccessOptions(), clock=clock), accounts)
    assert clock.offset  # the jump happened mid-scan
    assert errors == []
    assert proxy.faults_served["expired_token"] == 0  # no request went out with expired keys
    # Accounts are read one after another (one worker): the member read across the jump had
    # its credentials refreshed; one first read after it got keys already valid for an hour.
    assert proxy.count(service="sts", operation="AssumeRole") > len(members)
    assert findings == clean


def test_an_accounts_own_client_signs_each_call_with_current_credentials(
    members: list[str], proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What apply and verify use (a client per account, not the scan's shared ones): built once,
    it must not keep the keys it was built with once they expire."""
    clock = _Clock(proxy, members[0], after=2)
    monkeypatch.setattr(moto.sts.models, "utcnow", lambda: clock().replace(tzinfo=None))
    access = AwsAccess(AccessOptions(), clock=clock)
    cloudtrail = access.client(members[0], "us-east-1", "cloudtrail")
    for _ in range(4):  # the jump comes after the second: the last calls need fresh keys
        cloudtrail.describe_trails()
    assert clock.offset
    assert proxy.faults_served["expired_token"] == 0
    assert proxy.count(service="sts", operation="AssumeRole") == 2


def test_session_name_and_duration_reach_assume_role(members: list[str], cli: Any) -> None:
    access = AwsAccess(AccessOptions(role_session_name="auditor", duration_seconds=900))
    sts = access.client(members[0], "us-east-1", "sts")
    arn = sts.get_caller_identity()["Arn"]
    assert arn.endswith(f"{members[0]}:assumed-role/OrganizationAccountAccessRole/auditor")
    credentials = access.credentials(members[0])
    assert credentials is not None
    lifetime = credentials._expiry_time - datetime.now(UTC)  # type: ignore[attr-defined]
    assert timedelta(minutes=14) < lifetime <= timedelta(minutes=15)
    doc, _ = scan(cli, "--role-session-name", "auditor", "--duration-seconds", "900")
    assert doc["errors"] == []
