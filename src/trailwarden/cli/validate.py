"""`trailwarden validate`: check a trail's log files against its signed digest chains."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trailwarden.cli import app
from trailwarden.cli.common import ListOutput
from trailwarden.cli.options import AwsArgs, Filters, Window, option_group, with_option_groups
from trailwarden.cli.progress import files_tally
from trailwarden.errors import UsageError
from trailwarden.integrity.keys import PublicKey, load_key_file
from trailwarden.integrity.layout import Trail, fmt_display
from trailwarden.integrity.model import Report
from trailwarden.integrity.options import Options, Scope
from trailwarden.integrity.validator import KeyLoader, validate
from trailwarden.trailstore.source import LocalSource, Source

if TYPE_CHECKING:
    from trailwarden.integrity.cloudtrail import TrailInfo
    from trailwarden.trailstore.s3 import ClientFactory


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601 (a date, or date and time; "Z" or an offset; no zone means UTC) -> aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option}: cannot parse {text!r} as a time (use e.g. 2025-06-01T00:00:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_range(start_text: str, end_text: str | None) -> tuple[datetime, datetime]:
    start = parse_time(start_text, "--start-time")
    end = (
        parse_time(end_text, "--end-time") if end_text else datetime.now(UTC).replace(microsecond=0)
    )
    if start > end:
        raise UsageError("Invalid time range specified: start-time must occur before end-time")
    return start, end


def _static_keys(keys: list[PublicKey]) -> Callable[[str], KeyLoader]:
    def for_region(_region: str) -> KeyLoader:
        return lambda _start, _end: list(keys)

    return for_region


@option_group
@dataclasses.dataclass(frozen=True)
class TrailBucket:
    """The trail's bucket and prefix, given or read from the trail (DescribeTrails)."""

    trail_arn: Annotated[
        str | None,
        typer.Option("--trail-arn", help="The trail (its bucket and prefix are read from it)."),
    ] = None
    bucket: Annotated[str | None, typer.Option("--bucket", help="The trail's bucket.")] = None
    prefix: Annotated[str | None, typer.Option("--prefix", help="The trail's S3 key prefix.")] = (
        None
    )

    def trail(self) -> Trail | None:
        """The trail named by --trail-arn, once its ARN is known to be a trail's."""
        if not self.trail_arn:
            return None
        try:
            return Trail.from_arn(self.trail_arn)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def located(self, clients: ClientFactory, missing: str) -> tuple[str, str, TrailInfo | None]:
        """(bucket, prefix, the trail's description when it was asked for)."""
        from trailwarden.integrity.cloudtrail import describe_trail

        if self.bucket is not None:
            return self.bucket, self.prefix or "", None
        if self.trail_arn is None:
            raise UsageError(missing)
        self.trail()  # a malformed ARN is a one-line error before any AWS call
        info = describe_trail(clients, self.trail_arn)
        return info.bucket, self.prefix if self.prefix is not None else info.prefix, info


@app.command("validate")
@with_option_groups
def validate_command(
    window: Window = Window(),
    trail: TrailBucket = TrailBucket(),
    directory: Path | None = typer.Option(
        None, "--dir", help="A local copy (from `trailwarden evidence download`)."
    ),
    filters: Filters = Filters(),
    public_keys: list[str] = typer.Option(
        [],
        "--public-key",
        help="[FINGERPRINT=]FILE, DER or PEM (repeatable); skips ListPublicKeys.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Also report what the AWS CLI misses."),
    max_workers: int = typer.Option(32, "--max-workers", min=1, max=512, help="GETs in flight."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list valid files."),
    shown: ListOutput = ListOutput(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Validate log files against the signed digest chains, with the AWS CLI's verdicts.

    --start-time is required; --end-time defaults to now.
    """
    start_time, end_time = window.bounds(start_required=True)
    start, end = time_range(start_time or "", end_time)
    trail_arn = trail.trail_arn
    the_trail = trail.trail()
    keys = [load_key_file(spec) for spec in public_keys]
    expected_until = end if (strict and end_time) else None
    latest_delivery = None

    source: Source
    if directory is None or not keys:
        from trailwarden.trailstore.s3 import access_clients

        clients = access_clients(aws.access(in_flight=max_workers))
    if directory is not None:
        source, bucket, prefix = _dir_source(directory, trail.bucket, trail.prefix)
    else:
        from trailwarden.trailstore.s3 import S3Source

        bucket, prefix, info = trail.located(clients, "give --trail-arn, --bucket or --dir")
        if strict and info is not None and info.latest_digest is not None:
            expected_until = min(end, info.latest_digest)
            latest_delivery = info.latest_digest
        source = S3Source(clients, max_workers)
    if keys:
        key_loader = _static_keys(keys)
    else:
        from trailwarden.integrity.cloudtrail import public_key_loader

        key_loader = public_key_loader(clients)

    scope = trail_scope(bucket, prefix, the_trail, filters)
    opts = Options(
        start,
        end,
        strict=strict,
        max_workers=max_workers,
        expected_until=expected_until,
        latest_delivery=latest_delivery,
        trail_account=trail_arn.split(":")[4] if trail_arn else None,
    )
    with files_tally("validating") as progress:
        report = validate(source, scope, opts, key_loader, trail_arn, progress)
    items = (item.to_json() for item in report.items)
    if shown.document(report.to_json(), items):
        _print_text(report, verbose)
    raise typer.Exit(report.exit_code)


def trail_scope(bucket: str, prefix: str | None, trail: Trail | None, filters: Filters) -> Scope:
    """What to read of a trail's bucket: its chains, narrowed by --accounts and --regions."""
    accounts, regions = filters.account_list(), filters.region_list()
    return Scope(
        bucket=bucket,
        prefix=(prefix or "").strip("/"),
        trail=trail,
        accounts=frozenset(accounts) if accounts else None,
        regions=frozenset(regions) if regions else None,
    )


def _dir_source(
    directory: Path, bucket: str | None, prefix: str | None
) -> tuple[LocalSource, str, str]:
    from trailwarden.integrity.evidence import read_manifest

    if not directory.is_dir():
        raise UsageError(f"--dir {directory}: not a folder")
    manifest = read_manifest(directory)
    bucket = bucket or manifest.get("bucket")
    if not bucket:
        raise UsageError(
            "--dir needs --bucket (the bucket the copy came from), or a copy made by "
            "`trailwarden evidence download`"
        )
    prefix = prefix if prefix is not None else (manifest.get("prefix") or "")
    return LocalSource(directory, bucket), bucket, prefix


def _print_text(report: Report, verbose: bool) -> None:
    """The CLI's tab-separated lines (plain writes: a rich console would expand the tabs), then
    the summary; strict findings are marked."""
    span = f"{fmt_display(report.start)} and {fmt_display(report.end)}"
    lines = [f"Validating log files between {span}"]
    for item in report.items:
        if item.reason is not None or verbose:
            lines.append(item.line() + ("\t(strict)" if item.strict else ""))
    lines += [f"{gap.account} {gap.region}: {gap.line()}" for gap in report.gaps]
    digests_valid, digests_total = report.counts("digest")
    logs_valid, logs_total = report.counts("log")
    if not digests_total:
        lines.append("No digests found")
    lines.append(f"{digests_valid}/{digests_total} digest files valid")
    lines.append(f"{logs_valid}/{logs_total} log files valid")
    strict_count = sum(1 for i in report.items if i.strict)
    if strict_count:
        lines.append(f"{strict_count} strict findings")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
