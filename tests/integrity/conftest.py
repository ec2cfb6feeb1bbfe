"""Fixtures for validation tests: a signing key, a trail bucket on moto, and the AWS CLI oracle.

Teaching moto: moto 5.2.5 has no CloudTrail ``ListPublicKeys``. ``public_keys`` adds that one
action to moto's CloudTrail responses (the server runs in this process), answering with the
fixture keys whose validity overlaps the asked range, as CloudTrail does. Nothing else is patched.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.cloudtrail.responses import CloudTrailResponse

from trailwarden.trailstore.fixtures import Delivery, FixtureKey, s3_sink, write_trail_delivery

BUCKET = "ct-fixture-bucket"
ACCOUNT = "123456789012"
TRAIL = "management-events"
ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL}"
START = datetime(2025, 6, 1, tzinfo=UTC)
ORACLE = Path(__file__).with_name("oracle_cli.py")

_TAUGHT_KEYS: list[FixtureKey] = []


def _list_public_keys(self: CloudTrailResponse) -> str:
    start = float(self._get_param("StartTime") or 0)
    end = float(self._get_param("EndTime") or 4102444800)
    keys = []
    for key in _TAUGHT_KEYS:
        entry = key.list_public_keys_entry()
        lo, hi = entry["ValidityStartTime"].timestamp(), entry["ValidityEndTime"].timestamp()
        if lo <= end and hi >= start:
            keys.append(
                {
                    "Value": base64.b64encode(key.der).decode(),
                    "ValidityStartTime": lo,
                    "ValidityEndTime": hi,
                    "Fingerprint": key.fingerprint,
                }
            )
    return json.dumps({"PublicKeyList": keys})


@pytest.fixture
def public_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FixtureKey]]:
    """Keys moto's (taught) ListPublicKeys returns; append to it in the test."""
    monkeypatch.setattr(CloudTrailResponse, "list_public_keys", _list_public_keys, raising=False)
    _TAUGHT_KEYS.clear()
    yield _TAUGHT_KEYS
    _TAUGHT_KEYS.clear()


@pytest.fixture(scope="session")
def signing_key() -> FixtureKey:
    return FixtureKey.generate()


@dataclass
class TrailBucket:
    """A trail and its bucket on the moto server, filled by the fixture generator."""

    s3: Any
    org_id: str | None = None
    delivery: Delivery | None = None
    prefix: str = ""
    keys: list[FixtureKey] = field(default_factory=list)

    def deliver(
        self, accounts: list[str], regions: list[str], hours: int, key: FixtureKey, **options: Any
    ) -> Delivery:
        for account in accounts:
            self.delivery = write_trail_delivery(
                s3_sink(self.s3, BUCKET),
                account,
                regions,
                START,
                hours,
                key,
                org_id=self.org_id,
                prefix=self.prefix,
                bucket=BUCKET,
                trail_name=TRAIL,
                home_region="us-east-1",
                delivery=self.delivery,
                **options,
            )
        assert self.delivery is not None
        return self.delivery

    def body(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def metadata(self, key: str) -> dict[str, str]:
        return dict(self.s3.head_object(Bucket=BUCKET, Key=key)["Metadata"])

    def put(self, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata or {})

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=BUCKET, Key=key)


def make_trail_bucket(org_id: str | None = None, prefix: str = "") -> TrailBucket:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name=TRAIL,
        S3BucketName=BUCKET,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        IsOrganizationTrail=org_id is not None,
        **({"S3KeyPrefix": prefix} if prefix else {}),
    )
    return TrailBucket(s3, org_id, prefix=prefix)


@pytest.fixture
def trail_bucket(aws: str, public_keys: list[FixtureKey]) -> TrailBucket:
    return make_trail_bucket()


# --- the AWS CLI as oracle --------------------------------------------------------------------

LINE = re.compile(r"^(\(backfill\) )?(Digest|Log) file\ts3://([^/]+)/(.+)\tINVALID: (.*)$")
GAP = re.compile(
    r"^(?:\(backfill\) )?No log files were delivered by CloudTrail between (\S+) and (\S+)$"
)
VALID = re.compile(r"^(?:\(backfill\) )?(Digest|Log) file\ts3://([^/]+)/(.+)\tvalid$")
RATIO = re.compile(r"^(\d+)/(\d+) (?:backfill )?(digest|log) files valid")


@dataclass
class Verdicts:
    """What one validation said, in comparable form."""

    invalid: set[tuple[str, str, str, str]] = field(default_factory=set)  # kind, bucket, key, why
    # Every verdict, valid ones included, as a multiset (a log listed by two digests counts twice).
    items: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    gaps: list[tuple[str, str, str, str]] = field(default_factory=list)  # acct, region, from, to
    counts: dict[str, list[int]] = field(default_factory=lambda: {"digest": [0, 0], "log": [0, 0]})
    exit_code: int = 0


def run_aws_cli(
    endpoint: str,
    keys: list[FixtureKey],
    org_id: str | None,
    account: str,
    region: str,
    start: datetime,
    end: datetime,
    tmp: Path,
) -> tuple[int, str, str]:
    config = tmp / "oracle.json"
    config.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "fingerprint": k.fingerprint,
                        "der_b64": base64.b64encode(k.der).decode(),
                        "valid_from": k.list_public_keys_entry()["ValidityStartTime"].timestamp(),
                        "valid_to": k.list_public_keys_entry()["ValidityEndTime"].timestamp(),
                    }
                    for k in keys
                ],
                "org_id": org_id,
            }
        )
    )
    args = [
        "cloudtrail",
        "validate-logs",
        "--trail-arn",
        ARN,
        "--region",
        region,
        "--start-time",
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--verbose",  # also list valid files, so verdicts compare item by item
    ]
    if org_id:
        args += ["--account-id", account]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.run(
        [sys.executable, str(ORACLE), str(config), "--", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def aws_cli_verdicts(
    endpoint: str,
    keys: list[FixtureKey],
    org_id: str | None,
    chains: list[tuple[str, str]],
    start: datetime,
    end: datetime,
    tmp: Path,
) -> Verdicts:
    """One CLI run per (account, Region) chain, merged: the CLI validates one chain per run."""
    out = Verdicts()
    for account, region in chains:
        code, stdout, stderr = run_aws_cli(endpoint, keys, org_id, account, region, start, end, tmp)
        assert code in (0, 1), f"AWS CLI failed ({code}):\n{stdout}\n{stderr}"
        out.exit_code = max(out.exit_code, code)
        for line in stderr.splitlines():
            if m := LINE.match(line):
                out.invalid.add((m[2].lower(), m[3], m[4], m[5]))
                out.items[(m[2].lower(), m[3], m[4], m[5])] += 1
            elif m := GAP.match(line):
                out.gaps.append((account, region, m[1], m[2]))
            elif line.strip():
                raise AssertionError(f"unexpected AWS CLI stderr line: {line!r}")
        for line in stdout.splitlines():
            if m := VALID.match(line):
                out.items[(m[1].lower(), m[2], m[3], "valid")] += 1
            if m := RATIO.match(line):
                out.counts[m[3]][0] += int(m[1])
                out.counts[m[3]][1] += int(m[2])
    return out


def trailwarden_verdicts(doc: dict[str, Any], code: int) -> Verdicts:
    out = Verdicts(exit_code=code)
    for item in doc["items"]:
        if item["strict"]:
            continue
        if item["status"] == "INVALID":
            out.invalid.add((item["kind"], item["bucket"], item["key"], item["reason"]))
        verdict = item["reason"] if item["status"] == "INVALID" else "valid"
        out.items[(item["kind"], item["bucket"], item["key"], verdict)] += 1
    out.gaps = [(g["account"], g["region"], g["from"], g["to"]) for g in doc["gaps"]]
    summary = doc["summary"]
    out.counts = {
        "digest": [summary["digests_valid"], summary["digests_total"]],
        "log": [summary["logs_valid"], summary["logs_total"]],
    }
    return out


def end_of(hours: int) -> datetime:
    return START + timedelta(hours=hours + 2)
