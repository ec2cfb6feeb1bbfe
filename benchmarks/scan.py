"""Scan benchmark: N accounts x R Regions on a moto server behind a fixed-latency proxy.

moto runs in its own process (so its CPU does not compete with the scanner's threads for the GIL);
the proxy, in this process, adds ``--delay`` seconds to every request like a real AWS round trip
and counts the calls. The same scan is then run with ``--max-workers 1`` as the baseline. Figures
are printed, never asserted: the machine is shared, so compare the ratio, not the seconds.

    python benchmarks/scan.py --accounts 100 --regions 17 --delay 0.05

With ``--replay`` moto answers one scan (recorded), then every measured scan runs in a fresh
process against the recording replayed from memory (benchmarks/replay.py), so moto is not the
limit; it prints wall, scanner CPU per account-Region, calls per account-Region and the scanner's
peak RSS, each scan saving its snapshot as ``--save-snapshot`` would (``--fail service:Operation``
adds a run with that operation failing everywhere,
``--profile`` the scanner's top functions by own time):

    python benchmarks/scan.py --replay --accounts 100 --fail cloudtrail:ListEventDataStores
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pickle
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
            elif command == "record":  # a recording front for --replay, answered with its url
                from benchmarks.replay import RecordingServer

                recorder = RecordingServer(endpoint)
                recorder.start()
                replies.put(recorder.url)
            elif command == "recorded":
                replies.put(recorder.recorded)


@contextmanager
def served(delay: float) -> Iterator[tuple[Any, Any, Any, str, str]]:
    """``_serve`` started: (its process, replies, commands, moto's endpoint, the proxy's url);
    stopped when the block ends."""
    ctx = mp.get_context("spawn")
    replies, commands = ctx.Queue(), ctx.Queue()
    server = ctx.Process(target=_serve, args=(replies, commands, delay), daemon=True)
    server.start()
    endpoint, proxy_url = replies.get(timeout=60)
    try:
        yield server, replies, commands, endpoint, proxy_url
    finally:
        commands.put("stop")
        server.join(timeout=10)


def _cpu_seconds(pid: int | None) -> float:
    """CPU time a process has used (Linux /proc), to show whether moto or the scan is the limit."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _peak_rss_mb() -> float:
    """This process's peak RSS since it started: VmHWM, not ``ru_maxrss``, which Linux keeps
    across exec, so a spawned process would report its parent's size at the fork (here the
    parent holds the whole recording: hundreds of MB that are not the scanner's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass  # ended meanwhile
    return 0


class _TreeMemory:
    """Peak of this process's RSS plus its children's (the scan's worker processes), sampled
    every 50 ms while the block runs: what the machine must hold at once."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.05):
            children = [
                pid for pid in os.listdir("/proc") if pid.isdigit() and _parent_of(pid) == me
            ]
            total = _rss_kb(me) + sum(_rss_kb(pid) for pid in children)
            self.peak_mb = max(self.peak_mb, total / 1024)

    def __enter__(self) -> _TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _parent_of(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return ""


def _scan(
    accounts: list[str], regions: list[str], workers: int, processes: int | None = 1
) -> tuple[float, Any]:
    import tempfile

    from trailwarden.cli.options import AccessArgs, ScanScope
    from trailwarden.cli.scan import scan_snapshot
    from trailwarden.controls import evaluate
    from trailwarden.snapshot import save_snapshot

    start = time.perf_counter()
    snapshot = scan_snapshot(
        AccessArgs(role_name="OrganizationAccountAccessRole"),
        ScanScope(
            accounts=",".join(accounts),
            regions=",".join(regions),
            max_workers=workers,
            processes=processes,
        ),
    )
    evaluation = evaluate(snapshot)
    with tempfile.TemporaryDirectory() as folder:  # as scan --save-snapshot does
        save_snapshot(snapshot, Path(folder) / "snapshot.json")
    return time.perf_counter() - start, (snapshot, evaluation)


def _findings_digest(evaluation: Any) -> str:
    """sha256 of the findings JSON without its generation time: equal digests, equal findings."""
    import hashlib

    from trailwarden.report.findings_json import findings_document
    from trailwarden.report.render import render_json

    doc = findings_document(evaluation)
    doc.pop("generated_at", None)
    doc.pop("snapshot_generated_at", None)
    return hashlib.sha256(render_json(doc).encode()).hexdigest()[:16]


def _measured(
    env: dict[str, str],
    accounts: list[str],
    regions: list[str],
    workers: int,
    profile: bool,
    processes: int | None = 1,
) -> dict[str, Any]:
    """One scan in this (fresh) process: wall, CPU (its worker processes' included), peak RSS
    (this process's, and the largest worker's), findings digest, top functions."""
    import cProfile
    import io
    import pstats
    import resource

    os.environ.update(env)
    import trailwarden.cli.scan  # noqa: F401  (imports are not the scan's CPU)

    profiles: list[cProfile.Profile] = []
    if profile:  # every thread under its own profiler (the scan's work is in the pool's threads)
        run = threading.Thread.run

        def profiled(self: threading.Thread) -> None:
            profiler = cProfile.Profile(time.thread_time)  # CPU, not waits
            profiles.append(profiler)
            profiler.runcall(run, self)

        threading.Thread.run = profiled  # type: ignore[method-assign]

    def children_cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    tree = _TreeMemory()
    cpu, workers_cpu = time.process_time(), children_cpu()
    with tree:
        wall, (snapshot, evaluation) = _scan(accounts, regions, workers, processes)
    cpu, workers_cpu = time.process_time() - cpu, children_cpu() - workers_cpu
    top = ""
    if profiles:
        out = io.StringIO()
        stats = pstats.Stats(profiles[0], stream=out)
        for more in profiles[1:]:
            stats.add(more)
        stats.sort_stats("tottime").print_stats(25)
        top = out.getvalue()
    return {
        "wall": wall,
        "cpu": cpu + workers_cpu,
        "workers_cpu": workers_cpu,
        "rss_mb": _peak_rss_mb(),
        "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "tree_rss_mb": tree.peak_mb,
        "digest": _findings_digest(evaluation),
        "errors": len(snapshot.errors),
        "findings": len(evaluation.findings),
        "notes": [str(n) for n in getattr(snapshot, "notes", [])],
        "top": top,
    }


def _replayed(
    args: Any, replies: Any, commands: Any, accounts: list[str], regions: list[str]
) -> None:
    """Record one scan against moto, then measure scans against the replay in fresh processes."""
    from concurrent.futures import ProcessPoolExecutor

    from trailwarden.demo.server import FAKE_ENV

    ctx = mp.get_context("spawn")
    commands.put("record")
    recorder_url = replies.get()
    t0 = time.perf_counter()
    env = {**FAKE_ENV, "AWS_ENDPOINT_URL": recorder_url}
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        pool.submit(_measured, env, accounts, regions, args.workers, False).result()
    commands.put("recorded")
    recorded = replies.get()
    print(f"recorded {len(recorded)} answers in {time.perf_counter() - t0:.1f} s")
    if args.recording:  # the same input again later (another branch: byte-identical findings?)
        with open(args.recording, "wb") as out:
            pickle.dump((accounts, regions, recorded), out)
    _against_replay(args, recorded, accounts, regions)


def _against_replay(
    args: Any, recorded: dict[Any, Any], accounts: list[str], regions: list[str]
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from benchmarks.replay import serve_replay
    from trailwarden.demo.server import FAKE_ENV

    ctx = mp.get_context("spawn")
    env = dict(FAKE_ENV)
    r_replies, r_commands = ctx.Queue(), ctx.Queue()
    server = ctx.Process(
        target=serve_replay, args=(recorded, args.delay, r_replies, r_commands), daemon=True
    )
    server.start()
    env["AWS_ENDPOINT_URL"] = r_replies.get(timeout=60)
    pairs = len(accounts) * len(regions)
    runs: list[tuple[str, tuple[str, str] | None]] = [("clean", None)]
    if args.fail:
        service, operation = args.fail.split(":", 1)
        runs.append((f"{args.fail} failing", (service, operation)))
    try:
        for label, failing in runs:
            r_commands.put("reset")
            r_replies.get()
            if failing:
                r_commands.put(("fail", *failing))
                r_replies.get()
            server_cpu = _cpu_seconds(server.pid)
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                got = pool.submit(
                    _measured, env, accounts, regions, args.workers, args.profile, args.processes
                ).result()
            server_cpu = _cpu_seconds(server.pid) - server_cpu
            r_commands.put("count")
            counted, misses = r_replies.get()
            calls = sum(counted.values())
            print(
                f"{label}: {len(accounts)} accounts x {len(regions)} Regions at "
                f"{args.delay * 1000:.0f} ms, --max-workers {args.workers}: "
                f"wall {got['wall']:.1f} s, "
                f"scanner CPU {got['cpu']:.1f} s ({got['cpu'] / pairs * 1000:.1f} ms per "
                f"account-Region; {got['workers_cpu']:.1f} s in worker processes), {calls} calls "
                f"({calls / pairs:.2f} per account-Region), peak RSS {got['rss_mb']:.0f} MB "
                f"(largest worker process at most {got['worker_rss_mb']:.0f} MB; this process "
                f"and its workers together at most {got['tree_rss_mb']:.0f} MB), "
                f"{got['findings']} findings "
                f"(digest {got['digest']}), {got['errors']} errors, {misses} replay misses; "
                f"replay server CPU {server_cpu:.1f} s"
            )
            for note in got["notes"]:
                print(f"  note: {note}")
            if got["top"]:
                print(got["top"])
    finally:
        r_commands.put("stop")
        server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=17, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument(
        "--processes", type=int, default=1, help="with --replay: scan --processes (0: the default)"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="skip --max-workers 1")
    parser.add_argument("--replay", action="store_true", help="measure against a replay")
    parser.add_argument("--fail", help="with --replay: service:Operation failing everywhere")
    parser.add_argument("--profile", action="store_true", help="with --replay: cProfile top")
    parser.add_argument(
        "--recording", help="with --replay: save the recording here, or replay it if it exists"
    )
    args = parser.parse_args()
    args.processes = args.processes or None

    if args.replay and args.recording and Path(args.recording).exists():
        with open(args.recording, "rb") as saved:
            accounts, regions, recorded = pickle.load(saved)
        print(f"replaying {args.recording}: {len(recorded)} answers")
        _against_replay(args, recorded, accounts, regions)
        return

    from trailwarden.demo.org import build_scale_org
    from trailwarden.demo.server import pointed_at

    with served(args.delay) as (server, replies, commands, endpoint, proxy_url):
        t0 = time.perf_counter()
        members = build_scale_org(endpoint, args.accounts - 1)  # + the management account
        accounts = ["123456789012", *members]
        regions = REGIONS[: args.regions]
        print(f"seeded {len(accounts)} accounts in {time.perf_counter() - t0:.1f} s")
        if args.replay:
            _replayed(args, replies, commands, accounts, regions)
            return
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


if __name__ == "__main__":
    main()
