"""``--suppressions FILE``: accepted failures, each with a reason, an owner and an expiry date.

A suppressed finding keeps its verdict (FAILED) and is marked suppressed with the reason; it no
longer counts for ``--fail-on``. An expired entry suppresses nothing and is reported, so an
acceptance cannot outlive its review; an entry that matches nothing is reported too (a typo, or
a fix nobody removed the entry after).

The file (YAML)::

    suppressions:
      - control: CloudTrail.7          # a control ID, or a pattern (CloudWatch.*)
        account: "111111111111"        # optional patterns: account, region, resource
        region: "eu-*"
        resource: "arn:aws:s3:::legacy-*"
        reason: access logs go to the SIEM
        owner: secops@example.com
        expires: 2026-12-31

Patterns use ``*`` (any run of characters) and ``?`` (one character), nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from trailwarden.errors import UsageError
from trailwarden.jsonfile import TooDeep, parse_yaml, read_limited

# A suppressions file is a hand-written list: thousands of entries are a few hundred KB.
SUPPRESSIONS_BYTES = 16 * 2**20

_REQUIRED = ("control", "reason", "owner", "expires")
_PATTERNS = ("control", "account", "region", "resource")
_KEYS = frozenset(_REQUIRED + _PATTERNS)
# What each pattern may contain besides the wildcards: a character outside it is a mistake.
_ALPHABET = {
    "control": re.compile(r"[A-Za-z0-9.*?]+"),
    "account": re.compile(r"[0-9*?]+"),
    "region": re.compile(r"[a-z0-9*?-]+"),
    "resource": re.compile(r"[^\s\[\]]+"),
}


def _compile(pattern: str) -> re.Pattern[str]:
    """``*``/``?`` globs as an anchored regex (fnmatch's brackets are not part of the syntax)."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


@dataclass(frozen=True)
class Suppression:
    number: int  # 1-based position in the file, how reports name the entry
    patterns: dict[str, re.Pattern[str]]
    raw: dict[str, str]  # the patterns as written
    reason: str
    owner: str
    expires: date

    def matches(self, finding: dict[str, Any]) -> bool:
        return all(p.fullmatch(finding[field]) for field, p in self.patterns.items())

    def describe(self) -> dict[str, Any]:
        return {
            "entry": self.number,
            **self.raw,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


def _entry(path: Path, number: int, item: Any) -> Suppression:
    where = f"{path}: suppression {number}"
    if not isinstance(item, dict):
        raise UsageError(f"{where} must be a mapping of {', '.join(sorted(_KEYS))}")
    unknown = sorted(set(map(str, item)) - _KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    missing = [k for k in _REQUIRED if item.get(k) in (None, "")]
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    expires = item["expires"]
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise UsageError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(expires, date):
        raise UsageError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)")
    raw: dict[str, str] = {}
    patterns = {}
    for field in _PATTERNS:
        if field not in item:
            continue
        value = item[field]
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise UsageError(f"{where}: {field} must be a pattern string")
        text = str(value)
        if not _ALPHABET[field].fullmatch(text):
            raise UsageError(f"{where}: invalid {field} pattern {text!r}")
        raw[field] = text
        patterns[field] = _compile(text)
    return Suppression(number, patterns, raw, str(item["reason"]), str(item["owner"]), expires)


def load_suppressions(path: Path) -> list[Suppression]:
    data = read_limited(path, "suppressions", SUPPRESSIONS_BYTES)
    try:
        raw = parse_yaml(data.decode())
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read suppressions {path}: {exc}") from None
    except TooDeep as exc:
        raise UsageError(f"{path} is not a suppressions file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{path} is not valid YAML{line}") from None
    except ValueError as exc:  # PyYAML builds dates while parsing: 2030-02-30 fails there
        raise UsageError(f"{path}: a date is not valid ({exc}); write YYYY-MM-DD") from None
    if not isinstance(raw, dict) or set(map(str, raw)) != {"suppressions"}:
        raise UsageError(f"{path}: expected one top-level key, 'suppressions', holding a list")
    items = raw["suppressions"] or []
    if not isinstance(items, list):
        raise UsageError(f"{path}: 'suppressions' must be a list")
    return [_entry(path, n, item) for n, item in enumerate(items, start=1)]


def apply_suppressions(
    doc: dict[str, Any], entries: list[Suppression], today: date
) -> dict[str, Any]:
    """The document with suppressed findings marked (``suppressed``: reason, owner, expiry and
    entry), and ``suppressions``: how many were applied, the expired and the unmatched entries.
    The first live entry that matches a FAILED finding suppresses it."""
    live = [e for e in entries if e.expires >= today]
    used: set[int] = set()
    findings = []
    for f in doc["findings"]:
        if f["status"] == "FAILED":
            hit = next((e for e in live if e.matches(f)), None)
            if hit is not None:
                used.add(hit.number)
                details = hit.describe()
                f = {**f, "suppressed": {k: details[k] for k in ("reason", "owner", "expires")}}
                f["suppressed"]["entry"] = hit.number
        findings.append(f)
    return {
        **doc,
        "findings": findings,
        "suppressions": {
            "applied": sum(1 for f in findings if f.get("suppressed")),
            "expired": [e.describe() for e in entries if e.expires < today],
            "unmatched": [e.describe() for e in live if e.number not in used],
        },
    }
