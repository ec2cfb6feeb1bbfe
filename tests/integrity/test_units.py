"""Pure pieces against references: log hashing vs the CLI's own loop, RSA vs python-rsa."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rsa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from trailwarden.integrity import hashing
from trailwarden.integrity.keys import verify
from trailwarden.integrity.layout import Chain, Trail, digest_name_trail, key_timestamp
from trailwarden.trailstore.fixtures import FixtureKey

BODY = b'{"Records":[' + b",".join(b'{"eventName":"E%d"}' % i for i in range(3000)) + b"]}"
GZ = gzip.compress(BODY, mtime=0)
EXPECTED = hashlib.sha256(BODY).hexdigest()


def cli_log_verdict(body: bytes, expected: str) -> str:
    """awscli 1.46.3 CloudTrailValidateLogs._download_log, minus the S3 call."""
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        digest = hashlib.sha256()
        for i in range(0, len(body), 2048):
            digest.update(inflater.decompress(body[i : i + 2048]))
        digest.update(inflater.flush())
        if inflater.unused_data:
            return "unexpected data after end of compressed stream"
        return "valid" if digest.hexdigest() == expected else "hash value doesn't match"
    except Exception:
        return "invalid format"


def ours(body: bytes, chunk: int = 7000) -> str:
    def open_body() -> list[bytes]:
        return [body[i : i + chunk] for i in range(0, len(body), chunk)]

    return hashing.check_log(open_body, EXPECTED)[0].value


@settings(max_examples=150, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(GZ)),
    flip=st.one_of(st.none(), st.integers(min_value=0, max_value=len(GZ) - 1)),
    tail=st.sampled_from([b"", b"\x00", gzip.compress(b"{}"), b"garbage"]),
    chunk=st.sampled_from([1, 100, 2048, 65536]),
)
def test_log_verdict_matches_cli_loop(cut: int, flip: int | None, tail: bytes, chunk: int) -> None:
    body = bytearray(GZ[:cut] if cut < len(GZ) else GZ)
    if flip is not None and flip < len(body):
        body[flip] ^= 0x5A
    data = bytes(body) + (tail if cut >= len(GZ) else b"")
    assert ours(data, chunk) == cli_log_verdict(data, EXPECTED)


def test_zlib_fallback_agrees_with_isal(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [GZ, GZ[:-9], GZ + b"x", b"not gzip", GZ[:100]]
    with_default = [ours(c) for c in cases]
    monkeypatch.setattr(hashing, "new_inflater", hashing._zlib_inflater)
    monkeypatch.setattr(hashing, "INFLATER", "zlib")
    assert [ours(c) for c in cases] == with_default
    assert with_default[0] == "valid"


@pytest.fixture(scope="module")
def keypair() -> FixtureKey:
    return FixtureKey.generate(bits=1024)


@pytest.mark.parametrize(
    "algorithm",
    [
        hashes.MD5(),
        hashes.SHA1(),
        hashes.SHA224(),
        hashes.SHA256(),
        hashes.SHA384(),
        hashes.SHA512(),
    ],
)
def test_verify_accepts_what_python_rsa_accepts(
    keypair: FixtureKey, algorithm: hashes.HashAlgorithm
) -> None:
    message = b"2025-06-01T01:34:08Z\nbucket/key\nabc\nnull"
    signature = keypair.private.sign(message, padding.PKCS1v15(), algorithm)
    reference = rsa.verify(message, signature, rsa.PublicKey.load_pkcs1(keypair.der, "DER"))
    assert verify(keypair.private.public_key(), message, signature) == reference


@pytest.mark.parametrize("mangle", ["flip", "short", "long", "other-message"])
def test_verify_rejects_what_python_rsa_rejects(keypair: FixtureKey, mangle: str) -> None:
    message = b"to sign"
    signature = keypair.private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if mangle == "flip":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    elif mangle == "short":
        signature = signature[1:]
    elif mangle == "long":
        signature = b"\x00" + signature
    else:
        message = b"something else"
    with pytest.raises(rsa.VerificationError):
        rsa.verify(message, signature, rsa.PublicKey.load_pkcs1(keypair.der, "DER"))
    assert verify(keypair.private.public_key(), message, signature) is None


def test_layout_names_round_trip() -> None:
    trail = Trail("my_trail.v2", "us-east-1")
    chain = Chain("b", "pre/fix", "o-abc123defg", "123456789012", "eu-west-1", trail)
    end = datetime(2025, 6, 1, 5, 34, 8, tzinfo=UTC)
    key = chain.digest_key(end)
    assert key.startswith("pre/fix/AWSLogs/o-abc123defg/123456789012/CloudTrail-Digest/eu-west-1/")
    assert key_timestamp(key) == "20250601T053408Z"
    assert key_timestamp(chain.digest_key(end, backfill=True)) == "20250601T053408Z"
    assert chain.key_regex().match(key)
    assert not Chain("b", "", None, "123456789012", "eu-west-1", trail).key_regex().match(key)
    assert digest_name_trail(key, "123456789012", "eu-west-1") == trail


@pytest.mark.parametrize("use_zlib", [False, True])
def test_header_and_trailer_damage_matches_cli(
    use_zlib: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every truncation inside the header and every bit of the header and trailer, exhaustively."""
    if use_zlib:
        monkeypatch.setattr(hashing, "new_inflater", hashing._zlib_inflater)
        monkeypatch.setattr(hashing, "INFLATER", "zlib")
    bodies = [GZ[:n] for n in range(0, 64)]
    positions = [*range(0, 32), *range(len(GZ) - 16, len(GZ))]
    for pos in positions:
        for bit in (0x01, 0x10, 0x80):
            damaged = bytearray(GZ)
            damaged[pos] ^= bit
            bodies.append(bytes(damaged))
    for body in bodies:
        for chunk in (1, 5, 4096):
            assert ours(body, chunk) == cli_log_verdict(body, EXPECTED), (body[:16], chunk)


def test_each_object_is_read_once_with_s3_style_prefetch(tmp_path: Path) -> None:
    """The prefetch window must not fetch a digest twice (each GET costs a round trip)."""
    from collections import Counter

    from trailwarden.integrity.options import Options, Scope
    from trailwarden.integrity.validator import validate
    from trailwarden.trailstore.fixtures import dir_sink, write_trail_delivery
    from trailwarden.trailstore.source import LocalSource, StoredObject

    key = FixtureKey.generate(bits=1024)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    write_trail_delivery(
        dir_sink(tmp_path),
        "123456789012",
        ["us-east-1", "eu-west-1"],
        start,
        30,
        key,
        logs_per_hour=2,
    )
    reads: Counter[str] = Counter()

    class Remote(LocalSource):
        def get_object(self, bucket: str, key: str) -> StoredObject:
            reads[key] += 1
            return super().get_object(bucket, key)

    source = Remote(tmp_path, "ct-fixture-bucket")
    source.remote = True  # the prefetching path a bucket would take
    report = validate(
        source,
        Scope("ct-fixture-bucket"),
        Options(start, start + timedelta(hours=30), max_workers=8),
        lambda _r: lambda _s, _e: [key.public()],
    )
    assert report.counts("digest") == (60, 60) and report.counts("log") == (120, 120)
    assert len(reads) == 60 and set(reads.values()) == {1}


def test_evidence_day_filter() -> None:
    from trailwarden.integrity.evidence import _in_range

    key = "p/AWSLogs/123456789012/CloudTrail/us-east-1/2025/06/03/x.json.gz"
    day = datetime(2025, 6, 3, tzinfo=UTC)
    assert _in_range(key, None, None)
    assert _in_range(key, day, day)
    assert _in_range(key, day - timedelta(days=1), day - timedelta(days=1))  # end + 1 day
    assert not _in_range(key, day + timedelta(days=1), None)
    assert not _in_range(key, None, day - timedelta(days=2))
    assert _in_range("AWSLogs/no-date-here.json.gz", day, day)
