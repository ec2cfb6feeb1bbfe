"""``trailwarden logs ingest``: load CloudTrail records into DuckDB."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from trailwarden.cli.common import EXIT_OK, OUTPUT_OPTION, OutputFormat, console, emit_json, note
from trailwarden.cli.logs.group import AccountFilter, End, RegionFilter, Start, logs_app
from trailwarden.cli.options import ProfileArgs, with_option_groups
from trailwarden.cli.progress import progress_tally
from trailwarden.logs import store
from trailwarden.logs.ask import corrupt_notes
from trailwarden.logs.layout import make_scope


def _rate(totals: Counter[str], seconds: float) -> str:
    mb_s = totals["bytes"] / 1e6 / max(seconds, 1e-9)
    return f"files {totals['files']:,}  events {totals['events']:,}  {mb_s:,.1f} MB/s"


@logs_app.command("ingest")
@with_option_groups
def ingest_cmd(
    source: str = typer.Argument(
        ..., help="Folder, file or s3://bucket/prefix of CloudTrail logs."
    ),
    db: Path = typer.Option(..., "--db", help="DuckDB database file (created if absent)."),
    start: Start = None,
    end: End = None,
    account: AccountFilter = None,
    region: RegionFilter = None,
    output: OutputFormat = OUTPUT_OPTION,
    aws: ProfileArgs = ProfileArgs(),
) -> None:
    """Load CloudTrail records into DuckDB; a second run reads only files it has not seen."""
    scope = make_scope(account, region, start, end)
    files = aws.files(source)
    # Files, events and MB/s while ingesting; the last line stays on screen.
    with progress_tally("", _rate, spinner=False, transient=False) as tally:
        if tally is None:
            result = store.ingest(files, db, scope)
        else:
            result = store.ingest(
                files,
                db,
                scope,
                lambda _ref, nbytes: tally.add(files=1, bytes=nbytes),
                lambda events: tally.add(events=events),
            )
    st = result.stats
    if output == OutputFormat.json:
        emit_json(
            {
                "files_read": st.files,
                "files_already_ingested": result.skipped_seen,
                "records": st.records,
                "inserted": result.inserted,
                "duplicates": st.duplicates,
                "corrupt_files": [{"file": n, "reason": r} for n, r in st.corrupt],
                "mb_decompressed": round(st.bytes_out / 1e6, 3),
                "seconds": round(result.seconds, 3),
            }
        )
    else:
        rate = st.bytes_out / 1e6 / max(result.seconds, 1e-9)
        console.print(
            f"ingested {result.inserted:,} events from {st.files:,} files into {db} "
            f"({result.skipped_seen:,} files already ingested, {st.duplicates:,} duplicates "
            f"dropped, {rate:,.1f} MB/s)",
            markup=False,
        )
        corrupt_notes(st, note)
    raise typer.Exit(EXIT_OK)
