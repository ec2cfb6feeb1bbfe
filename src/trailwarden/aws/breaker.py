"""A per-operation circuit breaker: an error that never clears is not retried everywhere.

botocore retries a transient error (HTTP 5xx, a dropped connection) with backoff up to
``--max-attempts`` times, which is right for a blip and ruinous for an API that is down in every
account and Region: each call then holds a worker for ~15 s of backoff. The breaker watches every
attempt of every client. When the same non-throttling retryable error has repeated (``repeats``
failed attempts in a row) in ``scopes`` different (account, Region) places for one operation, the
operation's circuit opens: calls in flight stop retrying and later calls fail at once with the same
error code, so each affected scope still records its one error. Any success of the operation closes
it again. Throttling is never counted: it keeps backing off adaptively. Errors botocore does not
retry (access denied, an unknown operation) cost one call each and say something about one account
only (SCPs differ), so they are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from trailwarden.aws.shared import ACCOUNT_KEY

# botocore's throttling codes (retries/standard.py) and the status codes it retries as transient.
THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

Operation = tuple[str, str]  # (service, operation)
Scope = tuple[str, str]  # (account, Region)


@dataclass
class _Circuit:
    failures: dict[Scope, int] = field(default_factory=dict)  # failed attempts in a row
    open_with: dict[str, Any] | None = None  # the parsed error calls now fail with
    code: str = ""
    short_circuited: int = 0


class CircuitBreaker:
    """Thread-safe; ``attach`` it to each client with the scope the client works in."""

    def __init__(self, scopes: int = 3, repeats: int = 2) -> None:
        self.scopes = scopes
        self.repeats = repeats
        self._lock = threading.Lock()
        self._circuits: dict[Operation, _Circuit] = {}
        self._absorbed: list[OpenedCircuit] = []

    def attach(self, client: Any, account: str | None, region: str) -> None:
        """``account`` None: a client shared by many accounts, each request naming its own in
        its context (aws/shared.py)."""
        service = client.meta.service_model.service_name
        event = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(
            f"needs-retry.{event}", self._after_attempt(service, account, region)
        )
        client.meta.events.register_first(f"before-call.{event}", self._before_call(service))

    def _after_attempt(
        self, service: str, account: str | None, region: str
    ) -> Callable[..., bool | None]:
        def handler(
            response: Any = None,
            caught_exception: Any = None,
            operation: Any = None,
            request_dict: Any = None,
            **_: Any,
        ) -> bool | None:
            key = (service, str(operation.name))
            context = (request_dict or {}).get("context") or {}
            scope = (account or str(context.get(ACCOUNT_KEY, "")), region)
            parsed = _failure(response, caught_exception)
            with self._lock:
                circuit = self._circuits.setdefault(key, _Circuit())
                if parsed is None:  # success, throttling or an error not retried anyway
                    if response is not None and response[0].status_code < 300:
                        circuit.failures.clear()
                        circuit.open_with = None
                    return None
                count = circuit.failures.get(scope, 0) + 1
                circuit.failures[scope] = count
                repeated = sum(1 for n in circuit.failures.values() if n >= self.repeats)
                if circuit.open_with is None and repeated >= self.scopes:
                    circuit.open_with = parsed
                    circuit.code = str(parsed.get("Error", {}).get("Code", "error"))
                # False, not None: botocore then asks no later handler and does not retry.
                return False if circuit.open_with is not None else None

        return handler

    def _before_call(self, service: str) -> Callable[..., None]:
        def handler(model: Any = None, **_: Any) -> None:
            key = (service, str(model.name))
            with self._lock:
                circuit = self._circuits.get(key)
                if circuit is None or circuit.open_with is None:
                    return
                circuit.short_circuited += 1
                parsed = circuit.open_with
            raise ClientError(parsed, str(model.name))

        return handler

    def circuits(self) -> list[OpenedCircuit]:
        """The operations whose circuit opened here and in the processes ``absorb`` was given."""
        with self._lock:
            found = [
                OpenedCircuit(
                    service,
                    operation,
                    circuit.code,
                    sum(1 for n in circuit.failures.values() if n >= self.repeats),
                    circuit.short_circuited,
                )
                for (service, operation), circuit in self._circuits.items()
                if circuit.open_with
            ]
            found.extend(self._absorbed)
        merged: dict[Operation, OpenedCircuit] = {}
        for one in found:
            key = (one.service, one.operation)
            seen = merged.get(key)
            merged[key] = one if seen is None else seen.plus(one)
        return [merged[key] for key in sorted(merged)]

    def absorb(self, circuits: list[OpenedCircuit]) -> None:
        """Circuits another process's breaker opened (``scan --processes``): said here, once."""
        with self._lock:
            self._absorbed.extend(circuits)

    def opened(self) -> list[str]:
        """One line per operation whose circuit opened, for the output to say once."""
        return [
            f"{c.service}:{c.operation} kept failing with {c.code} in {c.places} places; not "
            f"retried any more ({c.short_circuited} calls failed at once with the same error)"
            for c in self.circuits()
        ]


@dataclass(frozen=True)
class OpenedCircuit:
    """An operation whose circuit opened: in how many places it failed, how many calls then
    failed at once."""

    service: str
    operation: str
    code: str
    places: int
    short_circuited: int

    def plus(self, other: OpenedCircuit) -> OpenedCircuit:
        """The same operation's circuit in another process: their places and calls add up."""
        return OpenedCircuit(
            self.service,
            self.operation,
            self.code,
            self.places + other.places,
            self.short_circuited + other.short_circuited,
        )


def _failure(response: Any, caught: BaseException | None) -> dict[str, Any] | None:
    """The parsed error of a failed attempt the breaker counts (retryable, not throttling)."""
    if caught is not None:  # the connection failed: as botocore would retry it
        code = type(caught).__name__
        return {"Error": {"Code": code, "Message": str(caught)}, "ResponseMetadata": {}}
    if response is None:
        return None
    http, parsed = response
    if http.status_code not in TRANSIENT_STATUS:
        return None
    code = str(parsed.get("Error", {}).get("Code", ""))
    if code in THROTTLING:
        return None
    return dict(parsed)
