"""Report benchmark: evaluate N accounts' snapshot, build the findings document and write every
format (the target: under 2 s each, and the whole scan under 400 MB peak RSS at 1,000 accounts).

The findings come from evaluating a built snapshot (an organisation trail seen by every account,
without a KMS key or log file validation, in 17 Regions), so their number and shape are a real
scan's. Each stage runs in a process forked for it, so its memory is its own: ``+RSS`` is how far
the stage raised the resident set above what it started with (the stages before it held), and
``--tracemalloc`` adds the peak of what the stage allocated (a second run of it: tracing slows
it). Formats are written to a file as ``scan --out`` writes them. ``pipeline`` is a scan's report
step whole, from the snapshot: evaluate, document and write, with the peak RSS of that process.
Figures are printed, never asserted: the machine is shared (CPU time is steadier).

    python benchmarks/report.py --accounts 1000 [--tracemalloc] [--profile FORMAT]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, only benchmarks/ is on the path: the repository root holds tests.scan.build.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SUPPRESSIONS = (
    "suppressions:\n  - {control: CloudTrail.4, region: 'eu-*', reason: benchmark, "
    "owner: bench, expires: 2099-01-01}\n  - {control: CloudWatch.*, account: '10000000*', "
    "reason: benchmark, owner: bench, expires: 2099-01-01}\n"
)
MB = 2**20


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _in_child(stage: Callable[[], Any], traced: bool) -> dict[str, float]:
    """Run ``stage`` in a forked process: its wall and CPU seconds, how far it raised the peak
    RSS over the RSS it started with, the peak RSS itself and, ``traced``, its traced peak."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, send the figures, leave without cleaning up
        try:
            os.close(read)
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            start = _status_kb("VmRSS")
            if traced:
                tracemalloc.start()
            wall, cpu = time.perf_counter(), time.process_time()
            stage()
            figures = {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "rss_up": (_status_kb("VmHWM") - start) / 1024,
                "rss_peak": _status_kb("VmHWM") / 1024,
                "traced": tracemalloc.get_traced_memory()[1] / MB if traced else -1,
            }
            os.write(write, json.dumps(figures).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    if not data:
        raise SystemExit("a measured stage failed in its process")
    result: dict[str, float] = json.loads(data)
    return result


def measure(stage: Callable[[], Any], traced: bool) -> dict[str, float]:
    figures = _in_child(stage, traced=False)
    if traced:
        figures["traced"] = _in_child(stage, traced=True)["traced"]
    return figures


def line(label: str, f: dict[str, float], size: float | None = None, target: bool = True) -> str:
    """One stage's figures; ``target``: a format, flagged at 2 CPU seconds or more."""
    traced = f"{f['traced']:8.0f}" if f["traced"] >= 0 else " " * 8
    over = "  over 2 s" if target and f["cpu"] >= 2 else ""
    out = f"{size / MB:8.1f}" if size is not None else " " * 8
    return f"  {label:<30} {f['wall']:6.2f} {f['cpu']:6.2f} {f['rss_up']:7.0f} {traced}{out}{over}"


def write_report(doc: dict[str, Any], fmt: Any, out: Path) -> None:
    """What ``scan --output FMT --out FILE`` does with the document."""
    from trailwarden.report import render

    if hasattr(render, "write_report"):
        render.write_report(doc, fmt, out)
    else:  # the renderers before they streamed: the whole text, then the file
        render.write_output(render.render(doc, fmt), out)


def draw_text(evaluation: Any, doc: dict[str, Any]) -> None:
    """The terminal report (``scan`` without ``--output``) drawn into a discarded console."""
    from rich.console import Console

    from trailwarden.report.text import narrowed, render_text, render_text_extras

    console = Console(file=io.StringIO(), width=10_000, soft_wrap=True, markup=False)
    render_text(narrowed(evaluation, doc), console)
    render_text_extras(doc, console)


def main() -> None:
    from tests.scan.build import MGMT, make_snapshot, make_trail

    from benchmarks.scan import REGIONS
    from trailwarden.controls import evaluate
    from trailwarden.report.findings_json import findings_document
    from trailwarden.report.render import RENDERERS, shape

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true", help="Also each stage's peak.")
    parser.add_argument("--only", help="Comma-separated formats to write (default: all).")
    parser.add_argument("--no-pipeline", action="store_true", help="Skip the pipeline runs.")
    parser.add_argument("--profile", metavar="STAGE", help="cProfile one stage (a format, ...).")
    args = parser.parse_args()
    formats = [f for f in RENDERERS if not args.only or f in args.only.split(",")]
    accounts = [MGMT] + [f"{100000000000 + i:012d}" for i in range(1, args.accounts)]
    trail = make_trail("org", org=True, kms_key_id=None, log_file_validation_enabled=False)
    started = time.perf_counter()
    snapshot = make_snapshot([trail], accounts=accounts, regions=REGIONS)
    print(
        f"{args.accounts} accounts x {len(REGIONS)} Regions: snapshot built in "
        f"{time.perf_counter() - started:.1f} s, RSS {_status_kb('VmRSS') / 1024:.0f} MB"
    )
    folder = Path(tempfile.mkdtemp(prefix="report-bench-"))
    suppressions = folder / "suppressions.yaml"
    suppressions.write_text(SUPPRESSIONS)
    out = folder / "report.out"
    print(f"  {'stage':<30} {'wall s':>6} {'CPU s':>6} {'+RSS MB':>7} {'traced':>8} {'out MB':>7}")
    try:
        if not args.no_pipeline and not args.profile:
            for fmt in formats:

                def pipeline(fmt: Any = fmt) -> None:
                    write_report(findings_document(evaluate(snapshot)), fmt, out)

                f = measure(pipeline, traced=False)
                print(line(f"pipeline {fmt} (peak {f['rss_peak']:.0f} MB)", f, target=False))
        evaluation = evaluate(snapshot)
        doc = findings_document(evaluation)
        shaped = shape(doc, "cis-1.4", suppressions)
        print(f"  {len(doc['findings'])} findings, {len(shaped['findings'])} after cis-1.4")
        stages: dict[str, Callable[[], Any]] = {
            "evaluate": lambda: evaluate(snapshot),
            "findings_document": lambda: findings_document(evaluation),
            "shape (cis-1.4, suppressions)": lambda: shape(doc, "cis-1.4", suppressions),
            "text": lambda: draw_text(evaluation, doc),
            "text (cis-1.4, suppressed)": lambda: draw_text(evaluation, shaped),
        }
        for fmt in formats:
            stages[str(fmt)] = lambda fmt=fmt: write_report(doc, fmt, out)
            stages[f"{fmt} (cis-1.4, suppressed)"] = lambda fmt=fmt: write_report(shaped, fmt, out)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(stages[args.profile])
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        for label, stage in stages.items():
            out.unlink(missing_ok=True)
            f = measure(stage, args.tracemalloc)
            size = out.stat().st_size if out.exists() else None
            print(line(label, f, size, target=label not in ("evaluate", "findings_document")))
    finally:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
