"""Benchmark `trailwarden validate` against the AWS CLI and the machine's floor.

    PYTHONPATH=src python benchmarks/validate.py [--hours 720] [--cli-hours 48] ...

Fixture (defaults from issue 5): 720 hourly digests x 4 log files per hour x 2 Regions.
1. Local folder: trailwarden (``--dir``) vs the floor = read + gunzip + SHA-256 of the same files in
   one process, no validation logic (isal, and zlib for reference); best of ``--repeat`` runs.
2. S3 on a moto server (its own process) with no delay: trailwarden vs `aws cloudtrail
   validate-logs` (awscli; one run per Region, as it requires; ListPublicKeys taught as in tests).
3. The same behind a 50 ms latency proxy. The AWS CLI makes one GET at a time, so there it runs
   on the first ``--cli-hours`` only and its files/s is compared (rates, not wall times).
Figures: files/s and MB/s (compressed bytes read), and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trailwarden.trailstore.fixtures import FixtureKey, dir_sink, write_trail_delivery
from trailwarden.trailstore.source import METADATA_SUFFIX

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "integrity" / "oracle_cli.py"
BUCKET = "ct-bench-bucket"
ACCOUNT = "123456789012"
ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management-events"
START = datetime(2025, 6, 1, tzinfo=UTC)
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]


@dataclass
class Run:
    name: str
    seconds: float
    files: int
    mb: float

    server_cpu: float = 0.0  # moto's CPU seconds during the run

    @property
    def files_s(self) -> float:
        return self.files / self.seconds

    @property
    def mb_s(self) -> float:
        return self.mb / self.seconds

    def line(self) -> str:
        server = f"  (moto CPU {self.server_cpu:.1f} s)" if self.server_cpu else ""
        return (
            f"  {self.name:<44} {self.seconds:8.2f} s {self.files:6d} files "
            f"{self.files_s:7.0f} files/s {self.mb_s:6.1f} MB/s{server}"
        )


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- fixture and floor -------------------------------------------------------------------------


def make_fixture(root: Path, args: argparse.Namespace, key: FixtureKey) -> list[Path]:
    write_trail_delivery(
        dir_sink(root),
        ACCOUNT,
        REGIONS[: args.regions],
        START,
        args.hours,
        key,
        bucket=BUCKET,
        logs_per_hour=args.logs_per_hour,
        records_per_log=args.records_per_log,
    )
    return sorted(p for p in root.rglob("*.json.gz"))


def floor(files: list[Path], inflater: str) -> Run:
    """Read, gunzip and SHA-256 every file, one process, one thread: the least work possible."""
    if inflater == "isal":
        from isal import isal_zlib as lib
    else:
        lib = zlib  # type: ignore[no-redef]
    started = time.perf_counter()
    size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data)
        d = lib.decompressobj(zlib.MAX_WBITS | 16)
        hashlib.sha256(d.decompress(data) + d.flush()).hexdigest()
    return Run(
        f"floor ({inflater} gunzip + SHA-256)",
        time.perf_counter() - started,
        len(files),
        size / 1e6,
    )


def trailwarden_dir(root: Path, key_file: Path, end: datetime, workers: int) -> tuple[Run, dict]:

    from trailwarden.integrity.keys import load_key_file
    from trailwarden.integrity.layout import Trail
    from trailwarden.integrity.options import Options, Scope
    from trailwarden.integrity.validator import validate
    from trailwarden.trailstore.source import LocalSource

    keys = [load_key_file(str(key_file))]
    started = time.perf_counter()
    report = validate(
        LocalSource(root, BUCKET),
        Scope(BUCKET, trail=Trail.from_arn(ARN)),
        Options(START, end, max_workers=workers),
        lambda _r: lambda _s, _e: keys,
        ARN,
    )
    seconds = time.perf_counter() - started
    doc = report.to_json()
    size = sum(i.size for i in report.items)
    files = doc["summary"]["digests_total"] + doc["summary"]["logs_total"]
    # Digest bytes are not counted in item sizes; add them for a like-for-like MB figure.
    size += sum(p.stat().st_size for p in root.rglob("*CloudTrail-Digest*.json.gz"))
    return Run(f"trailwarden --dir ({workers} workers)", seconds, files, size / 1e6), doc


# --- moto in its own process, a latency proxy --------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


MOTO_PID: list[int] = []


def moto_cpu() -> float:
    """CPU seconds the moto server process has used (Linux /proc): shows when moto is the limit."""
    if not MOTO_PID:
        return 0.0
    fields = Path(f"/proc/{MOTO_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def moto_process() -> Iterator[str]:
    """moto in a separate process, so it does not share a GIL with what is being measured."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    MOTO_PID[:] = [proc.pid]
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def delayed(upstream: str, delay_s: float) -> Iterator[tuple[str, str]]:
    """Yield (url, which proxy) for a proxy adding ``delay_s`` before each request."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # run as a script: the repository root holds tests.support
    from tests.support.proxy import latency_proxy

    with latency_proxy(upstream, delay_s) as proxy:
        yield proxy.url, "tests.support.proxy"


def s3_client(endpoint: str) -> Any:
    """An S3 client for the benchmark's moto server, with moto's test credentials."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def upload(endpoint: str, root: Path) -> None:
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket=BUCKET)

    def put(path: Path) -> None:
        meta_path = path.with_name(path.name + METADATA_SUFFIX)
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        s3.put_object(
            Bucket=BUCKET,
            Key=path.relative_to(root).as_posix(),
            Body=path.read_bytes(),
            Metadata=meta,
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, sorted(root.rglob("*.json.gz"))))


def env_for(endpoint: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def trailwarden_s3(
    endpoint: str, key_file: Path, end: datetime, workers: int, tmp: Path, label: str
) -> tuple[Run, dict]:
    cpu = moto_cpu()
    cmd = [
        sys.executable,
        "-m",
        "trailwarden",
        "validate",
        "--bucket",
        BUCKET,
        "--trail-arn",
        ARN,
        "--public-key",
        str(key_file),
        "--start-time",
        iso(START),
        "--end-time",
        iso(end),
        "--max-workers",
        str(workers),
        "--output",
        "json",
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env_for(endpoint, tmp), check=False
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"trailwarden failed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    files = doc["summary"]["digests_total"] + doc["summary"]["logs_total"]
    name = f"trailwarden S3 {label} ({workers} workers)"
    return Run(name, seconds, files, 0.0, moto_cpu() - cpu), doc


def aws_cli_s3(
    endpoint: str, key: FixtureKey, regions: list[str], end: datetime, tmp: Path, label: str
) -> Run:
    config = tmp / "oracle.json"
    config.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "fingerprint": key.fingerprint,
                        "der_b64": base64.b64encode(key.der).decode(),
                        "valid_from": 0,
                        "valid_to": 4102444800,
                    }
                ],
                "org_id": None,
            }
        )
    )
    files = 0
    cpu = moto_cpu()
    started = time.perf_counter()
    for region in regions:
        proc = subprocess.run(
            [
                sys.executable,
                str(ORACLE),
                str(config),
                "--",
                "cloudtrail",
                "validate-logs",
                "--trail-arn",
                ARN,
                "--s3-bucket",
                BUCKET,
                "--region",
                region,
                "--start-time",
                iso(START),
                "--end-time",
                iso(end),
            ],
            capture_output=True,
            text=True,
            env=env_for(endpoint, tmp),
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"AWS CLI failed ({proc.returncode}): {proc.stderr[-2000:]}")
        for line in proc.stdout.splitlines():
            if " files valid" in line:
                files += int(line.split("/")[1].split()[0])
    seconds = time.perf_counter() - started
    return Run(f"aws cloudtrail validate-logs {label}", seconds, files, 0.0, moto_cpu() - cpu)


def with_mb(run: Run, mb_per_file: float) -> Run:
    run.mb = run.files * mb_per_file
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=720)
    parser.add_argument("--regions", type=int, default=2)
    parser.add_argument("--logs-per-hour", type=int, default=4)
    parser.add_argument("--records-per-log", type=int, default=60)
    parser.add_argument("--cli-hours", type=int, default=48, help="AWS CLI window behind 50 ms")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="local runs (best of)")
    parser.add_argument("--skip-s3", action="store_true")
    args = parser.parse_args()

    key = FixtureKey.generate()
    end = START + timedelta(hours=args.hours)
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp_text:
        tmp = Path(tmp_text)
        root = tmp / "copy"
        files = make_fixture(root, args, key)
        key_file = tmp / "key.pem"
        key_file.write_bytes(key.pem())
        total_mb = sum(p.stat().st_size for p in files) / 1e6
        mb_per_file = total_mb / len(files)
        print(
            f"fixture: {args.hours} h x {args.logs_per_hour} logs x {args.regions} Regions = "
            f"{len(files)} files, {total_mb:.1f} MB compressed"
        )

        print("\n1. local folder")
        for path in files:  # warm the page cache for every contender alike
            path.read_bytes()
        # Interleaved repeats, best of each: the machine is shared, so load comes and goes.
        best: dict[str, Run] = {}
        for _ in range(args.repeat):
            runs = [floor(files, "isal"), floor(files, "zlib")]
            ours, doc = trailwarden_dir(root, key_file, end, args.workers)
            assert doc["summary"]["logs_valid"] == doc["summary"]["logs_total"], doc["summary"]
            for run in [*runs, ours]:
                if run.name not in best or run.seconds < best[run.name].seconds:
                    best[run.name] = run
        *floors, ours = best.values()
        for run in [*floors, ours]:
            print(run.line())
        print(
            f"  trailwarden / floor (isal): {ours.files_s / floors[0].files_s:.2f}x files/s,"
            f" {ours.mb_s / floors[0].mb_s:.2f}x MB/s   (target >= 0.5)"
        )
        if args.skip_s3:
            return

        regions = REGIONS[: args.regions]
        with moto_process() as endpoint:
            upload(endpoint, root)
            print("\n2. S3 on moto (separate process), no delay")
            tw, _ = trailwarden_s3(endpoint, key_file, end, args.workers, tmp, "no delay")
            cli = aws_cli_s3(endpoint, key, regions, end, tmp, "no delay")
            for run in (with_mb(tw, mb_per_file), with_mb(cli, mb_per_file)):
                print(run.line())
            print(
                f"  trailwarden / AWS CLI: {tw.files_s / cli.files_s:.1f}x files/s   (target >= 3)"
            )

            with delayed(endpoint, args.delay) as (url, which):
                print(f"\n3. S3 on moto behind a {args.delay * 1000:.0f} ms proxy ({which})")
                tw, _ = trailwarden_s3(url, key_file, end, args.workers, tmp, "50 ms")
                cli_end = START + timedelta(hours=min(args.cli_hours, args.hours))
                cli = aws_cli_s3(
                    url,
                    key,
                    regions,
                    cli_end,
                    tmp,
                    f"50 ms, first {min(args.cli_hours, args.hours)} h",
                )
                for run in (with_mb(tw, mb_per_file), with_mb(cli, mb_per_file)):
                    print(run.line())
                print(
                    f"  trailwarden / AWS CLI: {tw.files_s / cli.files_s:.1f}x files/s   "
                    "(target >= 20)"
                )


if __name__ == "__main__":
    main()
