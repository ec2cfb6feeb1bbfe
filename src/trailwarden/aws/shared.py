"""Clients shared by every account in a Region, each call signed as the account that makes it.

Building a botocore client costs ~1.5 ms of CPU (its event hooks are copied, its API methods
made), and a scan of 1,000 accounts x 17 Regions built one per account, Region and service: most
of the scanner's CPU. The scan instead holds one client per (Region, service) and hands each
account an ``AccountClient`` view of it: every API call made through the view (paginated calls
included) is signed with that account's credentials, which botocore takes per request from the
request context (``signing.request_credentials``, read by ``RequestSigner.sign``). A
``before-call`` hook copies the view's account into that context; it also records the account
for the circuit breaker, whose scope is (account, Region).

A client built for one account (apply, verify) signs every call through the same request context
(``sign_every_call``), so its assumed-role credentials are refreshed near expiry too.

A call on a shared client that does not come through a view would be signed with the caller's
own credentials, and read the caller's account in the member's name; the hook refuses it
instead (RuntimeError), so a path this module does not cover fails loudly in the tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from botocore.credentials import Credentials
from botocore.signers import RequestSigner

# The account the call now being made is for, and its credentials (None: the caller's own,
# which the shared client was built with).
_SIGNING: ContextVar[tuple[str, Credentials | None] | None] = ContextVar(
    "trailwarden_signing", default=None
)
ACCOUNT_KEY = "trailwarden_account"  # the request context's entry naming the account


def supported() -> bool:
    """Whether this botocore takes credentials per request (older ones sign with the client's)."""
    return "request_credentials" in inspect.signature(RequestSigner.get_auth_instance).parameters


def prepare(client: Any) -> Any:
    """Make ``client`` a shared one: every call must come through an ``AccountClient``."""
    event = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{event}", _sign_as_account)
    return client


def _sign_as_account(context: dict[str, Any], model: Any = None, **_: Any) -> None:
    signing_as = _SIGNING.get()
    if signing_as is None:
        name = getattr(model, "name", "?")
        raise RuntimeError(f"{name} on a shared client outside an account's view: not signed")
    account, credentials = signing_as
    context[ACCOUNT_KEY] = account
    if credentials is not None:
        context.setdefault("signing", {})["request_credentials"] = credentials


def sign_every_call(client: Any, credentials: Credentials) -> Any:
    """Make every call of ``client`` (one account's own) signed with ``credentials`` through the
    same request context, so refreshable credentials are read, and refreshed near expiry, at
    each call rather than frozen when the client was built."""
    event = client.meta.service_model.service_id.hyphenize()

    def sign(context: dict[str, Any], **_: Any) -> None:
        context.setdefault("signing", {})["request_credentials"] = credentials

    client.meta.events.register(f"before-call.{event}", sign)
    return client


def account_of(context: dict[str, Any]) -> str:
    """The account a request on a shared client is made for (its ``before-call`` context)."""
    return str(context.get(ACCOUNT_KEY, ""))


def _as(signing_as: tuple[str, Credentials | None], fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _SIGNING.set(signing_as)
        try:
            return fn(*args, **kwargs)
        finally:
            _SIGNING.reset(token)

    return call


class AccountClient:
    """One account's view of a shared client: API calls and paginators, signed as the account;
    anything else (``meta``, ``exceptions``) is the shared client's."""

    def __init__(self, client: Any, account: str, credentials: Credentials | None) -> None:
        self._client = client
        self._signing_as = (account, credentials)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if name == "get_paginator":
            return lambda operation: _Paginator(found(operation), self._signing_as)
        if name in self._client.meta.method_to_api_mapping:
            return _as(self._signing_as, found)
        return found


class _Paginator:
    def __init__(self, paginator: Any, signing_as: tuple[str, Credentials | None]) -> None:
        self._paginator = paginator
        self._signing_as = signing_as

    def paginate(self, **kwargs: Any) -> Iterator[Any]:
        """The pages, each fetched as the account (a page iterator calls lazily)."""
        pages = iter(self._paginator.paginate(**kwargs))
        while True:
            token = _SIGNING.set(self._signing_as)
            try:
                page = next(pages)
            except StopIteration:
                return
            finally:
                _SIGNING.reset(token)
            yield page
