"""Owns the proofs that a planned trail is logging, validated and alarming, the
canary that proves a real event pages someone, and how fast (``verify.canary``), and the
organisation's coverage proved per account (``verify.org``).
May import apply (contexts), integrity, plan, policies, filterpattern, trailstore, concurrency,
aws.errors, errors and botocore; never cli or rich.

Each round of checks is reported through ``on_attempt``; the CLI draws the bar."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from trailwarden.apply.context import CountingAccess
from trailwarden.apply.runner import contexts
from trailwarden.errors import UsageError
from trailwarden.integrity.keys import PublicKey
from trailwarden.plan.model import Plan
from trailwarden.verify.checks import AccountVerifier, Check

VERIFY_SCHEMA = "trailwarden.verify/1"
R = TypeVar("R")
_DURATION = re.compile(r"^(\d+)([smh]?)$")


def parse_duration(text: str, option: str = "--wait") -> float:
    """``90``, ``90s``, ``20m``, ``1h`` -> seconds; anything else is a one-line UsageError."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise UsageError(f"{option} {text!r} is not a duration like 90s, 20m or 1h")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@dataclass
class VerifyReport:
    checks: list[Check]
    attempts: int = 1
    api_calls: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status == "PASS" for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        accounts: dict[str, list[dict[str, str]]] = {}
        for check in self.checks:
            accounts.setdefault(check.account, []).append(check.to_json())
        return {
            "schema": VERIFY_SCHEMA,
            "ok": self.ok,
            "attempts": self.attempts,
            "accounts": [{"account": a, "checks": c} for a, c in accounts.items()],
            "api_calls": self.api_calls,
        }


def verify_once(
    access: CountingAccess, plan: Plan, public_keys: Sequence[PublicKey] | None = None
) -> list[Check]:
    ctxs = contexts(access, plan, {})  # fresh contexts: nothing memoised between attempts
    checks: list[Check] = []
    for account in plan.accounts:
        if account.baseline is None or account.account not in ctxs:
            continue
        steps = [s for s in plan.steps if s.account == account.account]
        verifier = AccountVerifier(ctxs[account.account], account, steps, public_keys)
        checks.extend(verifier.run())
    return checks


def verify_plan(
    access: CountingAccess,
    plan: Plan,
    *,
    public_keys: Sequence[PublicKey] | None = None,
    wait_s: float = 0.0,
    interval_s: float = 30.0,
    on_attempt: Callable[[list[Check]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> VerifyReport:
    """Run every check; with ``wait_s``, repeat every ``interval_s`` until all pass or time
    is up."""
    if not any(a.baseline is not None for a in plan.accounts):
        raise UsageError("the plan has no account with a baseline to verify")
    before = access.snapshot_counts()

    def once() -> VerifyReport:
        checks = verify_once(access, plan, public_keys)
        if on_attempt is not None:
            on_attempt(checks)
        return VerifyReport(checks)

    report, attempts = poll(once, lambda r: r.ok, wait_s, interval_s, sleep, clock)
    report.attempts = attempts
    report.api_calls = access.per_account(before)
    return report


def poll(
    once: Callable[[], R],
    passed: Callable[[R], bool],
    wait_s: float,
    interval_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[R, int]:
    """``once()`` until ``passed`` or ``wait_s`` is up, ``interval_s`` apart: (last, attempts)."""
    deadline = clock() + wait_s
    attempts = 0
    while True:
        attempts += 1
        result = once()
        left = deadline - clock()
        if passed(result) or left <= 0:
            return result, attempts
        sleep(min(interval_s, left))
