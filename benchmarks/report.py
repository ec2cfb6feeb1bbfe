"""Report benchmark: render every format for N accounts' findings (the target: under 2 s each).

The findings come from evaluating a built snapshot (an organisation trail seen by every account,
without a KMS key or log file validation, in 17 Regions), so their number and shape are a real
scan's. Figures are printed, never asserted: the machine is shared (CPU time is steadier).

    python benchmarks/report.py --accounts 1000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as a script, only benchmarks/ is on the path: the repository root holds tests.scan.build.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    from tests.scan.build import MGMT, make_snapshot, make_trail

    from benchmarks.scan import REGIONS
    from trailwarden.controls import evaluate
    from trailwarden.report.findings_json import findings_document
    from trailwarden.report.render import RENDERERS, shape

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    args = parser.parse_args()
    accounts = [MGMT] + [f"{100000000000 + i:012d}" for i in range(1, args.accounts)]
    trail = make_trail("org", org=True, kms_key_id=None, log_file_validation_enabled=False)
    started = time.perf_counter()
    snapshot = make_snapshot([trail], accounts=accounts, regions=REGIONS)
    doc = findings_document(evaluate(snapshot))
    print(
        f"{args.accounts} accounts x {len(REGIONS)} Regions: {len(doc['findings'])} findings "
        f"(built and evaluated in {time.perf_counter() - started:.1f} s)"
    )
    suppressions = Path(__file__).with_name("report-suppressions.yaml")
    suppressions.write_text(
        "suppressions:\n  - {control: CloudTrail.4, region: 'eu-*', reason: benchmark, "
        "owner: bench, expires: 2099-01-01}\n  - {control: CloudWatch.*, account: '10000000*', "
        "reason: benchmark, owner: bench, expires: 2099-01-01}\n"
    )
    try:
        started = time.perf_counter()
        shaped = shape(doc, "cis-1.4", suppressions)
        print(f"  --compliance cis-1.4 --suppressions: {time.perf_counter() - started:6.2f} s")
    finally:
        suppressions.unlink()
    for name, render in RENDERERS.items():
        for label, subject in (("", doc), (" (cis-1.4, suppressed)", shaped)):
            started, cpu = time.perf_counter(), time.process_time()
            size = len(render(subject))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            flag = "" if cpu < 2 else "  over 2 s"
            print(
                f"  {name:<6}{label:<24} {elapsed:6.2f} s wall {cpu:6.2f} s CPU "
                f"{size / 1e6:7.1f} MB{flag}"
            )


if __name__ == "__main__":
    main()
