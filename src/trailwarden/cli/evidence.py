"""`trailwarden evidence download`: an offline copy of a trail's bucket that keeps signatures."""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli import app
from trailwarden.cli.common import console
from trailwarden.cli.options import AwsArgs, Window, with_option_groups
from trailwarden.cli.progress import files_tally
from trailwarden.cli.validate import TrailBucket, parse_time
from trailwarden.errors import UsageError

evidence_app = typer.Typer(help="Evidence kept offline.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("download")
@with_option_groups
def download_command(
    directory: Path = typer.Option(..., "--dir", help="Folder to write the copy into."),
    trail: TrailBucket = TrailBucket(),
    window: Window = Window(),
    max_workers: int = typer.Option(32, "--max-workers", min=1, max=512, help="GETs in flight."),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Copy log and digest files (with each digest's signature metadata) into --dir."""
    from trailwarden.integrity.evidence import download
    from trailwarden.trailstore.s3 import S3Source, access_clients

    start_time, end_time = window.bounds()
    start = parse_time(start_time, "--start-time") if start_time else None
    end = parse_time(end_time, "--end-time") if end_time else None
    if start and end and start > end:
        raise UsageError("Invalid time range specified: start-time must occur before end-time")
    clients = access_clients(aws.access(in_flight=max_workers))
    bucket, prefix, _ = trail.located(clients, "give --trail-arn or --bucket")
    with files_tally("downloading") as progress:
        copied = download(
            S3Source(clients, max_workers),
            bucket,
            (prefix or "").strip("/"),
            directory,
            start=start,
            end=end,
            max_workers=max_workers,
            trail_arn=trail.trail_arn,
            progress=progress,
        )
    console.print(
        f"Copied {copied.objects} objects ({copied.bytes / 1e6:.1f} MB) from s3://{bucket} "
        f"to {directory}",
        markup=False,
    )
    raise typer.Exit(0)
