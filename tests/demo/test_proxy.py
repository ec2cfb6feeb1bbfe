"""The latency/fault proxy, driven by real botocore clients against the in-process moto server."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from demo_helpers import member_session, without_account_host_prefix
from tests.support.proxy import Fault, LatencyProxy, cbor_map, identify, latency_proxy

REGION = "us-east-1"
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def proxy(aws: str) -> Iterator[LatencyProxy]:
    with latency_proxy(aws, delay_s=0.0) as running:
        yield running


def client(proxy: LatencyProxy, service: str, region: str = REGION, **kwargs: Any) -> Any:
    session = kwargs.pop("session", None) or boto3.Session(region_name=region)
    return session.client(service, region_name=region, endpoint_url=proxy.url, **kwargs)


def operation_name(call: Callable[..., Any], **params: Any) -> str:
    """Run a call and return the operation name botocore itself used."""
    seen: list[str] = []
    emitter = call.__self__.meta.events  # type: ignore[attr-defined]
    emitter.register("before-call", lambda model, **_: seen.append(model.name))
    with suppress(ClientError):  # e.g. NoSuchBucketPolicy: the call still reached the proxy
        call(**params)
    return seen[-1]


def test_operation_is_identified_for_every_protocol(proxy: LatencyProxy) -> None:
    s3 = client(proxy, "s3")
    s3.create_bucket(Bucket="logs-bucket")
    s3control = without_account_host_prefix(client(proxy, "s3control"))
    calls: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
        ("cloudtrail", client(proxy, "cloudtrail").describe_trails, {}),
        ("cloudtrail", client(proxy, "cloudtrail").list_trails, {}),
        ("cloudwatch", client(proxy, "cloudwatch").describe_alarms, {}),
        ("logs", client(proxy, "logs").describe_log_groups, {}),
        ("sns", client(proxy, "sns").list_topics, {}),
        ("sts", client(proxy, "sts").get_caller_identity, {}),
        ("ec2", client(proxy, "ec2").describe_regions, {"AllRegions": True}),
        ("organizations", client(proxy, "organizations").list_roots, {}),
        ("kms", client(proxy, "kms").list_keys, {}),
        ("iam", client(proxy, "iam").list_roles, {}),
        ("s3control", s3control.get_public_access_block, {"AccountId": "123456789012"}),
        ("s3", s3.list_buckets, {}),
    ]
    bucket = {"Bucket": "logs-bucket"}
    for method in (
        "get_bucket_policy",
        "get_bucket_policy_status",
        "get_bucket_logging",
        "get_bucket_acl",
        "get_public_access_block",
        "get_bucket_encryption",
        "get_bucket_location",
        "get_bucket_tagging",
        "get_bucket_versioning",
        "list_objects_v2",
        "head_bucket",
    ):
        calls.append(("s3", getattr(s3, method), bucket))
    calls.append(("s3", s3.put_object, {**bucket, "Key": "a/b.json", "Body": b"{}"}))
    calls.append(("s3", s3.get_object, {**bucket, "Key": "a/b.json"}))
    for service, call, params in calls:
        proxy.reset_counts()
        name = operation_name(call, **params)
        assert proxy.calls == {(service, name): 1}, (service, name)


def test_delay_is_applied_per_request(aws: str) -> None:
    with latency_proxy(aws, delay_s=0.15) as slow:
        sts = client(slow, "sts")
        started = time.perf_counter()
        for _ in range(3):
            sts.get_caller_identity()
        elapsed = time.perf_counter() - started
        slow.delay_s = 0.0
        started = time.perf_counter()
        for _ in range(3):
            sts.get_caller_identity()
        fast = time.perf_counter() - started
    assert elapsed >= 3 * 0.15
    assert fast < elapsed - 3 * 0.1


def test_calls_are_counted_by_account_and_region(proxy: LatencyProxy, org_member: str) -> None:
    member = member_session(org_member)
    for region in ("us-east-1", "eu-west-1", "eu-west-1"):
        client(proxy, "cloudtrail", region, session=member).describe_trails()
    client(proxy, "cloudtrail", "eu-west-1").describe_trails()
    assert proxy.count(account=org_member, region="eu-west-1", operation="DescribeTrails") == 2
    assert proxy.count(account=org_member, service="cloudtrail") == 3
    assert proxy.count(account="123456789012", service="cloudtrail") == 1
    assert proxy.calls[("cloudtrail", "DescribeTrails")] == 4
    assert proxy.total_calls == sum(proxy.calls.values()) == proxy.count()


ACCESS_DENIED = [
    ("cloudtrail", "describe_trails", {}, "AccessDeniedException", 400),
    ("cloudwatch", "describe_alarms", {}, "AccessDenied", 400),  # query-compatible CBOR
    ("sts", "get_caller_identity", {}, "AccessDenied", 403),
    ("sns", "list_topics", {}, "AuthorizationError", 403),
    ("ec2", "describe_regions", {}, "UnauthorizedOperation", 403),
    ("s3", "list_buckets", {}, "AccessDenied", 403),
]


@pytest.mark.parametrize(("service", "method", "params", "code", "status"), ACCESS_DENIED)
def test_access_denied_uses_each_protocols_error(
    proxy: LatencyProxy, service: str, method: str, params: dict[str, Any], code: str, status: int
) -> None:
    proxy.add_fault(Fault(service=service, kind="access_denied"))
    with pytest.raises(ClientError) as err:
        getattr(client(proxy, service, config=NO_RETRY), method)(**params)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


THROTTLED = [
    ("cloudtrail", "describe_trails", "ThrottlingException"),
    ("cloudwatch", "describe_alarms", "Throttling"),
    ("sts", "get_caller_identity", "Throttling"),
    ("ec2", "describe_regions", "RequestLimitExceeded"),
    ("s3", "list_buckets", "SlowDown"),
    ("logs", "describe_log_groups", "ThrottlingException"),
]


@pytest.mark.parametrize(("service", "method", "code"), THROTTLED)
def test_throttling_that_never_clears_is_retried_then_raised(
    proxy: LatencyProxy, service: str, method: str, code: str
) -> None:
    proxy.add_fault(Fault(service=service, kind="throttle"))
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 2})
    with pytest.raises(ClientError) as err:
        getattr(client(proxy, service, config=retrying), method)()
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 1  # botocore retried it
    assert proxy.count(service=service) == 2


def test_throttling_that_clears_is_absorbed_by_adaptive_retries(proxy: LatencyProxy) -> None:
    proxy.add_fault(
        Fault(service="cloudtrail", operation="DescribeTrails", kind="throttle", times=2)
    )
    adaptive = Config(retries={"mode": "adaptive", "total_max_attempts": 5})
    response = client(proxy, "cloudtrail", config=adaptive).describe_trails()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert proxy.count(operation="DescribeTrails") == 3
    assert proxy.faults_served["throttle"] == 2


def test_http500_and_drop(proxy: LatencyProxy) -> None:
    proxy.add_fault(Fault(service="cloudtrail", kind="http500"))
    proxy.add_fault(Fault(service="sts", kind="drop"))
    with pytest.raises(ClientError) as err:
        client(proxy, "cloudtrail", config=NO_RETRY).describe_trails()
    assert err.value.response["Error"]["Code"] == "InternalError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ConnectionClosedError):
        client(proxy, "sts", config=NO_RETRY).get_caller_identity()
    # The proxy keeps serving other calls after a dropped connection.
    assert client(proxy, "ec2", config=NO_RETRY).describe_regions()["Regions"]


def test_faults_are_scoped_by_account_and_region(proxy: LatencyProxy, org_member: str) -> None:
    proxy.add_fault(Fault(account=org_member, region="eu-west-1", kind="access_denied"))
    member = member_session(org_member)
    with pytest.raises(ClientError):
        client(proxy, "cloudtrail", "eu-west-1", session=member, config=NO_RETRY).list_trails()
    client(proxy, "cloudtrail", "us-east-1", session=member).list_trails()  # other Region
    client(proxy, "cloudtrail", "eu-west-1").list_trails()  # other account
    proxy.clear_faults()
    client(proxy, "cloudtrail", "eu-west-1", session=member).list_trails()


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault(times=-1)


def test_cbor_map_encoding() -> None:
    assert cbor_map({"a": "b"}) == b"\xa1\x61a\x61b"
    long = "x" * 300
    assert cbor_map({"k": long})[3:6] == b"\x79\x01\x2c"


def fixed_account(access_key: str, headers: Any) -> str:
    return f"acct-of-{access_key}"


def test_identify_presigned_unknown_and_moto_header() -> None:
    presigned = (
        "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=x"
    )
    call = identify("GET", presigned, {}, b"", fixed_account)
    assert (call.account, call.region, call.service, call.operation) == (
        "acct-of-AKIDEXAMPLE",
        "eu-west-1",
        "s3",
        "GetObject",
    )
    unsigned = identify("GET", "/whatever", {}, b"")
    assert (unsigned.service, unsigned.protocol, unsigned.account) == (
        "unknown",
        "unknown",
        "123456789012",
    )
    pinned = identify("GET", "/", {"X-Moto-Account-Id": "210987654321"}, b"")
    assert pinned.account == "210987654321"
    query = identify(
        "POST",
        "/",
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-2/sts/aws4_request, "
            "SignedHeaders=host, Signature=x",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        },
        b"Action=AssumeRole&Version=2011-06-15",
        fixed_account,
    )
    assert (query.region, query.service, query.operation, query.protocol) == (
        "us-east-2",
        "sts",
        "AssumeRole",
        "query",
    )


class _Upstream(BaseHTTPRequestHandler):
    """A keep-alive upstream that counts connections; ``silent_close`` drops each one after
    answering without saying so (a pooled connection the proxy holds is then stale)."""

    protocol_version = "HTTP/1.1"
    connections = 0
    silent_close = False

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.close_connection = self.silent_close

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("silent_close", [False, True])
def test_upstream_connections_are_pooled_and_stale_ones_retried(silent_close: bool) -> None:
    handler = type("Upstream", (_Upstream,), {"connections": 0, "silent_close": silent_close})
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        host, port = upstream.server_address[:2]
        with latency_proxy(f"http://{host!s}:{port}", delay_s=0.0) as running:
            for _ in range(4):
                with urllib.request.urlopen(f"{running.url}/ping", timeout=10) as resp:
                    assert resp.read() == b"ok"
            assert running.calls[("unknown", "GET /ping")] == 4
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert handler.connections == (4 if silent_close else 1)
