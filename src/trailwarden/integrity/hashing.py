"""Streaming gunzip + SHA-256 with the AWS CLI's exact outcomes, on the fastest inflater available.

python-isal's ``isal_zlib`` has zlib's decompressobj API (eof, unused_data, truncation without an
error) and inflates about twice as fast, so it is used when importable; zlib is the fallback.
"""

from __future__ import annotations

import enum
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

GZIP_WBITS = zlib.MAX_WBITS | 16


class _Inflater(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, /) -> bytes: ...
    def flush(self) -> bytes: ...


def _zlib_inflater() -> _Inflater:
    return zlib.decompressobj(GZIP_WBITS)


try:
    from isal import isal_zlib as _isal_zlib

    def _isal_inflater() -> _Inflater:
        inflater: Any = _isal_zlib.decompressobj(GZIP_WBITS)
        return inflater  # type: ignore[no-any-return]

    new_inflater = _isal_inflater
    INFLATER = "isal"
except ImportError:  # pragma: no cover - isal is a dependency, but keep the stdlib path working
    new_inflater = _zlib_inflater
    INFLATER = "zlib"


class LogOutcome(enum.Enum):
    VALID = "valid"
    MISMATCH = "hash value doesn't match"
    INVALID_FORMAT = "invalid format"
    # awscli >= 1.46 reports bytes after the first gzip member (1.45 silently accepted them).
    TRAILING = "unexpected data after end of compressed stream"


@dataclass(frozen=True)
class HashResult:
    sha256: str  # hex of the inflated first member (what CloudTrail hashed)
    trailing: bool  # bytes follow the first gzip member
    compressed_bytes: int


def gunzip_sha256(chunks: Iterable[bytes], inflater: _Inflater | None = None) -> HashResult:
    """Hash the inflated first gzip member; raises on a corrupt stream.

    A truncated stream raises nothing (the CLI then reports a hash mismatch).
    """
    inflater = inflater or new_inflater()
    digest = hashlib.sha256()
    size = 0
    stream = iter(chunks)
    for chunk in stream:
        size += len(chunk)
        if inflater.eof:
            # Past the first member: the rest is trailing data, which is never inflated.
            if chunk:
                return _drain(digest, True, size, stream)
            continue
        digest.update(inflater.decompress(chunk))
    digest.update(inflater.flush())
    return HashResult(digest.hexdigest(), bool(inflater.unused_data), size)


def _drain(digest: Any, trailing: bool, size: int, chunks: Iterable[bytes]) -> HashResult:
    for chunk in chunks:
        size += len(chunk)
    return HashResult(digest.hexdigest(), trailing, size)


def _zlib_header_checked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass chunks through, first letting zlib parse the gzip header (up to its first output byte).

    isal accepts some headers zlib rejects (reserved flag bits, for one); the CLI uses zlib.
    """
    probe = zlib.decompressobj(GZIP_WBITS)
    pending = b""
    stream = iter(chunks)
    for chunk in stream:
        done = bool(probe.decompress(pending + chunk, 1)) or probe.eof
        pending = probe.unconsumed_tail
        yield chunk
        if done:
            break
    yield from stream


def _verdict(
    inflater: _Inflater, open_body: Callable[[], Iterable[bytes]], expected: str
) -> tuple[LogOutcome, int]:
    try:
        result = gunzip_sha256(_zlib_header_checked(open_body()), inflater)
    except Exception:  # the CLI maps every inflate/read failure to "invalid format"
        return LogOutcome.INVALID_FORMAT, 0
    if result.trailing:
        return LogOutcome.TRAILING, result.compressed_bytes
    if result.sha256 != expected:  # exact string compare, as the CLI does
        return LogOutcome.MISMATCH, result.compressed_bytes
    return LogOutcome.VALID, result.compressed_bytes


def check_log(
    open_body: Callable[[], Iterable[bytes]], expected_hex: str
) -> tuple[LogOutcome, int]:
    """The CLI's verdict for one log body: (outcome, compressed bytes read).

    isal and zlib agree on intact streams but not on every damaged one: zlib rejects a bad header
    byte or a wrong CRC as soon as it arrives, isal waits for the whole header or trailer, so a
    truncated damaged file can be "invalid format" to the CLI and a mere mismatch to isal. Hence
    anything but "valid" is decided again with zlib, the CLI's inflater, on a second read: exact
    verdicts, and the extra read only ever happens for damaged files.
    """
    outcome, size = _verdict(new_inflater(), open_body, expected_hex)
    if outcome is LogOutcome.VALID or INFLATER == "zlib":
        return outcome, size
    return _verdict(_zlib_inflater(), open_body, expected_hex)


# A digest lists one hour of one account's and Region's log files, a few hundred bytes each:
# even ten thousand files make 3 MB. 64 MiB refuses a digest-shaped gzip bomb long before it
# costs memory, and no genuine digest comes near it.
MAX_DIGEST_BYTES = 64 * 2**20


def gunzip_first_member(body: bytes, limit: int = MAX_DIGEST_BYTES) -> tuple[bytes, bool]:
    """Inflate a digest like ``zlib.decompress``: first member only; raises if incomplete or
    when it would inflate to more than ``limit`` bytes.

    Returns (inflated, trailing bytes present).
    """
    inflater = zlib.decompressobj(GZIP_WBITS)
    data = inflater.decompress(body, limit + 1)
    if len(data) > limit:
        raise zlib.error(f"inflates to more than {limit} bytes")
    data += inflater.flush()
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return data, bool(inflater.unused_data)
