"""A small reverse proxy in front of a moto server: fixed latency, call counting, fault injection.

Benchmarks put it between boto3 and moto to give every request a real AWS round trip
(``delay_s``, slept before forwarding) and to count the calls a scan makes; tests use it to
inject faults per account, Region, service and operation and check that the scan survives them.

    with latency_proxy(endpoint, delay_s=0.05) as proxy:
        proxy.add_fault(Fault(account="111111111111", service="cloudtrail", kind="throttle"))
        ... point AWS_ENDPOINT_URL at proxy.url, run the scan ...
        proxy.calls[("cloudtrail", "DescribeTrails")]

How a request is identified (``identify``):
* service and Region come from the SigV4 credential scope (``Authorization`` header, or
  ``X-Amz-Credential`` of a presigned URL); signing names that differ from the boto3 client name
  are mapped back (monitoring -> cloudwatch; s3 on the ``/v20180820/`` path -> s3control);
* the operation from the protocol botocore 1.44.5 uses for the service: ``X-Amz-Target`` (JSON:
  cloudtrail, logs, kms, organizations), ``Action=`` in the form body or query string (query: sts,
  iam, sns; ec2), the ``/service/<svc>/operation/<Op>`` path (smithy rpc-v2-cbor: cloudwatch),
  or, for S3's REST protocol, the method plus the subresource query keys (best effort);
* the account from the access key, the way moto does it (``moto.core.responses
  .BaseResponse.get_current_account``): ``MOTO_ACCOUNT_ID`` in the environment, else an
  ``x-moto-account-id`` header, else ``moto.iam.models.get_account_id_from(access_key)``, which
  maps keys moto issued (AssumeRole into a member account -> that account) and falls back to
  123456789012. That lookup reads moto's in-memory backends, so it is only right when the proxy
  runs in the same process as the moto server (``moto_server()`` does); against a moto server in
  another process every call is attributed to 123456789012.

Fault kinds answer with the error body of the request's protocol so botocore raises the code a
real service would: ``access_denied`` (AccessDeniedException on JSON/CBOR, AccessDenied on query
and S3, UnauthorizedOperation on EC2, AuthorizationError on SNS), ``throttle`` (ThrottlingException
/ Throttling / RequestLimitExceeded / SlowDown: all in botocore's retryable throttling list),
``http500`` (HTTP 500 InternalError, retried by botocore as transient), ``expired_token``
(ExpiredToken / ExpiredTokenException: a session key past its expiry) and ``drop`` (the socket is
closed without an answer: botocore raises ConnectionClosedError after its retries) and ``hang``
(no answer at all until the proxy stops, at most ``HANG_SECONDS``: an endpoint that accepts the
request and never replies, which only the client's read timeout ends) and ``error`` (HTTP 400
with the error code ``Fault.code`` names, for a service's own refusals: Organizations'
``PolicyTypeNotEnabledException`` while a policy type is still being enabled, say). A fault's
``message`` replaces the error's default message (AWS words some refusals, MFA ones for example).
``Fault.access_key`` limits a fault to requests signed with that key (credentials used after
they expired).

Every request received is counted, including faulted ones and botocore's retries, and every
request (faulted or not) pays the delay: a throttled call still costs a round trip.

Upstream connections are pooled and kept alive when the upstream allows it. moto's werkzeug
server closes every connection after one response, so against moto each forward opens a new
local TCP connection (well under a millisecond); the client side (boto3 -> proxy) is HTTP/1.1
keep-alive.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

# Maps (access key, lower-cased request headers) to an account id.
AccountResolver = Callable[[str, Mapping[str, str]], str]
FaultKind = Literal[
    "access_denied", "throttle", "http500", "drop", "expired_token", "hang", "error"
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "access_denied",
    "throttle",
    "http500",
    "drop",
    "expired_token",
    "hang",
    "error",
)
# The longest a ``hang`` holds a request (the proxy's end releases it sooner).
HANG_SECONDS = 300.0
DEFAULT_ACCOUNT = "123456789012"

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"^([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request$")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")
_SIGNING_TO_CLIENT = {"monitoring": "cloudwatch", "email": "ses"}
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
        "content-length",
    }
)
# Services whose CBOR/JSON errors carry the old query error code in x-amzn-query-error
# (botocore metadata awsQueryCompatible): botocore reports that code, as real AWS makes it.
_QUERY_COMPATIBLE = frozenset({"cloudwatch"})
_QUERY_CODES = {"ThrottlingException": "Throttling", "AccessDeniedException": "AccessDenied"}


@dataclass(frozen=True)
class Call:
    """One request as the proxy understood it."""

    account: str
    region: str
    service: str
    operation: str
    protocol: str  # json | cbor | query | ec2 | rest-xml | unknown
    access_key: str = ""  # the key the request is signed with


@dataclass(frozen=True)
class Fault:
    """Answer matching requests with an error; None matches anything, times=None is forever."""

    account: str | None = None
    region: str | None = None
    service: str | None = None
    operation: str | None = None
    kind: FaultKind = "access_denied"
    times: int | None = None
    message: str | None = None  # the error's message (default: names the fault and call)
    access_key: str | None = None  # requests signed with this key only
    code: str | None = None  # kind "error": the error code answered (HTTP 400)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if (self.kind == "error") != (self.code is not None):
            raise ValueError("a fault names a code exactly when its kind is 'error'")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")

    def matches(self, call: Call) -> bool:
        wanted = (self.account, self.region, self.service, self.operation, self.access_key)
        got = (call.account, call.region, call.service, call.operation, call.access_key)
        return all(w is None or w == g for w, g in zip(wanted, got, strict=True))


# --- identifying a request ---------------------------------------------------------------------

_S3_SUBRESOURCES = {
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "logging": "BucketLogging",
    "acl": "BucketAcl",
    "publicAccessBlock": "PublicAccessBlock",
    "encryption": "BucketEncryption",
    "location": "BucketLocation",
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "lifecycle": "BucketLifecycleConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "notification": "BucketNotificationConfiguration",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "replication": "BucketReplication",
    "object-lock": "ObjectLockConfiguration",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}


def s3_operation(method: str, path: str, query: Mapping[str, list[str]], copy: bool) -> str:
    """Best-effort S3 REST operation name from method, path-style path and query keys."""
    parts = [p for p in path.split("/") if p]
    has_key = len(parts) > 1
    verb = _VERBS.get(method, method.title())
    if "uploads" in query:
        return "CreateMultipartUpload" if method == "POST" else "ListMultipartUploads"
    if "uploadId" in query:
        return {
            "PUT": "UploadPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
        }.get(method, "ListParts")
    if "delete" in query and method == "POST":
        return "DeleteObjects"
    if has_key and ("acl" in query or "tagging" in query):
        return verb + ("ObjectAcl" if "acl" in query else "ObjectTagging")
    for key, noun in _S3_SUBRESOURCES.items():
        if key in query:
            return verb + noun
    if not parts:
        return "ListBuckets"
    if not has_key:
        if method == "GET":
            if query.get("list-type") == ["2"]:
                return "ListObjectsV2"
            return "ListObjectVersions" if "versions" in query else "ListObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(
            method, verb + "Bucket"
        )
    if method == "PUT" and copy:
        return "CopyObject"
    return verb + "Object"


def s3control_operation(method: str, path: str) -> str:
    """s3control REST operation (``/v20180820/configuration/publicAccessBlock`` and kin)."""
    last = path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    noun = last[:1].upper() + last[1:]
    return _VERBS.get(method, method.title()) + noun


def identify(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    account_of: AccountResolver | None = None,
) -> Call:
    """Work out (account, Region, service, operation, protocol) of one request."""
    split = urlsplit(target)
    query = parse_qs(split.query, keep_blank_values=True)
    lower = {k.lower(): v for k, v in headers.items()}
    access_key, region, service = "", "unknown", "unknown"
    scope = _SCOPE.search(lower.get("authorization", ""))
    if scope:
        access_key, region, service = scope.groups()
    elif "X-Amz-Credential" in query:
        presigned = _QUERY_SCOPE.match(query["X-Amz-Credential"][0])
        if presigned:
            access_key, region, service = presigned.groups()
    service = _SIGNING_TO_CLIENT.get(service, service)
    if service == "s3" and split.path.startswith("/v20180820/"):
        service = "s3control"

    cbor = _CBOR_PATH.match(split.path)
    if cbor:
        protocol, operation = "cbor", cbor.group(2)
    elif "x-amz-target" in lower:
        protocol, operation = "json", lower["x-amz-target"].rsplit(".", 1)[-1]
    else:
        form: dict[str, list[str]] = {}
        if "x-www-form-urlencoded" in lower.get("content-type", ""):
            form = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        action = (form.get("Action") or query.get("Action") or [""])[0]
        if action:
            protocol, operation = ("ec2" if service == "ec2" else "query"), action
        elif service == "s3":
            copy = "x-amz-copy-source" in lower
            protocol, operation = "rest-xml", s3_operation(method, split.path, query, copy)
        elif service == "s3control":
            protocol, operation = "rest-xml", s3control_operation(method, split.path)
        else:
            protocol, operation = "unknown", f"{method} {split.path}"
    resolver = account_of or moto_account_of
    return Call(resolver(access_key, lower), region, service, operation, protocol, access_key)


# --- accounts ----------------------------------------------------------------------------------


class _MotoAccounts:
    """moto's own precedence (see module doc); caches keys moto maps to a non-default account."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, access_key: str, headers: Mapping[str, str]) -> str:
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        if "x-moto-account-id" in headers:
            return headers["x-moto-account-id"]
        if not access_key:
            return DEFAULT_ACCOUNT
        cached = self._cache.get(access_key)
        if cached:
            return cached
        from moto.iam.models import get_account_id_from

        account = str(get_account_id_from(access_key))
        if account != DEFAULT_ACCOUNT:  # a key unknown now may be issued later
            self._cache[access_key] = account
        return account


moto_account_of = _MotoAccounts()


# --- error bodies ------------------------------------------------------------------------------


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 | n])
    elif n < 0x100:
        head = bytes([0x78, n])
    elif n < 0x10000:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x7A]) + n.to_bytes(4, "big")
    return head + data


def cbor_map(items: Mapping[str, str]) -> bytes:
    """Encode a small map of text to text as CBOR (all an rpc-v2-cbor error body needs)."""
    if len(items) >= 24:
        raise ValueError("cbor_map encodes at most 23 entries")
    out = bytes([0xA0 | len(items)])
    for key, value in items.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def error_code(call: Call, kind: FaultKind, code: str | None = None) -> tuple[int, str]:
    """HTTP status and error code a real service answers for this fault kind."""
    if kind == "error":
        return 400, code or "ValidationException"
    if kind == "http500":
        return 500, "InternalError"
    modern = call.protocol in ("json", "cbor")
    if kind == "expired_token":  # a session key past its expiry, on any call
        return (400, "ExpiredTokenException") if modern else (400, "ExpiredToken")
    if kind == "throttle":
        if call.protocol == "ec2":
            return 503, "RequestLimitExceeded"
        if call.protocol == "rest-xml":
            return 503, "SlowDown"
        return 400, "ThrottlingException" if modern else "Throttling"
    if modern:
        return 400, "AccessDeniedException"
    if call.protocol == "ec2":
        return 403, "UnauthorizedOperation"
    if call.service == "sns":
        return 403, "AuthorizationError"
    return 403, "AccessDenied"


def error_response(
    call: Call, kind: FaultKind, message: str | None = None, code: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the injected error, in the request's protocol."""
    status, code = error_code(call, kind, code)
    message = message or f"trailwarden fault injection: {code} on {call.service}:{call.operation}"
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if call.protocol in ("json", "cbor"):
        if call.service in _QUERY_COMPATIBLE:
            headers["x-amzn-query-error"] = f"{_QUERY_CODES.get(code, code)};Sender"
        fields = {"__type": code, "message": message}
        if call.protocol == "cbor":
            headers.update({"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
            return status, headers, cbor_map(fields)
        headers.update({"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code})
        return status, headers, json.dumps(fields).encode()
    headers["Content-Type"] = "text/xml"
    detail = f"<Code>{code}</Code><Message>{escape(message)}</Message>"
    if call.protocol == "ec2":
        errors = f"<Errors><Error>{detail}</Error></Errors>"
        xml = f"<Response>{errors}<RequestID>{request_id}</RequestID></Response>"
    elif call.protocol == "rest-xml":
        xml = f"<Error>{detail}<RequestId>{request_id}</RequestId></Error>"
    else:
        kind_of = "Receiver" if status >= 500 else "Sender"
        xml = (
            f"<ErrorResponse><Error><Type>{kind_of}</Type>{detail}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, headers, ('<?xml version="1.0" encoding="UTF-8"?>' + xml).encode()


# --- the proxy ---------------------------------------------------------------------------------


@dataclass
class _Armed:
    """A fault and how many more requests it answers (None: all of them)."""

    fault: Fault
    remaining: int | None


class LatencyProxy:
    """The running proxy: ``url``, call counters and the fault list (all thread-safe)."""

    def __init__(self, upstream_url: str, delay_s: float, account_of: AccountResolver) -> None:
        upstream = urlsplit(upstream_url)
        if upstream.scheme != "http" or not upstream.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream_url!r}")
        self.upstream_host = upstream.hostname
        self.upstream_port = upstream.port or 80
        self.delay_s = delay_s
        self.account_of = account_of
        self.url = ""
        self.calls: Counter[tuple[str, str]] = Counter()  # (service, operation)
        self.calls_by_scope: Counter[tuple[str, str, str, str]] = Counter()  # + account, Region
        self.faults_served: Counter[FaultKind] = Counter()
        self.keys_seen: set[str] = set()  # access keys requests were signed with
        self._faults: list[_Armed] = []
        self._lock = threading.Lock()
        self._pool: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue()
        self.released = threading.Event()  # set when the proxy stops: hung requests end

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def count(
        self,
        account: str | None = None,
        region: str | None = None,
        service: str | None = None,
        operation: str | None = None,
    ) -> int:
        """Requests received that match every given field."""
        wanted = (account, region, service, operation)
        with self._lock:
            return sum(
                n
                for key, n in self.calls_by_scope.items()
                if all(w is None or w == k for w, k in zip(wanted, key, strict=True))
            )

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(_Armed(fault, fault.times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.calls_by_scope.clear()
            self.faults_served.clear()

    def _admit(self, call: Call) -> Fault | None:
        """Count the call and return the fault it triggers, if any (consuming one use)."""
        with self._lock:
            self.calls[(call.service, call.operation)] += 1
            self.calls_by_scope[(call.account, call.region, call.service, call.operation)] += 1
            self.keys_seen.add(call.access_key)
            for armed in self._faults:
                if armed.remaining == 0 or not armed.fault.matches(call):
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                self.faults_served[armed.fault.kind] += 1
                return armed.fault
        return None

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        try:
            conn.request(method, target, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            self._pool.put(conn)
        return resp.status, resp.reason, resp.getheaders(), data

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        try:
            pooled = self._pool.get_nowait()
        except queue.Empty:
            return self._exchange(self._connect(), method, target, headers, body)
        try:
            return self._exchange(pooled, method, target, headers, body)
        except (http.client.HTTPException, OSError):
            # The upstream closed the idle pooled connection: retry once on a fresh one.
            return self._exchange(self._connect(), method, target, headers, body)

    def _close_pool(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive towards boto3
    timeout = 120  # idle keep-alive connections end on their own
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request access log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        headers = {k: v for k, v in self.headers.items()}
        call = identify(self.command, self.path, headers, body, proxy.account_of)
        fault = proxy._admit(call)
        if proxy.delay_s > 0:
            time.sleep(proxy.delay_s)
        if fault is not None and fault.kind == "hang":
            proxy.released.wait(HANG_SECONDS)
            self.close_connection = True
            return
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None:
            status, out_headers, data = error_response(call, fault.kind, fault.message, fault.code)
            self._reply(status, None, list(out_headers.items()), data)
            return
        upstream_headers = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        if body or self.command in ("POST", "PUT", "PATCH"):
            upstream_headers["Content-Length"] = str(len(body))
        try:
            status, reason, resp_headers, data = proxy._forward(
                self.command, self.path, upstream_headers, body
            )
        except (http.client.HTTPException, OSError) as exc:
            message = f"trailwarden proxy: upstream unreachable: {exc}".encode()
            self._reply(502, None, [("Content-Type", "text/plain")], message)
            return
        self._reply(status, reason, resp_headers, data)

    def _reply(
        self, status: int, reason: str | None, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self.send_response(status, reason)
        upstream_length = None
        for key, value in headers:
            lower = key.lower()
            if lower == "content-length":
                upstream_length = value
            elif lower not in _HOP_BY_HOP and lower not in ("server", "date"):
                self.send_header(key, value)
        if self.command == "HEAD":
            # A HEAD answer carries the length of the body it does not send.
            self.send_header("Content-Length", upstream_length or "0")
        elif status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, proxy: LatencyProxy) -> None:
        self.proxy = proxy
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Stop serving and end every keep-alive connection (and hung request) still open."""
        self.proxy.released.set()
        self.shutdown()
        self.server_close()
        with self.sockets_lock:
            for sock in list(self.open_sockets):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self.proxy._close_pool()


@contextmanager
def latency_proxy(
    upstream_url: str,
    delay_s: float = 0.05,
    faults: Sequence[Fault] = (),
    account_of: AccountResolver | None = None,
) -> Iterator[LatencyProxy]:
    """Run the proxy on 127.0.0.1 (free port) for the block; see the module doc."""
    proxy = LatencyProxy(upstream_url, delay_s, account_of or moto_account_of)
    for fault in faults:
        proxy.add_fault(fault)
    server = _ProxyServer(proxy)
    host, port = server.server_address[:2]
    proxy.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, name="latency-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.close_all()
        thread.join(timeout=10)
