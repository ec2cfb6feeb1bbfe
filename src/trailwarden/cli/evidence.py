"""`trailwarden evidence`: an offline copy of a trail's bucket that keeps signatures
(``download``), the coverage proof over months (``coverage``), the evidence pack (``pack``,
``verify``)."""

from __future__ import annotations

import calendar
import dataclasses
import enum
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from trailwarden.cli import app
from trailwarden.cli.common import console, emit_json, note
from trailwarden.cli.options import AwsArgs, Filters, Window, with_option_groups
from trailwarden.cli.progress import files_tally
from trailwarden.cli.tables import TableFormat, render
from trailwarden.cli.validate import TrailBucket, parse_time, trail_scope
from trailwarden.errors import UsageError
from trailwarden.integrity.keys import PublicKey, load_key_file, static_key_loader
from trailwarden.integrity.layout import Trail
from trailwarden.trailstore.layout import fmt_display

if TYPE_CHECKING:
    from trailwarden.evidence.coverage import Coverage
    from trailwarden.trailstore.s3 import ClientFactory

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


class CoverageFormat(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def months_back(end: datetime, months: int) -> datetime:
    """``end`` minus whole calendar months (the day clamped to the shorter month's last)."""
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    day = min(end.day, calendar.monthrange(year, month + 1)[1])
    return end.replace(year=year, month=month + 1, day=day)


def resolve_period(
    start_text: str | None, end_text: str | None, months: int | None, now: datetime
) -> tuple[datetime, datetime, list[str]]:
    """(start, end, notes): --start-time/--end-time or --months N back from the end (now by
    default). A period that starts in the future is an error; one that ends there is cut at now."""
    if months is not None and start_text is not None:
        raise UsageError("give --start-time or --months, not both")
    end = parse_time(end_text, "--end-time") if end_text else now
    if months is not None:
        start = months_back(end, months)
    elif start_text is not None:
        start = parse_time(start_text, "--start-time")
    else:
        raise UsageError("give --start-time or --months N")
    if start >= now:
        raise UsageError(
            f"the period starts in the future ({fmt_display(start)}): nothing to prove"
        )
    if start >= end:
        raise UsageError("Invalid time range specified: start-time must occur before end-time")
    notes = []
    if end > now:
        notes.append(f"the period ends in the future: counted until now ({fmt_display(now)})")
        end = now
    return start, end, notes


@evidence_app.command("coverage")
@with_option_groups
def coverage_command(
    trail: TrailBucket = TrailBucket(),
    org: bool = typer.Option(
        False, "--org", help="The organisation trail, and every active account of the organisation."
    ),
    window: Window = Window(),
    months: int | None = typer.Option(
        None,
        "--months",
        min=1,
        max=120,
        help="The last N calendar months (instead of --start-time).",
    ),
    filters: Filters = Filters(),
    validate_chains: bool = typer.Option(
        False, "--validate", help="Also validate the chains over the period (reads every file)."
    ),
    sample: int | None = typer.Option(
        None, "--sample", min=1, help="With --validate: only N random covered hours per chain."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for --sample (repeatable runs)."),
    public_key: list[str] = typer.Option(
        [], "--public-key", help="[FINGERPRINT=]FILE for digests; skips ListPublicKeys."
    ),
    explain: bool = typer.Option(
        True, "--explain/--no-explain", help="Explain gaps from the trail's own logged history."
    ),
    output: CoverageFormat = typer.Option(
        CoverageFormat.table, "--output", "-o", help="table, json, jsonl (one row a line) or csv."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the document here."),
    max_workers: int = typer.Option(32, "--max-workers", min=1, max=512, help="Calls in flight."),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Prove which hours of a period each account and Region has delivered logs for.

    Hours come from the digest files' listing alone (no GET); exit 1 when any hour is uncovered
    or any validated file is invalid.
    """
    from trailwarden.trailstore.s3 import access_clients

    if sample is not None and not validate_chains:
        raise UsageError("--sample needs --validate")
    start_time, end_time = window.bounds()
    now = datetime.now(UTC).replace(microsecond=0)
    start, end, notes = resolve_period(start_time, end_time, months, now)
    clients = access_clients(aws.access(in_flight=max_workers))
    coverage = prove_coverage(
        clients,
        trail,
        org,
        filters,
        start,
        end,
        validate=validate_chains,
        sample=sample,
        seed=seed,
        explain=explain,
        max_workers=max_workers,
        region=aws.region,
        public_keys=[load_key_file(spec) for spec in public_key],
    )
    coverage.notes[:0] = notes
    for text in coverage.notes:
        note(text)
    show_coverage(coverage, output, out)
    raise typer.Exit(coverage.exit_code)


def prove_coverage(
    clients: ClientFactory,
    trail: TrailBucket,
    org: bool,
    filters: Filters,
    start: datetime,
    end: datetime,
    *,
    validate: bool = False,
    sample: int | None = None,
    seed: int | None = None,
    explain: bool = True,
    max_workers: int = 32,
    region: str | None = None,
    history: bool = False,
    public_keys: Sequence[PublicKey] = (),
) -> Coverage:
    """The coverage proof of the trail the options name (``--org``: the organisation's);
    ``public_keys`` given, digests are checked with those instead of ListPublicKeys."""
    from trailwarden.evidence import aws as evidence_aws
    from trailwarden.evidence.prove import Request, prove
    from trailwarden.integrity.cloudtrail import public_key_loader
    from trailwarden.trailstore.s3 import S3Source

    if org and (trail.trail_arn or trail.bucket):
        raise UsageError("use either --org or --trail-arn/--bucket, not both")
    home = region or "us-east-1"
    if org:
        trail = dataclasses.replace(trail, trail_arn=evidence_aws.organization_trail(clients, home))
    the_trail = None
    if trail.trail_arn:
        try:
            the_trail = Trail.from_arn(trail.trail_arn)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    bucket, prefix, _info = trail.located(clients, "give --trail-arn, --org or --bucket")
    expected: list[str] = []
    if org:
        expected = evidence_aws.organization_accounts(clients, home) or []
    elif trail.trail_arn:
        expected = [trail.trail_arn.split(":")[4]]
    request = Request(
        trail_scope(bucket, prefix, the_trail, filters),
        start,
        end,
        trail_arn=trail.trail_arn,
        expected_accounts=frozenset(expected),
        lists_in_flight=min(max_workers, 32),
        max_workers=max_workers,
        validate=validate,
        sample=sample,
        seed=seed,
        explain=explain,
    )
    source = S3Source(clients, max_workers)
    loaders = static_key_loader(public_keys) if public_keys else public_key_loader(clients)
    return prove(source, request, loaders, history=history)


def show_coverage(coverage: Coverage, output: CoverageFormat, out: Path | None) -> None:
    if output == CoverageFormat.json:
        emit_json(coverage.to_json(), out)
        return
    if output in (CoverageFormat.csv, CoverageFormat.jsonl):
        render(coverage.rows(), TableFormat(output.value), out=out)
        return
    if out is not None:
        emit_json(coverage.to_json(), out)
    s = coverage.to_json()["summary"]
    console.print(
        f"Coverage of {coverage.trail_arn or 's3://' + coverage.bucket} from "
        f"{fmt_display(coverage.start)} to {fmt_display(coverage.end)}: "
        f"{s['covered_hours']}/{s['period_hours']} hours covered in {s['chains']} account x "
        f"Region chains, {s['gaps']} gaps",
        markup=False,
    )
    render(coverage.rows(), TableFormat.table, title="coverage")
    for chain in coverage.chains:
        for gap in chain.gaps:
            console.print(
                f"gap {chain.account} {chain.region}: {fmt_display(gap.start)} to "
                f"{fmt_display(gap.end)} ({gap.hours} h)",
                markup=False,
            )
            for event in gap.explained_by:
                console.print(f"    {event.line()}", markup=False)


@evidence_app.command("pack")
@with_option_groups
def pack_command(
    out: Path = typer.Option(..., "--out", help="The pack's folder (must not exist yet)."),
    trail: TrailBucket = TrailBucket(),
    org: bool = typer.Option(
        False, "--org", help="The organisation trail, and every active account of the organisation."
    ),
    window: Window = Window(),
    months: int | None = typer.Option(
        None, "--months", min=1, max=120, help="The last N calendar months (not --start-time)."
    ),
    findings: Path | None = typer.Option(
        None, "--findings", help="A saved scan (scan -o json) instead of scanning now."
    ),
    sample: int = typer.Option(
        24, "--sample", min=0, help="Validate N random covered hours per chain (0: every hour)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for --sample (repeatable runs)."),
    public_key: list[str] = typer.Option(
        [], "--public-key", help="[FINGERPRINT=]FILE for digests; skips ListPublicKeys."
    ),
    max_workers: int = typer.Option(32, "--max-workers", min=1, max=512, help="Calls in flight."),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Write the evidence an assessor asks for into --out, with manifest.json (SHA-256 of every
    file): findings, compliance, coverage, logging history, validation, policies in force."""
    from trailwarden import __version__
    from trailwarden.evidence.pack import write_pack
    from trailwarden.trailstore.s3 import access_clients

    if out.exists():
        raise UsageError(f"--out {out}: already exists (an evidence pack is never overwritten)")
    start_time, end_time = window.bounds()
    now = datetime.now(UTC).replace(microsecond=0)
    start, end, notes = resolve_period(start_time, end_time, months, now)
    saved = _saved_findings(findings)
    clients = access_clients(aws.access(in_flight=max_workers))
    coverage = prove_coverage(
        clients,
        trail,
        org,
        Filters(),
        start,
        end,
        validate=True,
        sample=sample or None,
        seed=seed,
        max_workers=max_workers,
        region=aws.region,
        history=True,
        public_keys=[load_key_file(spec) for spec in public_key],
    )
    coverage.notes[:0] = notes
    # The scan comes after the proof: a wrong trail or bucket is said before an organisation's
    # scan has been waited for, and the proof's reads have no scan's errors to wait behind.
    doc = saved if saved is not None else _scanned_findings(org, aws, max_workers)
    files = pack_files(doc, coverage, clients, aws.region)
    given = {
        "--out": out,
        "--trail-arn": trail.trail_arn,
        "--bucket": trail.bucket,
        "--prefix": trail.prefix,
        "--org": org,
        "--start-time": start_time,
        "--end-time": end_time,
        "--months": months,
        "--findings": findings,
        "--sample": sample,
        "--seed": seed,
        "--public-key": " ".join(public_key) or None,
        "--profile": aws.profile,
        "--region": aws.region,
    }
    write_pack(out, files, __version__, _command_line(given))
    for text in coverage.notes:
        note(text)
    console.print(f"Evidence pack written to {out}: {len(files)} files and manifest.json")
    raise typer.Exit(0)


def _command_line(options: dict[str, Any]) -> list[str]:
    """The command with every option that was given a value, for the manifest."""
    words = ["trailwarden", "evidence", "pack"]
    for flag, value in options.items():
        if value in (None, False):
            continue
        words += [flag] if value is True else [flag, str(value)]
    return words


def _saved_findings(path: Path | None) -> dict[str, Any] | None:
    from trailwarden.report.findings_json import read_findings

    return None if path is None else read_findings(path)


def _scanned_findings(org: bool, aws: AwsArgs, max_workers: int) -> dict[str, Any]:
    """A scan of the caller's account (or organisation), as ``scan [--org] -o json`` writes it:
    with ``--org``, the accounts x controls matrix too."""
    from trailwarden.cli.options import AccessArgs, ScanScope
    from trailwarden.cli.scan import scan_document, scan_snapshot
    from trailwarden.controls import evaluate

    reach = AccessArgs(profile=aws.profile, region=aws.region)
    snapshot = scan_snapshot(reach, ScanScope(org=org, max_workers=max_workers))
    return scan_document(evaluate(snapshot), org)


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, default=str) + "\n").encode()


def pack_files(
    doc: dict[str, Any], coverage: Coverage, clients: ClientFactory, region: str | None
) -> dict[str, bytes]:
    from trailwarden.evidence import aws as evidence_aws
    from trailwarden.report.compliance import FRAMEWORK_NAMES, apply_compliance
    from trailwarden.report.html import render_html
    from trailwarden.report.render import render_json

    proof = coverage.to_json()
    files = {
        "findings.json": render_json(doc).encode(),
        "findings.html": render_html(doc).encode(),
        "coverage.json": _json(proof),
        "coverage.csv": _csv(coverage.rows()),
        "logging-history.json": _json(
            {
                "trail_arn": coverage.trail_arn,
                "start": proof["start"],
                "end": proof["end"],
                "events": proof["history"],
            }
        ),
        "validation.json": _json(
            {
                "trail_arn": coverage.trail_arn,
                "chains": [
                    {"account": c["account"], "region": c["region"], **(c["validation"] or {})}
                    for c in proof["chains"]
                ],
            }
        ),
    }
    for name in FRAMEWORK_NAMES:
        files[f"compliance/{name}.json"] = render_json(apply_compliance(doc, name)).encode()
    home = region or "us-east-1"
    policies: dict[str, Any] = {}
    if coverage.trail_arn:
        described = evidence_aws.trail_description(clients, coverage.trail_arn)
        policies["trail"] = described
        key = (described.get("trail") or {}).get("KmsKeyId")
        policies["key_policy"] = evidence_aws.key_policy(clients, key) if key else None
        home = coverage.trail_arn.split(":")[3]
    policies["bucket_policy"] = evidence_aws.bucket_policy(clients, coverage.bucket, home)
    policies["service_control_policies"] = evidence_aws.service_control_policies(clients, home)
    files["policies.json"] = _json(policies)
    return files


def _csv(rows: list[dict[str, Any]]) -> bytes:
    import csv
    import io

    stream = io.StringIO()
    cols = list(dict.fromkeys(c for row in rows for c in row))
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in cols])
    return stream.getvalue().encode()


@evidence_app.command("verify")
@with_option_groups
def verify_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="An evidence pack's folder."),
) -> None:
    """Recheck every file of an evidence pack against its manifest.json; exit 1 naming any
    changed, missing or unlisted file."""
    from trailwarden.evidence.pack import verify_pack

    checked = verify_pack(folder)
    console.print(
        f"{folder}: all {checked.files} files match manifest.json (trailwarden "
        f"{checked.version}, {checked.created_at})",
        markup=False,
    )
    raise typer.Exit(0)
