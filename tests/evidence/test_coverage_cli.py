"""`evidence coverage` against a trail bucket on moto over HTTP: hours, gaps, why, validation."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import timedelta
from typing import Any

from tests.integrity.conftest import ACCOUNT, ARN, START, TrailBucket
from tests.integrity.test_cli import one_line_error
from tests.support.proxy import Fault, latency_proxy

from trailwarden.trailstore import layout
from trailwarden.trailstore.fixtures import FixtureKey

REGIONS = ["us-east-1", "eu-west-1"]
DAY = ["--start-time", "2025-06-01T00:00:00Z", "--end-time", "2025-06-02T00:00:00Z"]
H = timedelta(hours=1)


def _event(name: str, minutes_after: int) -> dict[str, Any]:
    when = START + timedelta(minutes=minutes_after)
    return {
        "eventVersion": "1.09",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "awsRegion": "us-east-1",
        "recipientAccountId": ACCOUNT,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory"},
        "requestParameters": {"name": ARN},
        "eventID": f"id-{name}",
    }


def _log_event(bucket: TrailBucket, name: str, minutes_after: int) -> None:
    delivered = START + timedelta(minutes=minutes_after + 5)
    key = layout.log_key("", None, ACCOUNT, "us-east-1", delivered, f"cfg{name}")
    body = json.dumps({"Records": [_event(name, minutes_after)]}).encode()
    bucket.put(key, gzip.compress(body))


def _deliver_with_gap(bucket: TrailBucket, keys: list[FixtureKey], key: FixtureKey) -> None:
    keys.append(key)
    bucket.deliver([ACCOUNT], REGIONS, 24, key, gaps=[(5, 9)], logs_per_hour=1)
    _log_event(bucket, "StopLogging", 4 * 60 + 50)
    _log_event(bucket, "StartLogging", 9 * 60 + 10)


def test_gaps_with_who_stopped_logging(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any
) -> None:
    _deliver_with_gap(trail_bucket, public_keys, signing_key)
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *DAY, "-o", "json"])
    assert res.code == 1, res.stderr  # a gap is not full coverage
    doc = json.loads(res.stdout)
    assert doc["schema"] == "trailwarden.coverage/1"
    chains = {(c["account"], c["region"]): c for c in doc["chains"]}
    assert set(chains) == {(ACCOUNT, r) for r in REGIONS}
    east = chains[(ACCOUNT, "us-east-1")]
    assert (east["period_hours"], east["covered_hours"]) == (24, 20)
    assert east["first_delivered_hour"] == "2025-06-01T00:00:00Z"
    assert east["last_delivered_hour"] == "2025-06-01T23:00:00Z"
    (gap,) = east["gaps"]
    assert (gap["start"], gap["end"], gap["hours"]) == (
        "2025-06-01T05:00:00Z",
        "2025-06-01T09:00:00Z",
        4,
    )
    why = {(e["event"], e["who"], e["source_ip"]) for e in gap["explained_by"]}
    mallory = f"arn:aws:iam::{ACCOUNT}:user/mallory"
    assert why == {
        ("StopLogging", mallory, "198.51.100.7"),
        ("StartLogging", mallory, "198.51.100.7"),
    }
    assert east["validation"] is None


def test_table_and_csv(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver([ACCOUNT], REGIONS, 24, signing_key, logs_per_hour=1)
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *DAY, "-o", "csv"])
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["region"], r["covered_hours"], r["gaps"]) for r in rows] == [
        ("eu-west-1", "24", "0"),
        ("us-east-1", "24", "0"),
    ]
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *DAY, "-o", "jsonl"])
    assert res.code == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["region"], r["covered_hours"]) for r in lines] == [
        ("eu-west-1", 24),
        ("us-east-1", 24),
    ]
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *DAY, "--no-explain"])
    assert (
        res.code == 0 and "48/48 hours covered in 2 account x Region chains, 0 gaps" in res.stdout
    )


def test_validate_all_and_sampled(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any
) -> None:
    public_keys.append(signing_key)
    delivery = trail_bucket.deliver([ACCOUNT], REGIONS, 12, signing_key, logs_per_hour=2)
    window = ["--start-time", "2025-06-01T00:00:00Z", "--end-time", "2025-06-01T12:00:00Z"]
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *window, "--validate", "-o", "json"])
    assert res.code == 0, res.stderr
    for chain in json.loads(res.stdout)["chains"]:
        v = chain["validation"]
        assert (v["digests_valid"], v["logs_valid"], v["invalid"]) == (12, 24, [])
    # Damage one log file of hour 3 in eu-west-1: sampling every hour finds it, exit 1.
    bad = delivery.chain(ACCOUNT, "eu-west-1")[3].log_keys[0]
    trail_bucket.put(bad, gzip.compress(b'{"Records":[]}'))
    args = ["--validate", "--sample", "12", "--seed", "1", "-o", "json"]
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *window, *args])
    assert res.code == 1, res.stderr
    chains = {c["region"]: c["validation"] for c in json.loads(res.stdout)["chains"]}
    assert len(chains["eu-west-1"]["sampled_hours"]) == 12
    assert [i["key"] for i in chains["eu-west-1"]["invalid"]] == [bad]
    assert chains["us-east-1"]["invalid"] == []


def test_an_account_with_no_digests_is_all_gap(
    trail_bucket: TrailBucket, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any
) -> None:
    public_keys.append(signing_key)
    trail_bucket.deliver(["222222222222"], ["us-east-1"], 24, signing_key, logs_per_hour=1)
    res = cli(["evidence", "coverage", "--trail-arn", ARN, *DAY, "-o", "json"])
    chains = {c["account"]: c for c in json.loads(res.stdout)["chains"]}
    assert chains[ACCOUNT]["covered_hours"] == 0 and chains[ACCOUNT]["gaps"][0]["hours"] == 24
    assert chains["222222222222"]["covered_hours"] == 24


def test_bad_input(trail_bucket: TrailBucket, cli: Any, aws: str, monkeypatch: Any) -> None:
    one_line_error(
        cli(["evidence", "coverage", "--trail-arn", ARN, "--start-time", "2999-01-01"]),
        "starts in the future",
    )
    one_line_error(cli(["evidence", "coverage", "--trail-arn", ARN]), "--months")
    with latency_proxy(aws, delay_s=0.0) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        proxy.add_fault(Fault(service="s3", operation="ListObjectsV2"))
        res = cli(["evidence", "coverage", "--bucket", "ct-fixture-bucket", "--months", "1"])
    one_line_error(res, "cannot list s3://ct-fixture-bucket/AWSLogs/", "AccessDenied")


def test_org_covers_every_active_account(
    aws: str, public_keys: list[FixtureKey], signing_key: FixtureKey, cli: Any
) -> None:
    import boto3
    from tests.integrity.conftest import make_trail_bucket

    org = boto3.client("organizations", region_name="us-east-1")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    member = org.create_account(Email="m@example.com", AccountName="member")
    member_id = member["CreateAccountStatus"]["AccountId"]
    bucket = make_trail_bucket(org_id=org_id)
    public_keys.append(signing_key)
    bucket.deliver([ACCOUNT], ["us-east-1"], 24, signing_key, logs_per_hour=1)
    res = cli(["evidence", "coverage", "--org", "--region", "us-east-1", *DAY, "-o", "json"])
    assert res.code == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["trail_arn"] == ARN
    chains = {c["account"]: c["covered_hours"] for c in doc["chains"]}
    assert chains == {ACCOUNT: 24, member_id: 0}  # the member never delivered: all gap


def test_public_key_files_stand_in_for_list_public_keys(
    trail_bucket: TrailBucket, signing_key: FixtureKey, cli: Any, tmp_path: Any
) -> None:
    """A key CloudTrail's ListPublicKeys does not know validates only when given as a file."""
    trail_bucket.deliver([ACCOUNT], ["us-east-1"], 3, signing_key, logs_per_hour=1)
    window = ["--start-time", "2025-06-01T00:00:00Z", "--end-time", "2025-06-01T03:00:00Z"]
    base = ["evidence", "coverage", "--trail-arn", ARN, *window, "--validate", "-o", "json"]
    unknown = cli(base)
    assert unknown.code == 2 and "No public keys found" in unknown.stderr  # none listed
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(signing_key.pem())
    given = cli([*base, "--public-key", str(key_file)])
    assert given.code == 0, given.stderr
    (chain,) = json.loads(given.stdout)["chains"]
    assert (chain["validation"]["digests_valid"], chain["validation"]["invalid"]) == (3, [])
