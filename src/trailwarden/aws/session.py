"""Sessions and clients for many accounts and Regions, cheap enough for thousands of clients.

One botocore data loader is shared by every session so the service models are parsed once; clients
are cached per (account, Region, service) and are thread-safe once built. The caller's own account
uses the caller's credentials (standard chain or ``--profile``); other accounts are reached with
``sts:AssumeRole``. ``AWS_ENDPOINT_URL`` is honoured by botocore itself.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, NoRegionError

from trailwarden import arns
from trailwarden.aws import DEFAULT_ROLE_NAME, OWN
from trailwarden.aws.errors import error_code
from trailwarden.errors import AccessError, CredentialsError


@dataclass(frozen=True)
class AccessOptions:
    profile: str | None = None
    region: str | None = None  # default Region for global calls (STS, Organizations)
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    max_attempts: int = 8  # adaptive retries: throttling clears without failing the scan
    pool_size: int = 32


class AwsAccess:
    """Hands out clients for any (account, Region, service); thread-safe."""

    def __init__(self, options: AccessOptions | None = None) -> None:
        self.options = options or AccessOptions()
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        core = botocore.session.Session(profile=self.options.profile)
        self._loader = core.get_component("data_loader")
        self._base = boto3.Session(botocore_session=core, region_name=self.options.region)
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._caller: str | None = None
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": self.options.max_attempts},
            max_pool_connections=self.options.pool_size,
            connect_timeout=10,
            read_timeout=30,
        )

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
        if self._caller is None:
            sts = self._base.client("sts", config=self._config, region_name=self.default_region)
            try:
                self._caller = str(sts.get_caller_identity()["Account"])
            except ClientError as exc:
                code = error_code(exc, default="error")
                raise CredentialsError(f"AWS rejected the credentials ({code}): {exc}") from exc
            self._sessions[self._caller] = self._base
        return self._caller

    def _new_session(self, **credentials: str) -> boto3.Session:
        core = botocore.session.Session()
        core.register_component("data_loader", self._loader)
        return boto3.Session(botocore_session=core, region_name=self.default_region, **credentials)

    def session(self, account: str) -> boto3.Session:
        """The caller's session for its own account; an assumed-role session for any other."""
        caller = self.caller_account()
        with self._lock:
            if account in self._sessions:
                return self._sessions[account]
            lock = self._account_locks.setdefault(account, threading.Lock())
        with lock:  # one AssumeRole per account even when many Regions ask at once
            if account in self._sessions:
                return self._sessions[account]
            # The role lives in the caller's partition (GovCloud and China have their own).
            partition = arns.partition_for_region(self.default_region)
            role_arn = arns.role_arn(account, self.options.role_name, partition)
            params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "trailwarden-scan"}
            if self.options.external_id:
                params["ExternalId"] = self.options.external_id
            sts = self.client(caller, self.default_region, "sts")
            try:
                creds = sts.assume_role(**params)["Credentials"]
            except ClientError as exc:
                raise AccessError(f"cannot assume {role_arn}: {exc}") from exc
            session = self._new_session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
            with self._lock:
                self._sessions[account] = session
            return session

    def client(self, account: str, region: str, service: str) -> Any:
        key = (account, region, service)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        own = account in (OWN, self._caller)
        session = self._base if own else self.session(account)
        # Client creation is not thread-safe on a shared session: build under the lock.
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = session.client(service, region_name=region, config=self._config)
                endpoint = _custom_endpoint()
                if service == "s3control" and endpoint:
                    cached.meta.events.register(
                        "before-sign.s3-control.*", _literal_endpoint(endpoint)
                    )
                self._clients[key] = cached
            return cached


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
