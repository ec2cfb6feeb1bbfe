"""``trailwarden logs ingest``: load CloudTrail records into DuckDB."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from trailwarden.cli.common import EXIT_OK, Output, console, note
from trailwarden.cli.logs.group import OldSource, Source, logs_app, scope
from trailwarden.cli.options import AwsArgs, Filters, Window, with_option_groups
from trailwarden.cli.progress import progress_tally
from trailwarden.errors import UsageError
from trailwarden.logs import store
from trailwarden.logs.ask import corrupt_notes


def _rate(totals: Counter[str], seconds: float) -> str:
    mb_s = totals["bytes"] / 1e6 / max(seconds, 1e-9)
    return f"files {totals['files']:,}  events {totals['events']:,}  {mb_s:,.1f} MB/s"


@logs_app.command("ingest")
@with_option_groups
def ingest_cmd(
    positional: OldSource = None,
    source: Source = None,
    db: Path = typer.Option(..., "--db", help="DuckDB database file (created if absent)."),
    window: Window = Window(),
    filters: Filters = Filters(),
    shown: Output = Output(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Load CloudTrail records (--source) into DuckDB; a second run reads only new files."""
    if (positional is None) == (source is None):
        raise UsageError("give the CloudTrail files once, as --source SOURCE")
    files = aws.files(source or positional or "")
    when = scope(window, filters)
    # Files, events and MB/s while ingesting; the last line stays on screen.
    with progress_tally("", _rate, spinner=False, transient=False) as tally:
        if tally is None:
            result = store.ingest(files, db, when)
        else:
            result = store.ingest(
                files,
                db,
                when,
                lambda _ref, nbytes: tally.add(files=1, bytes=nbytes),
                lambda events: tally.add(events=events),
            )
    st = result.stats
    summary = {
        "files_read": st.files,
        "files_already_ingested": result.skipped_seen,
        "records": st.records,
        "inserted": result.inserted,
        "duplicates": st.duplicates,
        "corrupt_files": [{"file": n, "reason": r} for n, r in st.corrupt],
        "mb_decompressed": round(st.bytes_out / 1e6, 3),
        "seconds": round(result.seconds, 3),
    }
    if shown.document(summary):
        rate = st.bytes_out / 1e6 / max(result.seconds, 1e-9)
        console.print(
            f"ingested {result.inserted:,} events from {st.files:,} files into {db} "
            f"({result.skipped_seen:,} files already ingested, {st.duplicates:,} duplicates "
            f"dropped, {rate:,.1f} MB/s)",
            markup=False,
        )
        corrupt_notes(st, note)
    raise typer.Exit(EXIT_OK)
