"""``plan --org-trail`` and ``apply`` benchmark: the organisation path against the per-account path.

The organisation is ``demo.org.build_scale_org``'s (N members, each with its own logging trail)
plus the management account; the first member is the log-archive account. Each path gets its own
fresh moto server behind the fixed-latency proxy (``benchmarks.scan._serve``), so neither finds
what the other created. Both call the library in-process, as the CLI does:

* organisation: ``plan --org-trail --log-archive-account A --approved-role ROLE`` (guardrail and
  drift on) = ``scan --org`` + ``build_org_plan`` + ``probe``; then ``apply`` of that plan, then
  ``apply`` again (every step re-checked: nothing to change);
* per account: ``plan --accounts ALL`` (the management account and every member) =
  scan of those accounts + ``build_plan`` + ``probe``; then the same two applies.

Both applies of a path share one journal file, as two ``trailwarden apply plan.json`` runs do.
API calls are counted per account by ``CountingAccess`` (the management account, the log-archive
account, a member: mean and max); the proxy's total is printed beside it. "waiting" is
delay x calls / wall: near 1 for a sequential stage the latency limits, below 1 when CPU takes
the rest (moto's and the proxy's, and trailwarden's own in this process: both printed), above 1
for a parallel stage (calls in flight on average). Figures are printed, never asserted.

    python benchmarks/org.py --accounts 100 --regions 3 --delay 0.05
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

MANAGEMENT = "123456789012"
HOME = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
APPROVED = f"arn:aws:iam::*:role/{ROLE}"
STAGES = ("scan", "plan checks", "apply", "apply again")


@dataclass
class Stage:
    """One stage's wall time, calls per account (CountingAccess) and the proxy's count."""

    wall: float
    per_account: dict[str, int]
    proxy_calls: int
    server_cpu: float
    own_cpu: float
    outcome: str = ""

    def split(self, archive: str | None) -> dict[str, float]:
        """Calls of the management account, the log-archive account, a member (mean, max)."""
        members = [n for a, n in self.per_account.items() if a not in {MANAGEMENT, archive}]
        return {
            "management": self.per_account.get(MANAGEMENT, 0),
            "log_archive": self.per_account.get(archive, 0) if archive else 0,
            "member_mean": round(mean(members), 1) if members else 0,
            "member_max": max(members, default=0),
            "members_called": len(members),
            "total": sum(self.per_account.values()),
        }


@dataclass
class Path_:
    """One path's stages, the accounts it covers and its log-archive account (if any)."""

    name: str
    archive: str | None
    members: int
    stages: dict[str, Stage] = field(default_factory=dict)

    def wall(self, *names: str) -> float:
        return sum(self.stages[n].wall for n in names)

    def calls(self, *names: str) -> int:
        return sum(sum(self.stages[n].per_account.values()) for n in names)


class _Server:
    """moto + proxy in their own process; reset/read the proxy's counters."""

    def __init__(self, delay: float) -> None:
        ctx = mp.get_context("spawn")
        self.replies, self.commands = ctx.Queue(), ctx.Queue()
        from benchmarks.scan import _serve

        self.process = ctx.Process(
            target=_serve, args=(self.replies, self.commands, delay), daemon=True
        )
        self.process.start()
        self.endpoint, self.proxy_url = self.replies.get(timeout=60)

    def ask(self, command: str) -> Any:
        self.commands.put(command)
        return self.replies.get()

    def stop(self) -> None:
        self.commands.put("stop")
        self.process.join(timeout=10)


@contextmanager
def _organisation(delay: float, members: int) -> Iterator[tuple[_Server, list[str]]]:
    """A fresh server with the organisation seeded straight to moto (no delay), then every
    client of this process pointed at the proxy."""
    from trailwarden.demo.org import build_scale_org
    from trailwarden.demo.server import pointed_at

    server = _Server(delay)
    try:
        ids = build_scale_org(server.endpoint, members)
        with pointed_at(server.endpoint):
            os.environ["AWS_ENDPOINT_URL"] = server.proxy_url
            yield server, ids
    finally:
        server.stop()


def _measure(server: _Server, run: Callable[[Any], str], workers: int) -> Stage:
    """Run one stage on a fresh counting session; the caller's identity is read before the
    clock starts (the CLI reads it before anything else too)."""
    from benchmarks.scan import _cpu_seconds
    from trailwarden.apply import CountingAccess
    from trailwarden.aws.session import AccessOptions

    access = CountingAccess(AccessOptions(region=HOME, role_name=ROLE, pool_size=max(10, workers)))
    access.caller_account()
    before = access.snapshot_counts()
    server.ask("reset")
    cpu, own = _cpu_seconds(server.process.pid), time.process_time()
    start = time.perf_counter()
    outcome = run(access)
    wall = time.perf_counter() - start
    cpu, own = _cpu_seconds(server.process.pid) - cpu, time.process_time() - own
    proxy = sum(server.ask("count").values())
    counted = access.per_account(before)
    per_account = {(a or MANAGEMENT): n for a, n in counted.items()}
    return Stage(wall, per_account, proxy, cpu, own, outcome)


def _stages(
    server: _Server,
    path: Path_,
    scan_scope: Any,
    build: Callable[[Any, Any], Any],
    workers: int,
) -> None:
    """scan, plan checks (build + probe), apply, apply again: each timed and counted."""
    from trailwarden.apply import Journal, Runner, probe
    from trailwarden.cli.options import AccessArgs
    from trailwarden.collect import collect

    held: dict[str, Any] = {}

    def scan(access: Any) -> str:
        _, options = scan_scope.options(AccessArgs(role_name=ROLE))
        held["snapshot"] = collect(access, options)
        return f"{len(held['snapshot'].accounts)} accounts, {len(held['snapshot'].errors)} errors"

    def check(access: Any) -> str:
        held["plan"] = probe(access, build(access, held["snapshot"]))
        plan = held["plan"]
        blocked = plan.organization.blocked if plan.organization else []
        return f"{len(plan.changes())} changes" + (f", BLOCKED {blocked}" if blocked else "")

    def apply(access: Any) -> str:
        report = Runner(access, held["plan"], Journal(held["journal"]), sleep=lambda _: None).run()
        if report.failed is not None:
            return f"FAILED {report.failed.step.id}: {report.failed.detail}"
        return "nothing to change" if report.nothing_to_change else f"{report.count('done')} done"

    with tempfile.TemporaryDirectory() as folder:
        held["journal"] = Path(folder) / "plan.journal.jsonl"
        for name, run in zip(STAGES, (scan, check, apply, apply), strict=True):
            stage = path.stages[name] = _measure(server, run, workers)
            print(f"  {path.name} {name}: {stage.wall:.1f} s, {stage.outcome}", flush=True)


def org_path(delay: float, members: int, regions: list[str], workers: int) -> Path_:
    """plan --org-trail (guardrail, drift, log-archive account), apply, apply again."""
    from trailwarden.cli.options import ScanScope
    from trailwarden.cli.org_trail import OrgTrailArgs, org_plan
    from trailwarden.plan.steps import PlanOptions

    with _organisation(delay, members) as (server, ids):
        path = Path_("org", ids[0], members)
        args = OrgTrailArgs(org_trail=True, log_archive_account=ids[0], approved_roles=[APPROVED])
        args.check()
        options = args.options(PlanOptions(baseline={"home_region": HOME}), ROLE)
        scope = ScanScope(org=True, regions=regions, max_workers=workers)
        _stages(server, path, scope, lambda access, snap: org_plan(access, snap, options), workers)
    return path


def per_account_path(delay: float, members: int, regions: list[str], workers: int) -> Path_:
    """plan --accounts MANAGEMENT,MEMBER... (one baseline trail each), apply, apply again."""
    from trailwarden.cli.options import ScanScope
    from trailwarden.plan.steps import PlanOptions, build_plan

    with _organisation(delay, members) as (server, ids):
        path = Path_("per-account", None, members)
        options = PlanOptions(baseline={"home_region": HOME})
        accounts = [MANAGEMENT, *ids]
        scope = ScanScope(accounts=accounts, regions=regions, max_workers=workers)
        _stages(server, path, scope, lambda _access, snap: build_plan(snap, options), workers)
    return path


def report(org: Path_, per: Path_, delay: float) -> dict[str, Any]:
    """Print the table; return the figures for the JSON line."""
    rows = [(s, (s,)) for s in STAGES] + [("plan (scan + checks)", ("scan", "plan checks"))]
    print(
        f"{'stage':<22}{'org wall s':>11}{'per-acct s':>11}{'ratio':>7}"
        f"{'org calls':>11}{'per-acct':>10}{'ratio':>7}"
    )
    figures: dict[str, Any] = {}
    for label, names in rows:
        ow, pw = org.wall(*names), per.wall(*names)
        oc, pc = org.calls(*names), per.calls(*names)
        print(
            f"{label:<22}{ow:>11.1f}{pw:>11.1f}{ow / pw:>7.2f}"
            f"{oc:>11}{pc:>10}{(oc / pc if pc else float('nan')):>7.2f}"
        )
        figures[label] = {"org_wall_s": round(ow, 2), "per_account_wall_s": round(pw, 2),
                          "org_calls": oc, "per_account_calls": pc}  # fmt: skip
    print("calls per account (management / log-archive / member mean / member max):")
    for path in (org, per):
        for name in STAGES:
            stage = path.stages[name]
            s = stage.split(path.archive)
            bound = delay * stage.proxy_calls / stage.wall if stage.wall else 0.0
            print(
                f"  {path.name:<11} {name:<12} {s['management']:>5} / {s['log_archive']:>4} / "
                f"{s['member_mean']:>6} / {s['member_max']:>4}  ({s['members_called']} members "
                f"called; proxy counted {stage.proxy_calls}; waiting {bound:.2f}; "
                f"CPU: moto+proxy {stage.server_cpu:.1f} s, trailwarden {stage.own_cpu:.1f} s)"
            )
            figures.setdefault(f"{path.name} {name}", {}).update(
                s, wall_s=round(stage.wall, 2), proxy_calls=stage.proxy_calls,
                server_cpu_s=round(stage.server_cpu, 1), own_cpu_s=round(stage.own_cpu, 1),
                outcome=stage.outcome,
            )  # fmt: skip
    return figures
