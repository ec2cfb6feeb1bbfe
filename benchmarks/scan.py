"""Scan benchmark: N accounts x R Regions on a moto server behind a fixed-latency proxy.

moto runs in its own process (so its CPU does not compete with the scanner's threads for the GIL);
the proxy, in this process, adds ``--delay`` seconds to every request like a real AWS round trip
and counts the calls. The same scan is then run with ``--max-workers 1`` as the baseline. Figures
are printed, never asserted: the machine is shared, so compare the ratio, not the seconds.

    python benchmarks/scan.py --accounts 100 --regions 17 --delay 0.05
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, only benchmarks/ is on the path: the repository root holds tests.support.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
]  # fmt: skip


def _serve(replies: Any, commands: Any, delay: float) -> None:
    """moto and the latency proxy in their own process, so neither competes with the scanner for
    the GIL; answers "reset" and "count" commands with the proxy's call counters."""
    from tests.support.proxy import latency_proxy

    from trailwarden.demo.server import moto_server

    with moto_server() as endpoint, latency_proxy(endpoint, delay_s=delay) as proxy:
        replies.put((endpoint, proxy.url))
        while (command := commands.get()) != "stop":
            if command == "reset":
                proxy.reset_counts()
                replies.put(None)
            elif command == "count":
                replies.put(dict(proxy.calls))


def _cpu_seconds(pid: int | None) -> float:
    """CPU time a process has used (Linux /proc), to show whether moto or the scan is the limit."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _scan(accounts: list[str], regions: list[str], workers: int) -> tuple[float, Any]:
    from trailwarden.cli.options import AccessArgs, ScanScope
    from trailwarden.cli.scan import scan_snapshot
    from trailwarden.controls import evaluate

    start = time.perf_counter()
    snapshot = scan_snapshot(
        AccessArgs(role_name="OrganizationAccountAccessRole"),
        ScanScope(accounts=",".join(accounts), regions=",".join(regions), max_workers=workers),
    )
    evaluation = evaluate(snapshot)
    return time.perf_counter() - start, (snapshot, evaluation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=17, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--skip-baseline", action="store_true", help="skip --max-workers 1")
    args = parser.parse_args()

    from trailwarden.demo.org import build_scale_org
    from trailwarden.demo.server import pointed_at

    ctx = mp.get_context("spawn")
    replies, commands = ctx.Queue(), ctx.Queue()
    server = ctx.Process(target=_serve, args=(replies, commands, args.delay), daemon=True)
    server.start()
    endpoint, proxy_url = replies.get(timeout=60)
    try:
        t0 = time.perf_counter()
        members = build_scale_org(endpoint, args.accounts - 1)  # + the management account
        accounts = ["123456789012", *members]
        regions = REGIONS[: args.regions]
        print(f"seeded {len(accounts)} accounts in {time.perf_counter() - t0:.1f} s")
        with pointed_at(endpoint):
            os.environ["AWS_ENDPOINT_URL"] = proxy_url
            pairs = len(accounts) * len(regions)
            runs = [("parallel", args.workers)]
            if not args.skip_baseline:
                runs.append(("baseline", 1))
            results = {}
            for label, workers in runs:
                commands.put("reset")
                replies.get()
                moto_cpu, own_cpu = _cpu_seconds(server.pid), time.process_time()
                wall, (snapshot, evaluation) = _scan(accounts, regions, workers)
                moto_cpu = _cpu_seconds(server.pid) - moto_cpu
                own_cpu = time.process_time() - own_cpu
                commands.put("count")
                counted: dict[tuple[str, str], int] = replies.get()
                calls = sum(counted.values())
                trails = sum(len(a.trails) for a in snapshot.accounts)
                per_trail = sum(
                    n
                    for (svc, op), n in counted.items()
                    if (svc, op)
                    not in {
                        ("cloudtrail", "DescribeTrails"),
                        ("cloudtrail", "ListEventDataStores"),
                        ("sts", "AssumeRole"),
                        ("sts", "GetCallerIdentity"),
                    }
                )
                region_calls = calls - per_trail
                results[label] = wall
                print(
                    f"{label:>8}: --max-workers {workers:<3} {len(accounts)} accounts x "
                    f"{len(regions)} Regions at {args.delay * 1000:.0f} ms: wall {wall:.1f} s, "
                    f"{calls} API calls ({calls / pairs:.2f} per account-Region; "
                    f"{region_calls / pairs:.2f} per account-Region beyond the {per_trail} "
                    f"per-trail/per-account calls for {trails} trails), "
                    f"{len(evaluation.findings)} findings, {len(snapshot.errors)} errors; "
                    f"CPU: moto + proxy {moto_cpu:.1f} s, scanner {own_cpu:.1f} s"
                )
            if "baseline" in results:
                print(
                    f"speed-up vs --max-workers 1: {results['baseline'] / results['parallel']:.1f}x"
                )
    finally:
        commands.put("stop")
        server.join(timeout=10)


if __name__ == "__main__":
    main()
