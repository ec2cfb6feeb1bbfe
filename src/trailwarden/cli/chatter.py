"""How much a command says besides its results: ``-q`` silences progress and notes, ``-v`` says
where the credentials came from, ``--debug`` logs every AWS request (botocore's own log)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from trailwarden import terminal


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (tests swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextmanager
def chatter(verbose: bool, quiet: bool, debug: bool) -> Iterator[None]:
    """Apply the options while a command runs, and undo them afterwards (commands also run
    in-process, in tests)."""
    logger, level = (
        (logging.getLogger("botocore"), logging.DEBUG)
        if debug
        else (logging.getLogger("botocore.credentials"), logging.INFO)
        if verbose and not quiet
        else (None, logging.NOTSET)
    )
    handler = _Stderr()
    saved_level = logger.level if logger is not None else logging.NOTSET
    if logger is not None:
        logger.addHandler(handler)
        logger.setLevel(level)
    saved_quiet = terminal.set_quiet(quiet)
    try:
        yield
    finally:
        terminal.set_quiet(saved_quiet)
        if logger is not None:
            logger.removeHandler(handler)
            logger.setLevel(saved_level)
