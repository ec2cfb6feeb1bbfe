"""Benchmark: the 14 CIS patterns over >= 1M parsed CloudTrail events, compiled vs naive walk.

    PYTHONPATH=src python benchmarks/filterpattern.py [--events N] [--naive-events M]

Events are the real records of tests/data/datasets (Stratus Red Team, OTRF) plus the built-in
corpus, replicated to N with fresh eventIDs. Each replica copies the record and its nested
objects (userIdentity, additionalEventData, ...) so predicates touch distinct dicts, as they would
after json.loads of real logs. Both evaluators run through the same ``sum(map(...))`` loop on one
core; the naive walk runs on the first M events (its rate does not depend on M) to keep the run
short. Target: >= 1,000,000 events/s per pattern compiled.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from trailwarden.filterpattern import compile_pattern, evaluate, parse
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.filterpattern.corpus import CORPUS

DEFAULT_DATASETS = Path(__file__).resolve().parents[1] / "tests" / "data" / "datasets"
TARGET = 1_000_000


def base_records(datasets: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((datasets / "stratus-red-team-detonation-logs").glob("*.json")):
        records.extend(json.loads(path.read_text()))
    for path in sorted((datasets / "otrf-aws-ec2-proxy-s3-exfiltration").glob("*.json")):
        records.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    records.extend(dict(example.event) for example in CORPUS)
    return records


def replicate(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(n):
        event = {
            k: dict(v) if isinstance(v, dict) else v for k, v in records[i % len(records)].items()
        }
        event["eventID"] = f"{i:08x}-0000-4000-8000-{i:012x}"
        events.append(event)
    return events


def rate(
    predicate: Callable[[Mapping[str, Any]], bool], events: list[dict[str, Any]]
) -> tuple[int, float]:
    started = time.perf_counter()
    matches = sum(map(predicate, events))
    return matches, len(events) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CIS filter patterns: compiled vs naive walk.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--naive-events", type=int, default=100_000)
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    args = parser.parse_args(argv)
    if args.events < 1 or args.naive_events < 1:
        parser.error("--events and --naive-events must be positive")

    gc.disable()  # building a million dicts would otherwise trigger needless collections
    records = base_records(args.datasets)
    events = replicate(records, args.events)
    gc.freeze()
    gc.enable()
    sample = events[: min(args.naive_events, len(events))]
    print(
        f"{len(events):,} events in memory ({len(records)} distinct records replicated); "
        f"naive walk on the first {len(sample):,}; Python {sys.version.split()[0]}, one core"
    )
    print(f"{'control':<14}{'matches':>9}{'compiled ev/s':>16}{'naive ev/s':>14}{'ratio':>8}")
    slowest = float("inf")
    for control in CIS_CONTROLS:
        ast = parse(control.pattern)
        predicate = compile_pattern(ast)
        matches, compiled = rate(predicate, events)
        naive_matches, naive = rate(partial(evaluate, ast), sample)
        if naive_matches != sum(map(predicate, sample)):
            print(f"{control.control_id}: compiled and naive disagree", file=sys.stderr)
            return 1
        slowest = min(slowest, compiled)
        print(
            f"{control.control_id:<14}{matches:>9,}{compiled:>16,.0f}{naive:>14,.0f}"
            f"{compiled / naive:>7.1f}x"
        )
    verdict = "meets" if slowest >= TARGET else "MISSES"
    print(f"slowest compiled pattern: {slowest:,.0f} events/s ({verdict} the {TARGET:,}/s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
