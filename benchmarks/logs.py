"""Benchmark `trailwarden logs`: ingest and two hunts vs `zcat | jq` and the `zcat` floor.

    PYTHONPATH=src python benchmarks/logs.py --size-mb 1024

A generator replicates the real dataset records (Stratus Red Team, OTRF) with new times and IDs
into CloudTrail's S3 key layout (organisation trail, several accounts and Regions, one gzipped
single-line ``{"Records": [...]}`` per file), plus a sprinkle of root-user calls so the CIS root
pattern has something to find. Every figure is printed next to the decompression floor measured
in the same run, so the ratios are comparable across machines.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trailwarden.trailstore.layout import log_key

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "tests" / "data" / "datasets"
ORG = "o-bench12345"
ACCOUNTS = [f"{100000000000 + i * 111111111:012d}" for i in range(4)]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
RECORDS_PER_FILE = 250

JQ_DELETE_TRAIL = '.Records[] | select(.eventName == "DeleteTrail") | .eventID'
# The CIS root-usage filter, with NOT EXISTS as jq's has().
JQ_ROOT = (
    '.Records[] | select(.userIdentity.type == "Root" and '
    '(.userIdentity | has("invokedBy") | not) and .eventType != "AwsServiceEvent") | .eventID'
)


def _seed_records() -> list[dict[str, object]]:
    recs: list[dict[str, object]] = []
    for path in sorted((DATASETS / "stratus-red-team-detonation-logs").glob("aws.*.json")):
        recs.extend(json.loads(path.read_text()))
    otrf = DATASETS / "otrf-aws-ec2-proxy-s3-exfiltration"
    for path in otrf.glob("*.json"):
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                rec.setdefault("eventTime", rec.get("@timestamp", "")[:19] + "Z")
                # Logstash's own members: CloudTrail never writes them into its files, which
                # this generator models (ingest keeps them in ``extra``, at the split path's cost).
                rec.pop("@timestamp", None)
                rec.pop("@version", None)
                recs.append(rec)
    return recs


def generate(root: Path, size_mb: int, seed: int = 7) -> tuple[int, int]:
    """Write about ``size_mb`` MB of uncompressed records; return (files, records)."""
    rng = random.Random(seed)
    seeds = _seed_records()
    # Fields that are unique or many-valued in a real trail get new values, so the database has
    # to store about as much distinct text as a real trail's (not only the seeds' few hundred).
    addresses = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(5000)
    ]
    start = datetime(2025, 3, 1, tzinfo=UTC)
    target = size_mb * 1_000_000
    written = files = records = 0
    when = start
    while written < target:
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        batch = []
        for _ in range(RECORDS_PER_FILE):
            rec = json.loads(json.dumps(rng.choice(seeds)))
            when += timedelta(milliseconds=rng.randint(1, 400))
            rec["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            rec["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            rec["requestID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            rec["sourceIPAddress"] = rng.choice(addresses)
            rec["recipientAccountId"] = account
            rec["awsRegion"] = region
            if rng.random() < 0.0005:  # a root-user console call now and then
                rec["userIdentity"] = {"type": "Root", "arn": f"arn:aws:iam::{account}:root"}
            batch.append(rec)
        body = json.dumps({"Records": batch}, separators=(",", ":")).encode()
        key = log_key("", ORG, account, region, when, f"{files:016X}")
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
        written += len(body)
        files += 1
        records += len(batch)
    return files, records


HUNT_FILES = "trailwarden hunt on files: "
CPU: dict[str, float] = {}  # label -> CPU seconds of the command and its children


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed(cmd: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds and stdout; the CPU seconds go to CPU[cmd] (load-independent)."""
    c0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(
        cmd, shell=True, check=True, capture_output=True, text=True, env=env
    ).stdout
    CPU[cmd] = _children_cpu() - c0
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=64, help="uncompressed MB to generate")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--skip-jq", action="store_true", help="do not time zcat | jq (slow)")
    ap.add_argument(
        "--s3-files",
        type=int,
        default=0,
        help="also ingest this many of the files from moto S3 behind a latency proxy, "
        "one GET at a time and with the default reads in flight",
    )
    ap.add_argument("--delay", type=float, default=0.05, help="the proxy's delay per request (s)")
    ap.add_argument(
        "--split-ingest",
        action="store_true",
        help="also time ingest through the split path (every record cut out, then typed)",
    )
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="tw-bench-"))
    tree, db = work / "bucket", work / "bench.duckdb"
    shutil.rmtree(tree, ignore_errors=True)
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    files, records = generate(tree, args.size_mb)
    mb = sum(len(gzip.decompress(p.read_bytes())) for p in tree.rglob("*.gz")) / 1e6
    print(
        f"generated {files:,} files, {records:,} records, {mb:,.0f} MB uncompressed "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    tw = f"{sys.executable} -m trailwarden logs"
    listing = f"find {tree} -name '*.gz' -print0 | xargs -0"
    runs: list[tuple[str, float, float | None]] = []  # (what, wall s, CPU s)

    def measure(label: str, cmd: str, use_env: dict[str, str] | None = None) -> str:
        secs, out = _timed(cmd, use_env)
        hits = f" ({len(out.split())} hits)" if out.strip() else ""
        runs.append((label + hits, secs, CPU[cmd]))
        return out

    measure("zcat > /dev/null (floor)", f"{listing} zcat > /dev/null")
    for label, filt in (("DeleteTrail", JQ_DELETE_TRAIL), ("CIS root usage", JQ_ROOT)):
        if not args.skip_jq:
            measure(f"zcat | jq: {label}", f"{listing} zcat | jq -r '{filt}'")
    hunts = (("DeleteTrail", "--event-name DeleteTrail"), ("CIS root usage", "root-usage"))
    # `cut` keeps only the eventID column, so "hits" counts events (+1 for the CSV header).
    for label, hunt in hunts:
        cmd = f"{tw} hunt {hunt} --source {tree} -o csv | cut -d, -f9 || true"
        measure(f"{HUNT_FILES}{label}", cmd, env)
    if args.split_ingest:
        # The same command with whole-document typing switched off: the path before it.
        split_db = work / "split.duckdb"
        split_db.unlink(missing_ok=True)
        code = (
            "import sys, trailwarden.logs.store as s; s.WHOLE_DOCUMENT_KINDS = frozenset(); "
            "from trailwarden.cli import main; sys.argv[0] = 'trailwarden'; main()"
        )
        cmd = f'{sys.executable} -c "{code}" logs ingest {tree} --db {split_db} > /dev/null'
        measure("trailwarden ingest, split path (before)", cmd, env)
        split_db.unlink(missing_ok=True)
    measure("trailwarden ingest", f"{tw} ingest {tree} --db {db} > /dev/null", env)
    for label, hunt in hunts:
        cmd = f"{tw} hunt {hunt} --db {db} -o csv | cut -d, -f9 || true"
        measure(f"trailwarden hunt on db (process): {label}", cmd, env)
    import duckdb

    from trailwarden.logs.hunts import HUNTS, by_event_names

    con = duckdb.connect(str(db), read_only=True)
    for label, h in (
        ("DeleteTrail", by_event_names(["DeleteTrail"])),
        ("CIS root usage", HUNTS["root-usage"]),
    ):
        q0 = time.perf_counter()
        con.execute(h.sql()).fetchall()
        runs.append(
            (f"trailwarden hunt on db (query only): {label}", time.perf_counter() - q0, None)
        )
    floor, floor_cpu = runs[0][1], runs[0][2] or 0.0
    print(
        f"{'what':<58} {'wall s':>7} {'MB/s':>7} {'events/s':>10} {'vs floor':>8} "
        f"{'CPU s':>6} {'CPU vs floor':>12}"
    )
    for label, secs, cpu in runs:
        cpu_txt = f"{cpu:6.1f} {floor_cpu / cpu:12.0%}" if cpu else f"{'':6} {'':12}"
        print(
            f"{label:<58} {secs:7.2f} {mb / secs:7.1f} {records / secs:10,.0f} "
            f"{floor / secs:8.0%} {cpu_txt}"
        )
    print(f"database size: {db.stat().st_size / 1e6:,.0f} MB")
    _verdicts(runs, floor)
    if args.s3_files:
        _s3_ingest(tree, work, args.s3_files, args.delay)
    if not args.keep and args.dir is None:
        shutil.rmtree(work)


def _verdicts(runs: list[tuple[str, float, float | None]], floor: float) -> None:
    """The issue's targets, as throughput (wall) ratios against the floor of the same run."""
    wall = {
        (label.rsplit(" (", 1)[0] if label.endswith(" hits)") else label): secs
        for label, secs, _ in runs
    }
    checks = [
        (
            "hunt on files, DeleteTrail >= 70% of floor",
            floor / wall[HUNT_FILES + "DeleteTrail"],
            0.7,
        ),
        (
            "hunt on files, CIS root >= 70% of floor",
            floor / wall[HUNT_FILES + "CIS root usage"],
            0.7,
        ),
        ("ingest >= 50% of floor", floor / wall["trailwarden ingest"], 0.5),
    ]
    print("targets (throughput vs the zcat floor of this run):")
    for what, ratio, target in checks:
        print(f"  {what:<45} {ratio:6.0%}  {'met' if ratio >= target else 'NOT met'}")
    for name in ("DeleteTrail", "CIS root usage"):
        secs = wall[f"trailwarden hunt on db (query only): {name}"]
        process = wall[f"trailwarden hunt on db (process): {name}"]
        ok = "met" if secs < 1 else "NOT met"
        label = f"hunt on the database < 1 s, {name}"
        print(f"  {label:<45} {secs:5.2f} s  {ok} (whole process {process:.2f} s)")


def _s3_ingest(tree: Path, work: Path, count: int, delay: float) -> None:
    """Ingest from a bucket: one call at a time (as before: GETs and listings) vs the default
    READS_IN_FLIGHT GETs and LISTS_IN_FLIGHT listings, the same files."""
    sys.path.insert(0, str(REPO))
    from benchmarks.validate import delayed, env_for, moto_cpu, moto_process, s3_client
    from trailwarden.trailstore.s3 import READS_IN_FLIGHT

    files = sorted(tree.rglob("*.json.gz"))[:count]
    mb = sum(len(gzip.decompress(p.read_bytes())) for p in files) / 1e6
    with moto_process() as endpoint, delayed(endpoint, delay) as (url, which):
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="bench-trail")
        for path in files:
            key = path.relative_to(tree).as_posix()
            s3.put_object(Bucket="bench-trail", Key=key, Body=path.read_bytes())
        env = env_for(url, work)
        print(
            f"\nS3 ingest: {len(files):,} files, {mb:,.0f} MB, moto in its own process behind "
            f"a {delay * 1000:.0f} ms proxy ({which})"
        )
        results = {}
        for reads in (1, READS_IN_FLIGHT):
            db = work / f"s3-{reads}.duckdb"
            db.unlink(missing_ok=True)
            code = (
                "import sys, trailwarden.trailstore.s3 as s, trailwarden.trailstore.files as f; "
                f"s.READS_IN_FLIGHT = {reads}; "
                + ("f.LISTS_IN_FLIGHT = 1; " if reads == 1 else "")
                + "from trailwarden.cli import main; sys.argv[0] = 'trailwarden'; main()"
            )
            cmd = f'{sys.executable} -c "{code}" logs ingest s3://bench-trail --db {db} > /dev/null'
            moto0 = moto_cpu()
            secs, _ = _timed(cmd, env)
            results[reads] = secs
            # moto serves every GET on one GIL: when its CPU nears the wall time, it is the limit.
            what = "one call at a time" if reads == 1 else f"{reads} GETs in flight"
            print(
                f"  {what:<20} {secs:7.2f} s  {len(files) / secs:8.1f} files/s "
                f"{mb / secs:7.1f} MB/s  (moto CPU {moto_cpu() - moto0:.1f} s)"
            )
        print(f"  speed-up: {results[1] / results[READS_IN_FLIGHT]:.1f}x")


if __name__ == "__main__":
    main()
