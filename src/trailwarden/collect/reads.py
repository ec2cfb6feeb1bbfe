"""What the scan reads, and the context every read runs in (shared by collector and details).

Each AWS read the scan makes is declared once as a ``Read``: the name a failed call gets in the
snapshot's errors and the IAM action it needs (scan-policy.json is generated from ``SCAN_READS``).
``ReadContext`` is the part of the collector the per-resource readers in ``details`` use: clients,
recording a failed call, claiming and memoising account-wide reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from trailwarden.aws.errors import AWS_ERRORS, error_code
from trailwarden.aws.session import AwsAccess
from trailwarden.policies.permissions import SCAN_READ_ONLY, Grant, PolicyStatement
from trailwarden.snapshot.model import ApiError

T = TypeVar("T")


@dataclass(frozen=True)
class Read:
    """One kind of AWS read: ``label`` names its failures (``service:Operation``), ``action`` is
    the IAM action that allows it."""

    label: str
    action: str
    statement: PolicyStatement = SCAN_READ_ONLY

    @property
    def grant(self) -> Grant:
        return Grant(self.statement, (self.action,))


SCAN_READS: list[Read] = []


def declare(
    label: str, action: str | None = None, statement: PolicyStatement = SCAN_READ_ONLY
) -> Read:
    """Declare a read the scan makes (``action`` defaults to the label: most names agree)."""
    read = Read(label, action or label, statement)
    SCAN_READS.append(read)
    return read


class ReadContext:
    """Clients for any account and Region, and the bookkeeping every read shares."""

    def __init__(self, access: AwsAccess) -> None:
        self.access = access
        self.lock = threading.Lock()
        self.errors: list[ApiError] = []
        self._claimed: set[tuple[str, ...]] = set()
        self._memo: dict[tuple[str, ...], Any] = {}
        self._computing: dict[tuple[str, ...], threading.Event] = {}

    def call(self, account: str, region: str, read: Read, fn: Callable[[], T]) -> T | None:
        """Run one AWS call; on an AWS error record it and return None."""
        try:
            return fn()
        except AWS_ERRORS as exc:
            self.record(account, region, read, exc)
            return None

    def record(self, account: str, region: str, read: Read, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(api_error(account, region, read.label, exc))

    def claim(self, key: tuple[str, ...]) -> bool:
        """True the first time ``key`` is claimed: shared resources are read once per account."""
        with self.lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def memo(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        """Per-scan cache for account-wide reads (ListBuckets, account Block Public Access):
        computed once per key; a task asking while another computes it waits for that answer
        rather than making the same call."""
        with self.lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
            computing = self._computing.get(key)
            mine = computing is None
            if mine:
                computing = self._computing[key] = threading.Event()
        assert computing is not None
        if not mine:
            computing.wait()
            with self.lock:
                if key in self._memo:
                    return self._memo[key]  # type: ignore[no-any-return]
            return self.memo(key, compute)  # the one computing it failed: try again
        try:
            value = compute()
            with self.lock:
                self._memo[key] = value
            return value
        finally:
            with self.lock:
                del self._computing[key]
            computing.set()

    def client(self, account: str, region: str, service: str) -> Any:
        return self.access.shared_client(account, region, service)


def api_error(account: str, region: str, operation: str, exc: BaseException) -> ApiError:
    """A failed call as the snapshot records it: where, which read, the code and the message."""
    code = error_code(exc)
    message = " ".join(str(exc).split())
    return ApiError(account=account, region=region, operation=operation, error=message, code=code)
