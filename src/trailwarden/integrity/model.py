"""The validation result and its JSON contract ``trailwarden.validation/1``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from trailwarden.integrity.layout import fmt_display

SCHEMA = "trailwarden.validation/1"


@dataclass(frozen=True)
class Item:
    kind: Literal["digest", "log"]
    account: str
    region: str
    bucket: str
    key: str
    reason: str | None = None  # the CLI's wording after "INVALID: "; None when valid
    strict: bool = False  # a --strict-only finding
    size: int = 0  # compressed bytes read (for progress and benchmarks; not in the JSON)

    @property
    def status(self) -> str:
        return "valid" if self.reason is None else "INVALID"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "bucket": self.bucket,
            "key": self.key,
            "status": self.status,
            "reason": self.reason,
            "strict": self.strict,
        }

    def line(self) -> str:
        """The CLI's line for this item."""
        label = "Digest file" if self.kind == "digest" else "Log file"
        verdict = "valid" if self.reason is None else f"INVALID: {self.reason}"
        return f"{label}\ts3://{self.bucket}/{self.key}\t{verdict}"


@dataclass(frozen=True)
class GapItem:
    account: str
    region: str
    start: datetime  # "from": end of the older digest
    end: datetime  # "to": start of the digest that restarted the chain

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "from": fmt_display(self.start),
            "to": fmt_display(self.end),
        }

    def line(self) -> str:
        return (
            "No log files were delivered by CloudTrail between "
            f"{fmt_display(self.start)} and {fmt_display(self.end)}"
        )


@dataclass
class Report:
    trail_arn: str | None
    start: datetime
    end: datetime
    items: list[Item] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)

    def counts(self, kind: str) -> tuple[int, int]:
        """(valid, total) for the CLI's verdicts; strict findings are extra and not counted."""
        mine = [i for i in self.items if i.kind == kind and not i.strict]
        return sum(1 for i in mine if i.reason is None), len(mine)

    @property
    def invalid(self) -> list[Item]:
        return [i for i in self.items if i.reason is not None]

    @property
    def exit_code(self) -> int:
        return 1 if self.invalid else 0

    def to_json(self) -> dict[str, Any]:
        digests_valid, digests_total = self.counts("digest")
        logs_valid, logs_total = self.counts("log")
        return {
            "schema": SCHEMA,
            "trail_arn": self.trail_arn,
            "start": fmt_display(self.start),
            "end": fmt_display(self.end),
            "items": [i.to_json() for i in self.items],
            "gaps": [g.to_json() for g in self.gaps],
            "summary": {
                "digests_valid": digests_valid,
                "digests_total": digests_total,
                "logs_valid": logs_valid,
                "logs_total": logs_total,
            },
        }
