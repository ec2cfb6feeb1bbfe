"""Carry out a plan: check each step against live AWS, write only what differs, journal it.

Steps run in plan order (docs/aws-facts/trail-setup.md#setup-order). Before each write the step's
live state is read again, so a step an earlier run finished, or that someone did by hand, becomes a
no-op: applying twice changes nothing, and a rerun after a failure resumes where it stopped. The
first failure stops the run; the report says what was done and what was not. Every result is
appended to a JSON-lines journal (step, result, time) together with what the run learnt (``Facts``),
which a rerun reads back.

CreateTrail/UpdateTrail may be refused for a few seconds after the role or policies they name were
written (IAM and policy propagation, docs/aws-facts/trail-setup.md#propagation): those errors are
retried with bounded back-off. A handler whose write waits for a change AWS finishes in the
background (AttachPolicy after EnablePolicyType) retries through ``ctx.patience``
(``apply.waiting``), bounded in total time by ``settle_s``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden import outfile
from trailwarden.apply import (
    drift_ops,  # noqa: F401  (registers the drift handlers)
    org_guardrail_ops,  # noqa: F401  (registers the SCP handlers)
    org_trail_ops,  # noqa: F401  (registers the organisation trail handlers)
    trail_ops,  # noqa: F401  (registers the trail handlers)
)
from trailwarden.apply.context import AccountContext, CountingAccess, Facts, UnresolvedReference
from trailwarden.apply.operations import HANDLERS, State
from trailwarden.apply.waiting import Patience
from trailwarden.aws.errors import error_code
from trailwarden.errors import UsageError
from trailwarden.plan import step_rules
from trailwarden.plan.model import Plan, Step, covering_step

Result = Literal["done", "noop", "failed", "not-done"]
StepProgress = Callable[[int, int, str], None]
"""``(steps finished, steps in the plan, the step now running as "Operation target")``."""
PROPAGATION_CODES = frozenset(
    {
        "InvalidCloudWatchLogsRoleArnException",
        "InvalidCloudWatchLogsLogGroupArnException",
        "InsufficientEncryptionPolicyException",
        "InsufficientS3BucketPolicyException",
    }
)
NOT_FOUND = frozenset(
    {
        "TrailNotFoundException",
        "NoSuchEntity",
        "NoSuchBucket",
        "NotFoundException",
        "NotFound",
        "ResourceNotFoundException",
    }
)
# Operations that make a new thing when the check finds it missing (the rest change a setting).
CREATES = ("Create", "PutMetric", "Subscribe", "PutRolePolicy", "Attach")
STEP_ERRORS = (ClientError, BotoCoreError, RuntimeError, UnresolvedReference)


@dataclass
class StepResult:
    step: Step
    result: Result
    detail: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ApplyReport:
    results: list[StepResult]
    api_calls: dict[str, int]
    facts: dict[str, Facts]

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.results if r.result == "failed"), None)

    def count(self, result: Result) -> int:
        return sum(1 for r in self.results if r.result == result)

    @property
    def nothing_to_change(self) -> bool:
        return all(r.result == "noop" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "trailwarden.apply/1",
            "ok": self.failed is None,
            "counts": {k: self.count(k) for k in ("done", "noop", "failed", "not-done")},
            "api_calls": self.api_calls,
            "subscriptions": {a: f.subscriptions for a, f in self.facts.items() if f.subscriptions},
            "steps": [
                {
                    "step": r.step.id,
                    "operation": f"{r.step.service}:{r.step.operation}",
                    "target": r.step.target,
                    "result": r.result,
                    "detail": r.detail,
                }
                for r in self.results
            ],
        }


class Journal:
    """JSON lines beside the plan; ``None`` path keeps nothing (library use)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @staticmethod
    def beside(plan_path: Path) -> Path:
        return plan_path.with_name(plan_path.stem + ".journal.jsonl")

    def check_writable(self) -> None:
        """A journal that cannot be written is a one-line error before anything is applied."""
        if self.path is not None:
            outfile.check_writable(self.path)

    def facts(self) -> dict[str, Facts]:
        found: dict[str, Facts] = {}
        if self.path is None or not self.path.exists():
            return found
        try:
            text = self.path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read journal {self.path}: {exc}") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                raise UsageError(f"journal {self.path} line {number} is not JSON") from None
            if isinstance(entry, dict) and entry.get("facts"):
                found.setdefault(str(entry.get("account")), Facts()).update(entry["facts"])
        return found

    def write(self, result: StepResult, facts: Facts) -> None:
        if self.path is None:
            return
        entry = {
            "time": result.time.isoformat(),
            "step": result.step.id,
            "account": result.step.account,
            "operation": f"{result.step.service}:{result.step.operation}",
            "target": result.step.target,
            "result": result.result,
            "detail": result.detail,
            "facts": {
                "kms_keys": facts.kms_keys,
                "created_log_groups": sorted(facts.created_log_groups),
                "subscriptions": facts.subscriptions,
            },
        }
        # Appended, not replaced: each line is the record of a change already made in AWS,
        # and a rerun reads every line back.
        try:
            with self.path.open("a") as fh:
                fh.write(json.dumps(entry, default=str) + "\n")
        except OSError as exc:
            raise outfile.cannot_write(self.path, exc) from None


def refuse_unknown_steps(plan: Plan) -> None:
    """A plan we cannot carry out, or whose steps break their rules (an edit that weakens the
    trail, a parameter removed: plan/step_rules.py), is refused before anything is touched."""
    for step in plan.steps:
        if (step.service, step.operation) not in HANDLERS:
            raise UsageError(
                f"step {step.id}: trailwarden cannot apply {step.service}:{step.operation}"
            )
    problem = step_rules.refusal(plan)
    if problem is not None:
        raise UsageError(problem)


def check_step(ctx: AccountContext, step: Step) -> State:
    handler = HANDLERS.get((step.service, step.operation))
    if handler is None:
        raise UsageError(
            f"step {step.id}: trailwarden cannot apply {step.service}:{step.operation}"
        )
    try:
        return handler.check(ctx, step)
    except UnresolvedReference:
        return State.MISSING
    except ClientError as exc:
        if error_code(exc, "") in NOT_FOUND:  # something this step builds on does not exist yet
            return State.MISSING
        raise


def contexts(
    access: CountingAccess,
    plan: Plan,
    facts: dict[str, Facts],
    patience: Patience | None = None,
) -> dict[str, AccountContext]:
    out: dict[str, AccountContext] = {}
    for step in plan.steps:
        ctx = out.get(step.account)
        if ctx is None:
            ctx = out[step.account] = AccountContext(
                access, step.account, facts.setdefault(step.account, Facts()), patience
            )
        if step.operation == "PutMetricAlarm":
            ctx.alarm_names.append(str(step.params["AlarmName"]))
    return out


@dataclass
class Runner:
    access: CountingAccess
    plan: Plan
    journal: Journal = field(default_factory=lambda: Journal(None))
    sleep: Callable[[float], None] = time.sleep
    propagation_attempts: int = 6
    settle_s: float | None = None  # total wait for a background change (None: SETTLE_SECONDS)
    on_progress: StepProgress | None = None
    on_result: Callable[[StepResult], None] | None = None

    def run(self) -> ApplyReport:
        refuse_unknown_steps(self.plan)
        self.journal.check_writable()  # before the first AWS write, not after it
        before = self.access.snapshot_counts()
        facts = self.journal.facts()
        ctxs = contexts(
            self.access, self.plan, facts, Patience(budget_s=self.settle_s, sleep=self.sleep)
        )
        results: list[StepResult] = []
        total = len(self.plan.steps)
        failed = False
        for number, step in enumerate(self.plan.steps):
            if failed:
                results.append(StepResult(step, "not-done", "stopped after a failure"))
                continue
            now = f"{step.operation} {step.target}"
            if self.on_progress is not None:
                self.on_progress(number, total, now)
            result = self.one(ctxs[step.account], step)
            failed = result.result == "failed"
            self.journal.write(result, ctxs[step.account].facts)
            results.append(result)
            if self.on_result is not None:
                self.on_result(result)
            if self.on_progress is not None:
                self.on_progress(number + 1, total, now)
        return ApplyReport(results, self.access.per_account(before), facts)

    def one(self, ctx: AccountContext, step: Step) -> StepResult:
        handler = HANDLERS[(step.service, step.operation)]
        try:
            if check_step(ctx, step) is State.OK:
                return StepResult(step, "noop", "already as planned")
            return StepResult(step, "done", self.with_retries(lambda: handler.do(ctx, step)))
        except STEP_ERRORS as exc:
            return StepResult(step, "failed", " ".join(str(exc).split()))
        except (KeyError, TypeError) as exc:
            # An edited plan that lost a parameter this step needs: said by
            # name, like any malformed plan, instead of a KeyError traceback.
            raise UsageError(
                f"step {step.id} ({step.service}:{step.operation}): the plan's parameters are"
                f" not what this step needs ({type(exc).__name__}: {exc})"
            ) from None

    def with_retries(self, write: Callable[[], str]) -> str:
        delay = 1.0
        for attempt in range(1, self.propagation_attempts + 1):
            try:
                return write()
            except ClientError as exc:
                if (
                    error_code(exc, "") not in PROPAGATION_CODES
                    or attempt == self.propagation_attempts
                ):
                    raise
                self.sleep(delay)  # the role or policy is not visible to CloudTrail yet
                delay = min(delay * 2, 16.0)
        raise AssertionError("unreachable")


def probe(access: CountingAccess, plan: Plan, max_workers: int = 8) -> Plan:
    """The plan with every step's action read from live AWS instead of predicted (no writes).

    Accounts are checked in parallel (reads only; each account's steps in order on one thread).
    A step whose live state cannot be read keeps its predicted action; the account's notes say
    which and why.
    """
    checked = plan.model_copy(deep=True)
    ctxs = contexts(access, checked, {})

    def account_steps(account: str) -> None:
        for step in (s for s in checked.steps if s.account == account):
            _probe_step(checked, ctxs[account], step)

    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        for future in [pool.submit(account_steps, a) for a in ctxs]:
            future.result()
    checked.probed = True
    return checked


def _probe_step(plan: Plan, ctx: AccountContext, step: Step) -> None:
    coverer = covering_step(plan.steps, step)
    if coverer is not None and coverer.action == "create":
        # The earlier step creates the target with what this step writes: apply will find it
        # in place. Checking it now would only read that the target does not exist yet.
        step.action = "noop"
        return
    try:
        state = check_step(ctx, step)
    except STEP_ERRORS as exc:
        account = plan.account(step.account)
        if account is not None:
            account.notes.append(f"could not check step {step.id}: {exc}")
        return
    if state is State.OK:
        step.action = "noop"
    elif state is State.DIFFERS:
        step.action = "update"
    else:
        step.action = "create" if step.operation.startswith(CREATES) else "update"
