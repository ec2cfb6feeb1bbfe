"""A scan's progress file (``scan --resume FILE``): finished accounts, one JSON line each.

A scan over a large organisation can be interrupted (Ctrl-C, a lost network, a closed laptop).
With a progress file, each account is written as soon as its reads are done, so a second run with
the same file reads only the accounts that are not in it and merges the rest from the file.

The file is append-only JSON lines, each written whole, flushed and synced before the scan goes
on, so a crash leaves every finished line readable; a torn last line (the crash came mid-write) is
ignored and cut off before the file is appended to again. The first line names the scope (the
caller, the accounts or ``--org``, the Regions, the role), and a file from another scope is refused
rather than merged. Kinds of line:

* ``{"account": AccountScan, "regions": [...], "errors": [...]}``: the account's own reads;
* ``{"central": id, "buckets": [...], "errors": [...]}``: its look for the central buckets other
  accounts' trails deliver to (which waits until every account is listed), done. An account
  without this line gets that look again.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from pydantic import ValidationError

from trailwarden.errors import UsageError
from trailwarden.snapshot.model import AccountScan, ApiError, Bucket, RegionScan

PROGRESS_SCHEMA = "trailwarden.scan-progress/1"


@dataclass
class Finished:
    """One account as the progress file holds it."""

    scan: AccountScan
    regions: list[RegionScan]
    errors: list[ApiError]
    complete: bool  # the central-bucket look is done too
    central_buckets: list[Bucket] = field(default_factory=list)


class AccountSink(Protocol):
    """Where the collector sends each account as it finishes: a progress file, or (in a worker
    process of ``--processes``) the parent, which merges them."""

    def account(
        self, scan: AccountScan, regions: list[RegionScan], errors: list[ApiError]
    ) -> None: ...

    def central(self, account: str, buckets: list[Bucket], errors: list[ApiError]) -> None: ...

    def abandoned(self, account: str, finished: Finished) -> None: ...

    def close(self) -> None: ...


@dataclass
class Progress:
    """An open progress file: what earlier runs finished, and where this run appends."""

    path: Path
    started: datetime
    finished: dict[str, Finished]
    _out: IO[str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def account(self, scan: AccountScan, regions: list[RegionScan], errors: list[ApiError]) -> None:
        self._write(
            {
                "account": scan.model_dump(mode="json", by_alias=True),
                "regions": [r.model_dump(mode="json") for r in regions],
                "errors": [e.model_dump(mode="json") for e in errors],
            }
        )

    def central(self, account: str, buckets: list[Bucket], errors: list[ApiError]) -> None:
        self._write(
            {
                "central": account,
                "buckets": [b.model_dump(mode="json") for b in buckets],
                "errors": [e.model_dump(mode="json") for e in errors],
            }
        )

    def abandoned(self, account: str, finished: Finished) -> None:
        """Not written: an account given up on is read again by the run that resumes."""

    def _write(self, record: dict[str, Any]) -> None:
        # Keys in the model's order: the free-form dicts AWS returned (selectors, policies) read
        # back as they were written, so a resumed snapshot has the same bytes.
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if self._out is None:  # closed: a task still running after the scan ended
                return
            self._out.write(line)
            self._out.flush()
            os.fsync(self._out.fileno())

    def close(self) -> None:
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None


def open_progress(path: Path, scope: dict[str, Any]) -> Progress:
    """Open ``path`` for a scan of ``scope``: new (or empty) files get a header line, existing
    ones give their finished accounts; another scope's file is a one-line UsageError."""
    try:
        raw = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise UsageError(f"--resume: cannot read {path}: {exc.strerror or exc}") from None
    whole = raw[: raw.rfind(b"\n") + 1]  # after the last newline: a torn line, ignored
    lines = whole.decode("utf-8", errors="replace").splitlines()
    if lines:
        started, finished = _read(path, lines, scope)
    else:
        started, finished = datetime.now(UTC), {}
        header = {"progress": PROGRESS_SCHEMA, "scope": scope, "started": started.isoformat()}
        whole = (json.dumps(header, sort_keys=True) + "\n").encode()
    try:
        with path.open("wb") as out:  # cut a torn tail before appending after it
            out.write(whole)
        stream = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--resume: cannot write {path}: {exc.strerror or exc}") from None
    return Progress(path, started, finished, stream)


def _read(
    path: Path, lines: list[str], scope: dict[str, Any]
) -> tuple[datetime, dict[str, Finished]]:
    try:
        header = json.loads(lines[0])
        if not isinstance(header, dict) or header.get("progress") != PROGRESS_SCHEMA:
            raise ValueError("no progress header")
        started = datetime.fromisoformat(header["started"])
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"--resume: {path} is not a trailwarden scan progress file") from None
    if header.get("scope") != scope:
        differs = _differs(header.get("scope"), scope)
        raise UsageError(
            f"--resume: {path} is the progress of another scan ({differs}); "
            "use another file, or delete it to start again"
        )
    finished: dict[str, Finished] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            _apply(json.loads(line), finished)
        except (ValueError, KeyError, TypeError, ValidationError):
            raise UsageError(f"--resume: {path} line {number} is not a progress record") from None
    return started, finished


def _apply(record: dict[str, Any], finished: dict[str, Finished]) -> None:
    if "account" in record:
        scan = AccountScan.model_validate(record["account"])
        finished[scan.account] = Finished(
            scan,
            [RegionScan.model_validate(r) for r in record["regions"]],
            [ApiError.model_validate(e) for e in record["errors"]],
            complete=False,
        )
        return
    done = finished[record["central"]]
    done.central_buckets = [Bucket.model_validate(b) for b in record["buckets"]]
    done.errors.extend(ApiError.model_validate(e) for e in record["errors"])
    done.complete = True


def _differs(theirs: Any, ours: dict[str, Any]) -> str:
    if not isinstance(theirs, dict):
        return "no scope recorded"
    names = [key for key in sorted(set(theirs) | set(ours)) if theirs.get(key) != ours.get(key)]
    return ", ".join(f"{key}: {theirs.get(key)} there, {ours.get(key)} now" for key in names)
