"""The coverage run: list every chain's digest folder (in flight by account and Region), turn the
keys into covered hours, then, when asked, validate the chains and explain the gaps from the logs.

Listing is the whole cost by default: one ListObjectsV2 call per 1,000 digest keys, no GET.
``--validate`` adds the integrity module's reads; explaining gaps reads only the trail owner's log
files of its home Region delivered near each gap.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from trailwarden.evidence.coverage import (
    HALF_HOUR,
    ChainCoverage,
    Coverage,
    Validation,
    chain_coverage,
)
from trailwarden.evidence.history import ConfigEvent, explains, read_history
from trailwarden.integrity.layout import parse_key_timestamp
from trailwarden.integrity.model import Item
from trailwarden.integrity.options import Options, Scope
from trailwarden.integrity.validator import KeyLoader, discover, validate
from trailwarden.trailstore.files import TrailFiles
from trailwarden.trailstore.source import Source

KeyLoaders = Callable[[str], KeyLoader]
SHOWN_INVALID = 20  # invalid files listed per chain; the counts hold them all


@dataclass(frozen=True)
class Request:
    """What to prove: a bucket's chains (one trail's when ``scope.trail`` is set) over a period."""

    scope: Scope
    start: datetime
    end: datetime
    trail_arn: str | None = None
    expected_accounts: frozenset[str] = frozenset()  # accounts that must appear, digests or not
    lists_in_flight: int = 16
    max_workers: int = 32  # reads in flight when validating
    validate: bool = False
    sample: int | None = None  # validate this many random covered hours per chain
    seed: int | None = None
    explain: bool = True


def prove(
    source: Source, req: Request, key_loaders: KeyLoaders | None = None, history: bool = False
) -> Coverage:
    """The coverage proof; ``history``: also read the trail's whole logging history."""
    scope = req.scope
    works = discover(source, scope, req.start, req.end, req.lists_in_flight)
    chains: list[ChainCoverage] = []
    for work in works:
        ends = [parse_key_timestamp(k) for k in (*work.standard, *work.backfill)]
        trail = work.chain.trail
        chains.append(
            chain_coverage(
                work.chain.account,
                work.chain.region,
                f"{trail.name}@{trail.home}",
                ends,
                req.start,
                req.end,
            )
        )
    chains += _missing_chains(chains, req)
    chains.sort(key=lambda c: (c.account, c.region, c.trail or ""))
    coverage = Coverage(scope.bucket, scope.prefix, req.trail_arn, req.start, req.end, chains)
    if req.validate:
        if key_loaders is None:
            raise ValueError("validation needs a public-key loader")
        _validate(source, req, key_loaders, coverage)
    if req.explain or history:
        _explain(source, req, coverage, whole_period=history)
    return coverage


def _missing_chains(found: list[ChainCoverage], req: Request) -> list[ChainCoverage]:
    """Accounts and Regions the trail should cover but that have no digest in the period: all
    their hours are a gap (the account whose logs were never there)."""
    scope = req.scope
    regions = set(scope.regions or {c.region for c in found})
    if scope.trail is not None and scope.regions is None:
        regions.add(scope.trail.home)
    accounts = {c.account for c in found} | set(req.expected_accounts)
    if scope.accounts is not None:
        accounts &= scope.accounts
    have = {(c.account, c.region) for c in found}
    name = f"{scope.trail.name}@{scope.trail.home}" if scope.trail else None
    return [
        chain_coverage(account, region, name, [], req.start, req.end)
        for account in sorted(accounts)
        for region in sorted(regions)
        if (account, region) not in have
    ]


def _validate(source: Source, req: Request, loaders: KeyLoaders, coverage: Coverage) -> None:
    opts = Options(req.start, req.end, max_workers=req.max_workers)
    if req.sample is None:
        report = validate(source, req.scope, opts, loaders, req.trail_arn)
        for chain in coverage.chains:
            chain.validation = _tally(None, report.items, chain)
        return
    rng = random.Random(req.seed)
    for chain in coverage.chains:
        hours = sorted(rng.sample(sorted(chain.covered), min(req.sample, len(chain.covered))))
        items: list[Item] = []
        one = replace(
            req.scope, accounts=frozenset({chain.account}), regions=frozenset({chain.region})
        )
        for hour in hours:
            # The window that selects the one digest counted for this hour (its end is within
            # [hour + 30 min, hour + 90 min]): the walk stops once past it.
            at = hour + HALF_HOUR
            report = validate(source, one, replace(opts, start=at, end=at), loaders, req.trail_arn)
            items += report.items
        chain.validation = _tally(hours, items, chain)


def _tally(hours: list[datetime] | None, items: list[Item], chain: ChainCoverage) -> Validation:
    mine = [i for i in items if i.account == chain.account and i.region == chain.region]
    result = Validation(hours)
    for item in mine:
        if item.kind == "digest":
            result.digests_total += 1
            result.digests_valid += item.reason is None
        else:
            result.logs_total += 1
            result.logs_valid += item.reason is None
    result.invalid = [i.to_json() for i in mine if i.reason is not None][:SHOWN_INVALID]
    if len(result.invalid) < sum(1 for i in mine if i.reason is not None):
        result.invalid.append({"more": "the counts hold every invalid file"})
    return result


def _explain(source: Source, req: Request, coverage: Coverage, whole_period: bool) -> None:
    trail = req.scope.trail
    if trail is None or req.trail_arn is None:
        coverage.notes.append("gaps not explained: give --trail-arn to read the trail's history")
        return
    owner = req.trail_arn.split(":")[4]
    gaps = [g for c in coverage.chains for g in c.gaps]
    if whole_period:
        windows = [(req.start, req.end)]
    else:
        windows = _merged([(g.start, g.start) for g in gaps] + [(g.end, g.end) for g in gaps])
    if not windows:
        return
    files = TrailFiles(source, req.scope.bucket, req.scope.prefix)
    events = read_history(files, owner, trail.home, trail.name, windows)
    if whole_period:
        coverage.history = events
    for gap in gaps:
        gap.explained_by = [e for e in events if explains(e, gap.start, gap.end)]
    if gaps and not events:
        coverage.notes.append(
            f"no CreateTrail, UpdateTrail, StartLogging, StopLogging, PutEventSelectors or "
            f"DeleteTrail call of {trail.name} found in {owner}'s {trail.home} logs near the gaps"
        )


def _merged(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Windows that overlap (with the read slack) as one, so a file is read once."""
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(windows):
        if out and lo <= out[-1][1] + timedelta(hours=2):
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def history_lines(events: list[ConfigEvent]) -> list[str]:
    return [e.line() for e in events]
