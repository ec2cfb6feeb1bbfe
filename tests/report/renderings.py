"""Every rendering of two fixed snapshots, for the test that keeps them byte-identical.

Renderers and the evaluation are tuned for speed and memory at a thousand accounts; this is what
says such a change altered nothing a user sees. ``python -m tests.report.renderings`` writes the
digests (only ever from code whose output is known good: the digests are the reference).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail

from trailwarden.controls import Evaluation, evaluate
from trailwarden.report.findings_json import findings_document
from trailwarden.report.matrix import coverage_document, render_matrix
from trailwarden.report.render import RENDERERS, render_json, shape
from trailwarden.report.text import (
    narrowed,
    render_text,
    render_text_document,
    render_text_extras,
)
from trailwarden.snapshot.model import ApiError, Snapshot

DIGESTS = Path(__file__).with_name("data") / "renderings.sha256.json"
GENERATED_AT = "2026-11-24T12:30:00+00:00"
TODAY = date(2026, 11, 24)
SUPPRESSIONS = """suppressions:
  - {control: CloudTrail.4, region: 'eu-*', reason: "accepted <risk> & noted", owner: ops,
     expires: 2099-01-01}
  - {control: CloudWatch.*, account: '3333*', reason: SIEM, owner: bench, expires: 2099-01-01}
  - {control: CloudTrail.7, reason: expired, owner: ops, expires: 2020-01-01}
  - {control: CloudTrail.99, reason: matches nothing, owner: ops, expires: 2099-01-01}
"""
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def varied_snapshot() -> Snapshot:
    """Six accounts, four Regions, most paths: an organisation trail without a key or
    validation, a member's own single-Region trail, a stopped trail, a Region whose trails
    could not be listed, an account whose Regions could not be listed, an unreachable one."""
    accounts = [MGMT, MEMBER, "333333333333", "444444444444", "555555555555", "666666666666"]
    trails = [
        make_trail("org", org=True, kms_key_id=None, log_file_validation_enabled=False),
        make_trail("local", MEMBER, "eu-west-1", multi=False, kms_key_id=None),
        make_trail("stopped", "333333333333", logging=False, tags={}),
    ]
    errors = [
        ApiError(
            account="444444444444",
            region="eu-central-1",
            operation="cloudtrail:DescribeTrails",
            error="AccessDenied: no",
            code="AccessDenied",
        ),
        ApiError(
            account="555555555555",
            region="us-east-1",
            operation="ec2:DescribeRegions",
            error="Throttling: slow down",
            code="Throttling",
        ),
    ]
    snapshot = make_snapshot(
        trails,
        accounts=accounts,
        regions=REGIONS,
        region_errors={("444444444444", "eu-central-1")},
        errors=errors,
    )
    snapshot.accounts[-1].reachable = False
    return snapshot


def bench_snapshot() -> Snapshot:
    """benchmarks/report.py's shape (an organisation trail seen by every account, 17 Regions)
    at 12 accounts."""
    from benchmarks.scan import REGIONS as ALL_REGIONS

    accounts = [MGMT] + [f"{100000000000 + i:012d}" for i in range(1, 12)]
    trail = make_trail("org", org=True, kms_key_id=None, log_file_validation_enabled=False)
    return make_snapshot([trail], accounts=accounts, regions=ALL_REGIONS)


def _text(draw: Any) -> str:
    out = io.StringIO()
    console = Console(file=out, width=150, color_system=None, highlight=False, markup=False)
    # Tables are drawn tab-separated when stdout is not a terminal: pinned to that, so the
    # digest is the same under ``pytest -s`` on a terminal.
    with contextlib.redirect_stdout(io.StringIO()):
        draw(console)
    return out.getvalue()


def _evaluation_lines(evaluation: Evaluation) -> str:
    """Every typed finding and signal whole (gap and root cause included), one per line."""
    return "".join(f"{f!r}\n" for f in evaluation.findings) + "".join(
        f"{s!r}\n" for s in evaluation.signals
    )


def renderings(snapshot: Snapshot, tmp: Path) -> dict[str, str]:
    evaluation = evaluate(snapshot)
    plain = findings_document(evaluation)
    plain["generated_at"] = GENERATED_AT
    (tmp / "suppressions.yaml").write_text(SUPPRESSIONS)
    shaped = shape(findings_document(evaluation), "cis-1.4", tmp / "suppressions.yaml", TODAY)
    shaped["generated_at"] = GENERATED_AT
    out = {"evaluation": _evaluation_lines(evaluation)}
    for label, doc in (("plain", plain), ("shaped", shaped)):
        for fmt, render in RENDERERS.items():
            out[f"{label}.{fmt}"] = render(doc)
        out[f"{label}.text"] = _text(
            lambda c, doc=doc: (
                render_text(narrowed(evaluation, doc), c, verbose=True),
                render_text_extras(doc, c),
                render_text_document(doc, c),
            )
        )
    out["org.coverage"] = render_json(coverage_document(evaluation))
    out["org.matrix"] = _text(lambda c: render_matrix(evaluation, c))
    return out


def digests(tmp: Path) -> dict[str, str]:
    found = {}
    for name, snapshot in (("varied", varied_snapshot()), ("bench", bench_snapshot())):
        for key, text in renderings(snapshot, tmp).items():
            found[f"{name}.{key}"] = hashlib.sha256(text.encode()).hexdigest()
    return found


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        DIGESTS.write_text(json.dumps(digests(Path(folder)), indent=1, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {DIGESTS}\n")
