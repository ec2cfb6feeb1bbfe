"""--strict: what the AWS CLI does not check, each an extra INVALID item with ``strict: true``.

Runs after the CLI-parity walk over the digests it found valid, so it never changes those verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from trailwarden.integrity.digest import Digest
from trailwarden.integrity.layout import Chain, fmt_display, log_key_minute, parse_key_timestamp
from trailwarden.integrity.model import Item
from trailwarden.integrity.options import Options
from trailwarden.trailstore.source import Source, list_keys

# CloudTrail writes a digest about every hour; allow for delivery delay before calling one missing.
DIGEST_EVERY = timedelta(hours=1)
DELIVERY_SLACK = timedelta(minutes=15)
# A digest is delivered minutes after the end time in its name.
HOME_SLACK = timedelta(minutes=30)

PREV_HASH = "previousDigestHashValue does not match the previous digest"
PREV_SIGNATURE = "previousDigestSignature does not match the previous digest's signature"
TRAILING = "bytes after the first gzip member"
UNLISTED = "log file not listed in any digest"

_Add = Callable[[str, str, str, str], None]  # add(kind, bucket, key, reason)


def findings(
    chain: Chain, valid: list[Digest], listed: list[str], source: Source, opts: Options
) -> list[Item]:
    """Strict findings for one chain; ``listed`` are its in-range digest keys that exist."""
    out: list[Item] = []

    def add(kind: str, bucket: str, key: str, reason: str) -> None:
        out.append(
            Item(
                "digest" if kind == "digest" else "log",
                chain.account,
                chain.region,
                bucket,
                key,
                reason,
                strict=True,
            )
        )

    by_ref = {(d.bucket, d.key): d for d in valid}
    for d in valid:
        _digest_findings(d, by_ref, add)
        _declared_findings(d, chain.account, add)
    _newest_missing(chain, listed, opts, add)
    in_digests = _duplicates(valid, add)
    _unlisted(chain, valid, in_digests, source, opts, add)
    return out


def _digest_findings(d: Digest, by_ref: dict[tuple[str, str], Digest], add: _Add) -> None:
    data = d.data
    if d.trailing:
        add("digest", d.bucket, d.key, TRAILING)
    if d.signature_hash != "SHA-256":
        add("digest", d.bucket, d.key, f"signature hash is {d.signature_hash}, not SHA-256")
    if d.key_used is not None and not d.key_used.in_validity(d.end):
        add(
            "digest",
            d.bucket,
            d.key,
            f"signed with key {d.key_used.fingerprint} outside its validity period",
        )
    ref = (str(data.get("previousDigestS3Bucket")), str(data.get("previousDigestS3Object")))
    previous = by_ref.get(ref)
    if previous is None:
        return
    if str(data.get("previousDigestHashValue")).lower() != previous.sha256:
        add("digest", d.bucket, d.key, PREV_HASH)
    if str(data.get("previousDigestSignature")).lower() != previous.signature.lower():
        add("digest", d.bucket, d.key, PREV_SIGNATURE)


# What CloudTrail writes, per field the AWS CLI never reads (docs/validate.md, "What the digest
# declares"; docs/aws-facts/digests.md#digest-file and #digest-signing).
SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"


def _declared_findings(d: Digest, account: str, add: _Add) -> None:
    """What a digest declares about itself must be what CloudTrail writes.

    Verification never trusts these fields (trailwarden, like the CLI, always hashes with SHA-256
    and verifies SHA256withRSA), but another verifier might: a declared weaker algorithm could
    steer it, and the S3 metadata is not signed at all, so anyone who may rewrite the object can
    change it. The signed fields can only differ from CloudTrail's values if the digest was signed
    by someone other than CloudTrail or CloudTrail's format changed: either needs a person.
    """
    data = d.data
    declared = data.get("awsAccountId")
    if declared != account:
        add("digest", d.bucket, d.key, f"awsAccountId {declared!r} is not the account {account}")
    if d.signature_algorithm != SIGNATURE_ALGORITHM:
        add(
            "digest",
            d.bucket,
            d.key,
            f"signature-algorithm metadata is {d.signature_algorithm!r}, not {SIGNATURE_ALGORITHM}",
        )
    in_file = data.get("digestSignatureAlgorithm")
    if in_file != SIGNATURE_ALGORITHM:
        add(
            "digest",
            d.bucket,
            d.key,
            f"digestSignatureAlgorithm is {in_file!r}, not {SIGNATURE_ALGORITHM}",
        )
    previous = data.get("previousDigestHashAlgorithm")
    # The first digest of a chain has no previous digest: its algorithm may be null.
    if data.get("previousDigestSignature") is not None and previous != HASH_ALGORITHM:
        add(
            "digest",
            d.bucket,
            d.key,
            f"previousDigestHashAlgorithm is {previous!r}, not {HASH_ALGORITHM}",
        )
    for log in d.log_files:
        algorithm = log.get("hashAlgorithm")
        if algorithm != HASH_ALGORITHM:
            add(
                "log",
                str(log.get("s3Bucket")),
                str(log.get("s3Object")),
                f"hashAlgorithm is {algorithm!r}, not {HASH_ALGORITHM} (in {d.key})",
            )


def _newest_missing(chain: Chain, listed: list[str], opts: Options, add: _Add) -> None:
    """The CLI starts at the newest digest that exists, so deleting the newest ones is silent.

    Every chain must have a digest at least hourly up to ``expected_until``. The chain that
    GetTrailStatus describes (the trail's account in its home Region) must moreover have one about
    as recent as LatestDigestDeliveryTime, which catches the deletion of just the newest digest.
    """
    newest = max((parse_key_timestamp(k) for k in listed), default=opts.start)
    home = chain.region == chain.trail.home and chain.account == opts.trail_account
    latest = opts.latest_delivery
    if (
        home
        and latest is not None
        and opts.start < latest <= opts.end
        and (newest < latest - HOME_SLACK)
    ):
        add(
            "digest",
            chain.bucket,
            chain.digest_folder + "/",
            f"newest digests missing: none after {fmt_display(newest)} although the trail "
            f"delivered a digest at {fmt_display(latest)}",
        )
        return
    if opts.expected_until is None:
        return
    if newest + DIGEST_EVERY + DELIVERY_SLACK < opts.expected_until:
        add(
            "digest",
            chain.bucket,
            chain.digest_folder + "/",
            f"newest digests missing: none after {fmt_display(newest)} although digests are "
            f"expected hourly until {fmt_display(opts.expected_until)}",
        )


def _duplicates(valid: list[Digest], add: _Add) -> set[tuple[str, str]]:
    seen: dict[tuple[str, str], str] = {}
    for d in valid:
        for log in d.log_files:
            ref = (str(log.get("s3Bucket")), str(log.get("s3Object")))
            if ref in seen:
                add("log", *ref, f"listed more than once (in {seen[ref]} and {d.key})")
            else:
                seen[ref] = d.key
    return set(seen)


def _unlisted(
    chain: Chain,
    valid: list[Digest],
    listed: set[tuple[str, str]],
    source: Source,
    opts: Options,
    add: _Add,
) -> None:
    """Log files delivered inside the covered time but absent from every valid digest."""
    mine = [d for d in valid if d.bucket == chain.bucket]
    if not mine:
        return
    # Minutes strictly inside the covered window: a log in the boundary minute may belong to
    # a neighbouring digest outside the range.
    low = min(d.start for d in mine) + timedelta(minutes=1)
    high = max(d.end for d in mine) - timedelta(minutes=1)
    for key in _log_keys(source, chain, low, high):
        minute = log_key_minute(key)
        if minute is None or not (low <= minute < high):
            continue
        if (chain.bucket, key) not in listed:
            add("log", chain.bucket, key, UNLISTED)


def _log_keys(source: Source, chain: Chain, low: datetime, high: datetime) -> Iterable[str]:
    day = low.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= high:
        yield from list_keys(source, chain.bucket, chain.log_day_folder(day))
        day += timedelta(days=1)
