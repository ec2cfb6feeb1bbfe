"""Coverage benchmark: `evidence coverage` over months of hourly digest keys, bound by listings.

moto and the latency proxy run in their own process (so their CPU does not compete with the
coverage run for the GIL); the digest keys are seeded straight into moto's S3 backend there (no
bodies are read: coverage lists, it never GETs). Every request through the proxy pays ``--delay``
seconds, like an AWS round trip, and is counted. Figures are printed, never asserted.

    python benchmarks/coverage.py [--accounts 10] [--regions 4] [--days 90] [--delay 0.05]

Reported per run: calls by operation, wall time, and the ratio of wall time to the floor
``list calls x delay / calls in flight`` (1.0 would be every listing slot busy all the time).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, only benchmarks/ is on the path: the repository root holds tests.support.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUCKET = "ct-coverage-bench"
OWNER = "123456789012"
TRAIL = "org-trail"
HOME = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "sa-east-1"]
END = datetime(2025, 9, 1, tzinfo=UTC)
DIGEST_OFFSET = timedelta(minutes=34, seconds=8)


def _seed(endpoint: str, accounts: list[str], regions: list[str], days: int) -> int:
    """The trail, and one empty digest object per account x Region x hour, in moto's backend."""
    import boto3
    from moto.s3.models import s3_backends

    from trailwarden.trailstore.layout import digest_key

    boto3.client("s3", endpoint_url=endpoint, region_name=HOME).create_bucket(Bucket=BUCKET)
    boto3.client("cloudtrail", endpoint_url=endpoint, region_name=HOME).create_trail(
        Name=TRAIL, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )
    backend = s3_backends[OWNER]["aws"]
    start = END - timedelta(days=days)
    count = 0
    for account in accounts:
        for ri, region in enumerate(regions):
            for h in range(days * 24):
                end = start + timedelta(hours=h) + DIGEST_OFFSET + timedelta(seconds=ri)
                key = digest_key("", None, account, region, TRAIL, HOME, end)
                backend.put_object(BUCKET, key, b"", disable_notification=True)
                count += 1
    return count


def _index_moto_listings() -> None:
    """Give moto's S3 a sorted key index for prefix listings without a delimiter.

    moto answers each ListObjectsV2 by scanning every key of the bucket (about 0.2 s of its CPU
    per call at 86,000 keys); S3 does not. Without the index the benchmark measures moto's scan,
    not the listing pattern (``--plain-moto`` shows that). Answers are unchanged: the same keys,
    markers and truncation, from moto's own helpers.
    """
    from bisect import bisect_left

    from moto.s3.models import FakeDeleteMarker, S3Backend

    original = S3Backend.list_objects
    index: dict[int, list[str]] = {}

    def list_objects(
        self: Any, bucket: Any, prefix: Any, delimiter: Any, marker: Any, max_keys: Any
    ) -> Any:
        if not prefix or delimiter:
            return original(self, bucket, prefix, delimiter, marker, max_keys)
        names = index.get(id(bucket))
        if names is None or len(names) != len(bucket.keys):
            names = index[id(bucket)] = sorted(bucket.keys.keys())
        lo, hi = bisect_left(names, prefix), bisect_left(names, prefix + "\U0010ffff")
        keys = [bucket.keys[n] for n in names[lo:hi]]
        keys = [k for k in keys if not isinstance(k, FakeDeleteMarker)]
        if marker:
            keys = self._get_results_from_token(keys, self._pagination_tokens.get(marker) or marker)
        if max_keys is None:
            return keys, [], False, None
        keys, truncated, next_marker = self._truncate_result(keys, max_keys)
        return keys, [], truncated, next_marker

    S3Backend.list_objects = list_objects  # type: ignore[method-assign]


def _serve(replies: Any, commands: Any, delay: float, plain_moto: bool) -> None:
    from tests.support.proxy import latency_proxy

    from trailwarden.demo.server import FAKE_ENV, moto_server

    os.environ.update(FAKE_ENV)
    if not plain_moto:
        _index_moto_listings()
    with moto_server() as endpoint, latency_proxy(endpoint, delay_s=delay) as proxy:
        replies.put((endpoint, proxy.url))
        while (command := commands.get()) != "stop":
            if command == "reset":
                proxy.reset_counts()
                replies.put(None)
            elif command == "count":
                replies.put(dict(proxy.calls))
            else:
                _, accounts, regions, days = command
                replies.put(_seed(endpoint, accounts, regions, days))


def _run(days: int, in_flight: int) -> tuple[float, Any]:
    from trailwarden.evidence.prove import Request, prove
    from trailwarden.integrity.layout import Trail
    from trailwarden.integrity.options import Scope
    from trailwarden.trailstore.s3 import S3Source, access_clients, reader_access

    arn = f"arn:aws:cloudtrail:{HOME}:{OWNER}:trail/{TRAIL}"
    clients = access_clients(reader_access(in_flight=in_flight))
    scope = Scope(bucket=BUCKET, trail=Trail.from_arn(arn))
    req = Request(scope, END - timedelta(days=days), END, trail_arn=arn, lists_in_flight=in_flight)
    t0 = time.perf_counter()
    coverage = prove(S3Source(clients), req)
    return time.perf_counter() - t0, coverage


def main() -> None:
    from benchmarks.scan import _cpu_seconds  # moto's CPU, measured as the scan benchmark does

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--regions", type=int, default=4, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--in-flight", type=int, action="append", help="listings in flight")
    parser.add_argument(
        "--plain-moto", action="store_true", help="no key index: moto scans the bucket per call"
    )
    args = parser.parse_args()

    from trailwarden.demo.server import pointed_at

    ctx = mp.get_context("spawn")
    replies, commands = ctx.Queue(), ctx.Queue()
    server = ctx.Process(
        target=_serve, args=(replies, commands, args.delay, args.plain_moto), daemon=True
    )
    server.start()
    endpoint, proxy_url = replies.get(timeout=60)
    accounts = [f"{100000000000 + i:012d}" for i in range(args.accounts)]
    regions = REGIONS[: args.regions]
    try:
        t0 = time.perf_counter()
        commands.put(("seed", accounts, regions, args.days))
        seeded = replies.get(timeout=3600)
        print(
            f"seeded {seeded} digest keys ({args.accounts} accounts x {args.regions} Regions x "
            f"{args.days} days) in {time.perf_counter() - t0:.1f} s"
        )
        with pointed_at(endpoint):
            os.environ["AWS_ENDPOINT_URL"] = proxy_url
            for in_flight in args.in_flight or [16, 40]:
                commands.put("reset")
                replies.get()
                cpu = time.process_time()
                moto_cpu = _cpu_seconds(server.pid)
                wall, coverage = _run(args.days, in_flight)
                cpu = time.process_time() - cpu
                moto_cpu = _cpu_seconds(server.pid) - moto_cpu
                commands.put("count")
                counted: dict[tuple[str, str], int] = replies.get()
                lists = counted.get(("s3", "ListObjectsV2"), 0)
                gets = counted.get(("s3", "GetObject"), 0)
                floor = lists * args.delay / in_flight
                ratio = wall / floor if floor else float("nan")
                covered = sum(c.covered_hours for c in coverage.chains)
                calls = ", ".join(f"{op} {n}" for (_svc, op), n in sorted(counted.items()))
                print(
                    f"in flight {in_flight:>3}: {len(coverage.chains)} chains, {covered} hours "
                    f"covered; calls: {calls}; GETs {gets}; wall {wall:.2f} s at "
                    f"{args.delay * 1000:.0f} ms; floor {floor:.2f} s "
                    f"(list calls x delay / in flight); ratio {ratio:.2f}; "
                    f"CPU: coverage {cpu:.2f} s, moto + proxy {moto_cpu:.2f} s"
                )
    finally:
        commands.put("stop")
        server.join(timeout=30)


if __name__ == "__main__":
    main()
