"""The one way trailwarden writes a file the user named: atomically, with one-line errors.

A leaf: imports only trailwarden.errors. Every output (findings, reports, plans, snapshots,
IaC exports, tables, evidence manifests) goes through ``write_text`` or ``atomic``: the text is
written to a temporary file in the destination's own folder (so the rename stays on one file
system) and renamed over the destination only once it is complete. A missing folder, a folder
given as the file, a read-only folder or a full disk therefore end in one ``UsageError`` naming
the path, and whatever was there before is left untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO, cast

from trailwarden.errors import UsageError


def cannot_write(path: Path, exc: OSError) -> UsageError:
    """The one-line error for an output that could not be written."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return UsageError(f"cannot write {path}: {reason}")


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def check_writable(path: Path) -> None:
    """Raise the one-line error now when ``path`` could not be created or appended to later.

    For files written piece by piece while AWS is being changed (apply's journal): a command
    must not find out half-way through that its record cannot be kept.
    """
    if path.is_dir():
        raise UsageError(f"cannot write {path}: Is a directory")
    if path.exists():
        try:
            with path.open("a"):
                pass
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=_folder(path))
    except OSError as exc:
        raise cannot_write(path, exc) from None
    os.close(fd)
    Path(tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def atomic(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text handle on a temporary file that replaces ``path`` when the block ends without
    error (see ``_atomic``)."""
    with _atomic(path, binary=False, newline=newline) as handle:
        yield cast(TextIO, handle)


@contextlib.contextmanager
def _atomic(path: Path, *, binary: bool, newline: str | None) -> Iterator[IO[Any]]:
    """A handle on a temporary file that replaces ``path`` when the block ends without error.

    On any error (including the writer's own) the temporary file is removed and ``path`` keeps
    its previous content; ``OSError`` becomes the one-line ``UsageError``.
    """
    if path.is_dir():
        raise UsageError(f"cannot write {path}: Is a directory")
    mode = "wb" if binary else "w"
    encoding = None if binary else "utf-8"
    if path.exists() and not path.is_file():
        # A device or pipe (/dev/stdout, /dev/full, a FIFO): nothing to keep, and renaming
        # over it would replace the device itself, so it is written in place.
        with _direct(path, mode, encoding, newline) as handle:
            yield handle
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=_folder(path))
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _direct(path: Path, mode: str, encoding: str | None, newline: str | None) -> Iterator[IO[Any]]:
    try:
        with path.open(mode, encoding=encoding, newline=newline) as handle:
            yield handle
    except OSError as exc:
        raise cannot_write(path, exc) from None


def _keep_mode(path: Path, tmp: str) -> None:
    """A replaced file keeps its permissions; a new one gets the usual umask-based mode
    (mkstemp's 0600 would surprise a user who shares reports)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see the module docstring)."""
    with atomic(path) as handle:
        handle.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with _atomic(path, binary=True, newline=None) as handle:
        handle.write(data)
