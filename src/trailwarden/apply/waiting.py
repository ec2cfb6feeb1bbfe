"""Bounded waiting for an AWS change that finishes in the background.

Some writes are accepted before they take effect: ``EnablePolicyType`` answers at once while the
root shows the policy type ``PENDING_ENABLE``, and an ``AttachPolicy`` in that window is refused
with ``PolicyTypeNotEnabledException`` (docs/aws-facts/scp.md#pending). A handler hands such a
write to ``Patience.retry`` with the error codes that mean "not yet", each with what it waits
for: those, and only those, are retried with doubling back-off until the total budget
(``SETTLE_SECONDS`` unless the runner says otherwise) is spent; then the step fails with one
line naming what it waited for.

The budget is counted as the larger of the time slept and the wall-clock time since the first
try, so a runner whose ``sleep`` does not sleep (tests) still stops after the same number of
tries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import ClientError

from trailwarden.aws.errors import error_code

T = TypeVar("T")

SETTLE_SECONDS = 60.0
"""How long apply waits, in total per step, for a background change to be visible."""


class GaveUp(RuntimeError):
    """A write still refused with a "not yet" code when the waiting budget ran out."""


@dataclass
class Patience:
    """How apply waits: the budget (``None``: ``SETTLE_SECONDS``), the back-off and the clock."""

    budget_s: float | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    first_delay_s: float = 1.0
    max_delay_s: float = 8.0

    def retry(self, write: Callable[[], T], not_yet: Mapping[str, str]) -> T:
        """``write()``, tried again while it fails with a code of ``not_yet`` and budget is left.

        ``not_yet`` maps each such error code to what it waits for (said in the give-up line);
        any other error is raised at once."""
        budget = SETTLE_SECONDS if self.budget_s is None else self.budget_s
        start = self.clock()
        slept = 0.0
        delay = self.first_delay_s
        tries = 0
        while True:
            tries += 1
            try:
                return write()
            except ClientError as exc:
                code = error_code(exc, "")
                if code not in not_yet:
                    raise
                spent = max(slept, self.clock() - start)
                pause = min(delay, budget - spent)
                if pause <= 0:
                    raise GaveUp(
                        f"gave up after {spent:.0f} s and {tries} tries waiting for"
                        f" {not_yet[code]}: still {code}; run apply again later to resume"
                    ) from None
                self.sleep(pause)
                slept += pause
                delay = min(delay * 2, self.max_delay_s)
