"""Clients for many accounts and Regions, cheap enough for thousands of them.

One botocore session builds every client: the service models are parsed once and no account gets
a session of its own (a session costs ~5 ms of CPU and its own copies of everything). The caller's
own account uses the caller's credentials (standard chain or ``--profile``); every other account
gets refreshable credentials from ``sts:AssumeRole``, fetched once and again shortly before they
expire, so a scan longer than the role's session lasts does not fail midway. Clients are cached
per (account, Region, service), are thread-safe once built, and ``release`` drops an account's
when its work is done; the scan's reads use ``shared_client`` instead, one client per (Region,
service) for every account, each call signed as its account (aws/shared.py).
``AWS_ENDPOINT_URL`` is honoured by botocore itself.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import ClientError, ConnectTimeoutError, NoRegionError, ReadTimeoutError

from trailwarden import arns
from trailwarden.aws import DEFAULT_ROLE_NAME, DEFAULT_ROLE_SESSION_NAME, OWN, shared
from trailwarden.aws.breaker import CircuitBreaker
from trailwarden.aws.errors import error_code
from trailwarden.errors import AccessError, CredentialsError, UsageError

Clock = Callable[[], datetime]
_SHARED = "*"  # the account part of a shared client's cache key (aws/shared.py)


@dataclass(frozen=True)
class CallKind:
    """How long one kind of call may wait for an endpoint, and how often a call that got no
    answer in time is tried (throttling and 5xx keep ``max_attempts``: they are answers)."""

    connect: float  # seconds to open the connection
    read: float  # seconds between bytes of the answer
    timeout_attempts: int = 2


# An API call answers in well under a second; an S3 GET streams a log file of a few MB, where the
# read timeout bounds each wait for bytes, not the whole file; an Athena call only submits or
# polls (the query itself runs server side and is waited for by polling, logs/athena.py).
CALL_KINDS: dict[str, CallKind] = {
    "api": CallKind(connect=5, read=15),
    "objects": CallKind(connect=5, read=30),
    "query": CallKind(connect=5, read=15),
}
SERVICE_KINDS = {"s3": "objects", "athena": "query"}  # every other service: "api"
# Documented overrides of every kind's timeouts (README, Settings): for a slow link, or tests.
CONNECT_TIMEOUT_ENV = "TRAILWARDEN_CONNECT_TIMEOUT"
READ_TIMEOUT_ENV = "TRAILWARDEN_READ_TIMEOUT"


def call_kind(service: str) -> CallKind:
    """The timeouts of ``service``'s calls, with the environment's overrides."""
    kind = CALL_KINDS[SERVICE_KINDS.get(service, "api")]
    connect = _seconds(CONNECT_TIMEOUT_ENV, kind.connect)
    return dataclasses.replace(kind, connect=connect, read=_seconds(READ_TIMEOUT_ENV, kind.read))


def _seconds(env: str, default: float) -> float:
    raw = os.environ.get(env)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < 3600:
        raise UsageError(f"{env}={raw!r}: expected seconds, above 0 and below 3600")
    return value


def _stop_retrying_timeouts(kind: CallKind) -> Callable[..., bool | None]:
    """A needs-retry handler: an endpoint that did not answer in time is tried
    ``kind.timeout_attempts`` times, not ``max_attempts`` (a hang would cost each call
    max_attempts x the read timeout). It also notes on the exception how long was waited, for
    the one line that names the endpoint (``aws.errors.unreachable``)."""

    def handler(attempts: int = 0, caught_exception: Any = None, **_: Any) -> bool | None:
        if isinstance(caught_exception, ConnectTimeoutError | ReadTimeoutError):
            read = isinstance(caught_exception, ReadTimeoutError)
            caught_exception.waited = (kind.read if read else kind.connect, attempts)
            if attempts >= kind.timeout_attempts:
                return False  # False, not None: no later handler is asked, no retry
        return None

    return handler


@dataclass(frozen=True)
class AccessOptions:
    profile: str | None = None
    region: str | None = None  # default Region for global calls (STS, Organizations)
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    max_attempts: int = 8  # adaptive retries: throttling clears without failing the scan
    role_session_name: str = DEFAULT_ROLE_SESSION_NAME
    duration_seconds: int | None = None  # None: the role's default (an hour unless changed)
    pool_size: int = 32


def refresh_margins(duration_seconds: int | None) -> tuple[int, int]:
    """(advisory, mandatory) seconds before expiry at which assumed credentials are refreshed:
    botocore's 15 and 10 minutes, but never most of a short session (at 900 s those would
    refresh before every call)."""
    if duration_seconds is None:
        return 15 * 60, 10 * 60
    return min(15 * 60, duration_seconds // 3), min(10 * 60, duration_seconds // 6)


def _now() -> datetime:
    return datetime.now(UTC)


class AwsAccess:
    """Hands out clients for any (account, Region, service); thread-safe. ``clock`` is the time
    refreshable credentials are judged by (timezone-aware)."""

    def __init__(self, options: AccessOptions | None = None, clock: Clock = _now) -> None:
        self.options = options or AccessOptions()
        self._clock = clock
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        core = botocore.session.Session(profile=self.options.profile)
        self._base = boto3.Session(botocore_session=core, region_name=self.options.region)
        self._credentials: dict[str, Credentials] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._caller: str | None = None
        self._caller_lock = threading.Lock()
        self._caller_arn = ""
        self.breaker = CircuitBreaker()
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (account, service, operation)
        self._count_lock = threading.Lock()
        self._share = shared.supported()
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": self.options.max_attempts},
            max_pool_connections=self.options.pool_size,
        )
        self._kinds: dict[str, tuple[CallKind, Config]] = {}

    def _kind(self, service: str) -> tuple[CallKind, Config]:
        """The call kind of ``service`` and its botocore config (one per kind)."""
        kind = call_kind(service)
        found = self._kinds.get(repr(kind))
        if found is None:
            timeouts = Config(connect_timeout=kind.connect, read_timeout=kind.read)
            found = self._kinds[repr(kind)] = (kind, self._config.merge(timeouts))
        return found

    @property
    def default_region(self) -> str:
        return self._base.region_name or "us-east-1"

    def own_client(self, service: str) -> Any:
        """The caller's own client of a regional service (Athena, CloudWatch...) in the Region
        the options, the profile or the environment name; with none named, botocore's
        NoRegionError, as a plain boto3 client would raise (no guessing where to ask)."""
        region = self._base.region_name
        if region is None:
            raise NoRegionError()
        return self.client(OWN, region, service)

    def caller_account(self) -> str:
        """Who the caller is: one GetCallerIdentity, however many threads ask first."""
        if self._caller is not None:
            return self._caller
        with self._caller_lock:
            if self._caller is not None:  # another thread asked meanwhile
                return self._caller
            kind, config = self._kind("sts")
            sts = self._base.client("sts", config=config, region_name=self.default_region)
            sts.meta.events.register_first("needs-retry.*", _stop_retrying_timeouts(kind))
            try:
                identity = sts.get_caller_identity()
            except ClientError as exc:
                code = error_code(exc, default="error")
                raise CredentialsError(f"AWS rejected the credentials ({code}): {exc}") from exc
            self._caller_arn = str(identity.get("Arn", ""))
            self._caller = str(identity["Account"])
            return self._caller

    def caller_arn(self) -> str:
        """The caller's ARN (an assumed-role session ARN for roles), from the same one call."""
        self.caller_account()
        return self._caller_arn

    def credentials(self, account: str) -> Credentials | None:
        """The credentials calls into ``account`` are signed with: None for the caller's own
        (the session's chain), refreshable assumed-role credentials for any other; AccessError
        when the role cannot be assumed."""
        caller = self.caller_account()
        if account in (OWN, caller):
            return None
        with self._lock:
            if account in self._credentials:
                return self._credentials[account]
            lock = self._account_locks.setdefault(account, threading.Lock())
        with lock:  # one AssumeRole per account even when many Regions ask at once
            if account in self._credentials:
                return self._credentials[account]
            fetch = self._assume_role(account, caller)
            advisory, mandatory = refresh_margins(self.options.duration_seconds)
            first = fetch()  # here: an account that cannot be reached says so now
            credentials = RefreshableCredentials(
                first["access_key"],
                first["secret_key"],
                first["token"],
                datetime.fromisoformat(first["expiry_time"]),
                refresh_using=fetch,
                method="assume-role",
                time_fetcher=self._clock,
                advisory_timeout=advisory,
                mandatory_timeout=mandatory,
            )
            with self._lock:
                self._credentials[account] = credentials
            return credentials

    def _assume_role(self, account: str, caller: str) -> Callable[[], dict[str, str]]:
        # The role lives in the caller's partition (GovCloud and China have their own).
        partition = arns.partition_for_region(self.default_region)
        role_arn = arns.role_arn(account, self.options.role_name, partition)
        params: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": self.options.role_session_name,
        }
        if self.options.external_id:
            params["ExternalId"] = self.options.external_id
        if self.options.duration_seconds is not None:
            params["DurationSeconds"] = self.options.duration_seconds

        def fetch() -> dict[str, str]:
            sts = self.client(caller, self.default_region, "sts")
            try:
                creds = sts.assume_role(**params)["Credentials"]
            except ClientError as exc:
                raise AccessError(f"cannot assume {role_arn}: {exc}") from exc
            expiry: datetime = creds["Expiration"]
            if expiry.tzinfo is None:
                expiry = expiry.replace(tzinfo=UTC)
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": expiry.isoformat(),  # the form botocore parses on refresh
            }

        return fetch

    def client(self, account: str, region: str, service: str) -> Any:
        key = (account, region, service)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        credentials = self.credentials(account)
        # Outside the lock: a refresh due now calls AssumeRole through another client.
        frozen = credentials.get_frozen_credentials() if credentials else None
        # Client creation is not thread-safe on a shared session: build under the lock.
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = self._new_client(service, region, credentials, frozen)
                self.breaker.attach(cached, account, region)
                self._built(cached, account)
                self._clients[key] = cached
            return cached

    def shared_client(self, account: str, region: str, service: str) -> Any:
        """``client``, for reads made in many accounts (the scan): one client per (Region,
        service) serves every account, each call signed as ``account`` (aws/shared.py), so a
        thousand accounts cost a hundred clients, not tens of thousands. Where botocore cannot
        take credentials per request, the account's own client."""
        if not self._share:
            return self.client(account, region, service)
        credentials = self.credentials(account)
        key = (_SHARED, region, service)
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = shared.prepare(self._new_client(service, region, None, None))
                self.breaker.attach(cached, None, region)
                self._built(cached, None)
                self._clients[key] = cached
        return shared.AccountClient(cached, account, credentials)

    def _built(self, client: Any, account: str | None) -> None:
        """Called once for each client built, for ``account`` (None: a shared client, whose
        requests name their account in their context: ``shared.account_of``): its calls are
        counted from here on."""
        service = client.meta.service_model.service_name
        client.meta.events.register("before-call", self._counter(account, service))

    def _counter(self, account: str | None, service: str) -> Callable[..., None]:
        def count(model: Any, context: Any = None, **_: Any) -> None:
            whose = account if account is not None else shared.account_of(context or {})
            with self._count_lock:
                self.calls[(whose, service, str(model.name))] += 1

        return count

    def snapshot_counts(self) -> Counter[tuple[str, str, str]]:
        """The calls made so far, by (account, service, operation)."""
        with self._count_lock:
            return Counter(self.calls)

    def per_account(self, since: Counter[tuple[str, str, str]] | None = None) -> dict[str, int]:
        """Calls per account (since ``since``, a ``snapshot_counts``), the accounts in order."""
        now = self.snapshot_counts()
        if since is not None:
            now.subtract(since)
        totals: Counter[str] = Counter()
        for (account, _, _), n in now.items():
            totals[account] += n
        return {a: n for a, n in sorted(totals.items()) if n > 0}

    def absorb_counts(self, calls: Counter[tuple[str, str, str]]) -> None:
        """Calls another process made for this one (``scan --processes``' workers)."""
        with self._count_lock:
            self.calls.update(calls)

    def _new_client(
        self, service: str, region: str, credentials: Credentials | None, frozen: Any
    ) -> Any:
        kind, config = self._kind(service)
        if credentials is None:
            client = self._base.client(service, region_name=region, config=config)
        else:
            # botocore takes only fixed keys here; each request is then signed with the
            # refreshable credentials themselves (current keys, refreshed near expiry), through
            # the request context as a shared client's are; a botocore too old for that is
            # handed them the way its own assume-role provider would.
            client = self._base.client(
                service,
                region_name=region,
                config=config,
                aws_access_key_id=frozen.access_key,
                aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token,
            )
            if self._share:
                shared.sign_every_call(client, credentials)
            else:
                client._request_signer._credentials = credentials
        # First, so it decides before botocore's retry handler and the circuit breaker.
        client.meta.events.register_first("needs-retry.*", _stop_retrying_timeouts(kind))
        endpoint = _custom_endpoint()
        if service == "s3control" and endpoint:
            client.meta.events.register("before-sign.s3-control.*", _literal_endpoint(endpoint))
        return client

    def release(self, account: str, region: str | None = None) -> None:
        """Forget ``account``'s clients (in ``region`` only, if named) once the caller's work with
        them is done: their memory goes back, and a later call simply builds them again. Its
        credentials are kept (small, and reusable)."""
        with self._lock:
            for key in [k for k in self._clients if k[0] == account and region in (None, k[1])]:
                # Dropped, not closed: a thread still holding it (the caller's STS client
                # refreshing another account's credentials) finishes its call undisturbed.
                del self._clients[key]


def _custom_endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL_S3_CONTROL") or os.environ.get("AWS_ENDPOINT_URL", "")


def _literal_endpoint(endpoint: str) -> Any:
    """s3control's endpoint rules prefix the host with the account ID (``<account>.<host>``),
    which cannot resolve when the configured endpoint is an IP address or a plain local name.
    A custom endpoint is meant literally: send the request to it as given (before signing, so
    the signed Host header is the one sent)."""
    authority = urlsplit(endpoint).netloc

    def rewrite(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        host = parts.netloc
        if host != authority and host.endswith("." + authority):
            request.url = urlunsplit(parts._replace(netloc=authority))

    return rewrite
