"""How a deployed filter relates to a CIS control, beyond Security Hub's exact-string verdict.

Security Hub passes only the exact CIS pattern (canonically equal here). For anything else we
run both patterns over the whole built-in corpus (corpus.py) and compare what they catch: the
CIS pattern's matches are the truth, so ``missed`` are events the control exists to alert on
that this filter lets through, and ``extra`` are events it alerts on that CIS does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from trailwarden.filterpattern.cis import CisControl, control
from trailwarden.filterpattern.corpus import BY_NAME, CORPUS, Example
from trailwarden.filterpattern.nodes import (
    And,
    Exists,
    Expr,
    IsBoolean,
    IsNull,
    JsonPattern,
    Or,
    Pattern,
    Selector,
)
from trailwarden.filterpattern.nodes import Comparison as ComparisonNode
from trailwarden.filterpattern.parser import canonical, parse
from trailwarden.filterpattern.render import render_expr
from trailwarden.filterpattern.semantics import evaluate, evaluate_expr, resolve

Verdict = Literal["exact", "equivalent", "broader", "narrower", "overlapping", "unrelated"]


@dataclass(frozen=True, slots=True)
class Comparison:
    verdict: Verdict
    missed: list[str]  # corpus example names the CIS pattern matches and this one does not
    extra: list[str]  # corpus example names this one matches and the CIS pattern does not
    explanation: str  # one sentence for the report

    @property
    def security_hub_pass(self) -> bool:
        return self.verdict == "exact"


def compare(pattern: str, control_id: str) -> Comparison:
    """Judge ``pattern`` against the CIS filter of ``control_id`` (raises FilterPatternError)."""
    cis = control(control_id)
    candidate = parse(pattern)
    if canonical(pattern) == canonical(cis.pattern):
        explanation = f"This is the exact {_label(cis)} filter; Security Hub accepts it."
        return Comparison("exact", [], [], explanation)
    reference = parse(cis.pattern)
    ours = {e.name for e in CORPUS if evaluate(candidate, e.event)}
    theirs = {e.name for e in CORPUS if evaluate(reference, e.event)}
    missed = [e.name for e in CORPUS if e.name in theirs - ours]
    extra = [e.name for e in CORPUS if e.name in ours - theirs]
    verdict: Verdict
    if not missed and not extra:
        verdict = "equivalent"
    elif not missed:
        verdict = "broader"
    elif not extra:
        verdict = "narrower"
    elif ours & theirs:
        verdict = "overlapping"
    else:
        verdict = "unrelated"
    return Comparison(verdict, missed, extra, _explain(verdict, cis, candidate, missed, extra))


def _label(cis: CisControl) -> str:
    ids = cis.cis_v14 or cis.cis_v12
    return f"CIS {ids[-1]} ({cis.control_id}, {cis.short_title})"


def _explain(
    verdict: Verdict, cis: CisControl, candidate: Pattern, missed: list[str], extra: list[str]
) -> str:
    label = _label(cis)
    if verdict == "equivalent":
        return (
            f"Security Hub will fail this filter because it is not the exact {label} pattern, "
            f"although it catches exactly the same events on all {len(CORPUS)} corpus records."
        )
    if verdict == "broader":
        return (
            f"Security Hub will fail this filter although it catches all {cis.short_title} "
            f"in the corpus; it also alerts on {_some(extra)}, which {label} does not."
        )
    first = BY_NAME[missed[0]]
    more = f" (and {len(missed) - 1} more)" if len(missed) > 1 else ""
    reason = _why_not(candidate, first)
    if verdict == "narrower":
        return f"This filter looks like {label} but misses {first.description}{more} {reason}."
    if verdict == "overlapping":
        return (
            f"This filter overlaps {label}: it misses {first.description}{more} {reason}, "
            f"and alerts on {_some(extra)}, which the CIS filter does not."
        )
    return (
        f"This filter is unrelated to {label}: it catches none of the events that control "
        f"exists for, e.g. it misses {first.description}{more} {reason}."
    )


def _some(names: list[str]) -> str:
    first = BY_NAME[names[0]].description
    return first if len(names) == 1 else f"{first} and {len(names) - 1} more corpus events"


def _why_not(candidate: Pattern, example: Example) -> str:
    """Point at the part of the filter that rejects the example: the first false conjunct."""
    if not isinstance(candidate, JsonPattern):
        return "because its terms do not occur in that record"
    culprit: Expr = candidate.expr
    while isinstance(culprit, And):
        culprit = next(op for op in culprit.operands if not evaluate_expr(op, example.event))
    if isinstance(culprit, Or):
        selectors = {_selector_of(op) for op in culprit.operands}
        if len(selectors) == 1 and None not in selectors:
            (selector,) = selectors
            assert selector is not None
            return (
                f"because {_fact(selector, example)} there, which none of its "
                f"{len(culprit.operands)} alternatives accepts"
            )
        return f"because none of its {len(culprit.operands)} alternatives holds for it"
    selector = _selector_of(culprit)
    if selector is not None:
        return f"because {render_expr(culprit)} is false there ({_fact(selector, example)})"
    return f"because {render_expr(culprit)} is false there"


def _selector_of(expr: Expr) -> Selector | None:
    if isinstance(expr, ComparisonNode | IsNull | IsBoolean | Exists):
        return expr.selector
    return None


def _fact(selector: Selector, example: Example) -> str:
    landed = resolve(selector, example.event)
    if not landed:
        return f"{selector.text} is absent"
    return f"{selector.text} is {_short(json.dumps(landed[0]))}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
