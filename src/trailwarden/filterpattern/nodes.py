"""The filter-pattern AST: frozen dataclasses, compared structurally.

Nodes carry meaning only (no source positions, no quoting or spacing), so two patterns that
differ only in layout parse to equal trees; ``canonical()`` keeps what still matters to Security
Hub's exact comparison (parentheses, operand order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

# ---- JSON selectors -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """``.name``: descend into an object member."""

    name: str


@dataclass(frozen=True, slots=True)
class Index:
    """``[n]``: index an array (0-based)."""

    index: int


@dataclass(frozen=True, slots=True)
class AnyMember:
    """``.*``: every member of an object (existential)."""


@dataclass(frozen=True, slots=True)
class AnyIndex:
    """``[*]``: every element of an array (existential)."""


Step: TypeAlias = Member | Index | AnyMember | AnyIndex


@dataclass(frozen=True, slots=True)
class Selector:
    steps: tuple[Step, ...]

    @property
    def has_wildcard(self) -> bool:
        return any(isinstance(s, AnyMember | AnyIndex) for s in self.steps)

    @property
    def text(self) -> str:
        parts = ["$"]
        for step in self.steps:
            if isinstance(step, Member):
                parts.append(f".{step.name}")
            elif isinstance(step, Index):
                parts.append(f"[{step.index}]")
            elif isinstance(step, AnyMember):
                parts.append(".*")
            else:
                parts.append("[*]")
        return "".join(parts)


# ---- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StringValue:
    """A quoted or bare non-numeric value. A leading/trailing ``*`` is a wildcard."""

    value: str


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A bare number, kept as written (``+1000``, ``10e-3``); compared numerically."""

    text: str

    @property
    def number(self) -> float:
        return float(self.text)


@dataclass(frozen=True, slots=True)
class RegexValue:
    """``%regex%``: searched (unanchored) in the value's text."""

    source: str


Value: TypeAlias = StringValue | NumberValue | RegexValue

Op: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]

# ---- JSON conditions and boolean structure ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    selector: Selector
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class IsNull:
    """``IS NULL``: the member exists and is JSON null (absent is NOT EXISTS, not null)."""

    selector: Selector


@dataclass(frozen=True, slots=True)
class IsBoolean:
    """``IS TRUE`` / ``IS FALSE``: a JSON boolean, never the string "true"."""

    selector: Selector
    expected: bool


@dataclass(frozen=True, slots=True)
class Exists:
    """``EXISTS`` (exists=True) or ``NOT EXISTS`` (exists=False)."""

    selector: Selector
    exists: bool


@dataclass(frozen=True, slots=True)
class FieldCondition:
    """A condition on one field of a space-delimited pattern (``status=4*``, ``bytes>1000``)."""

    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class And:
    """Two or more operands, flattened (``a && (b && c)`` is ``And(a, b, c)``)."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]


Condition: TypeAlias = Comparison | IsNull | IsBoolean | Exists
Expr: TypeAlias = Comparison | IsNull | IsBoolean | Exists | FieldCondition | And | Or

# ---- top-level patterns ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty pattern: matches every event."""


@dataclass(frozen=True, slots=True)
class JsonPattern:
    expr: Expr


@dataclass(frozen=True, slots=True)
class TermGroup:
    """All ``include`` terms occur and no ``exclude`` term occurs (case-sensitive substrings)."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TermPattern:
    """Matches when any group matches (a pattern without ``?`` terms is one group)."""

    groups: tuple[TermGroup, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """One position of a space-delimited pattern; ``name is None`` is the ``...`` ellipsis."""

    name: str | None
    condition: Expr | None = None


@dataclass(frozen=True, slots=True)
class SpaceDelimitedPattern:
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A whole-pattern ``%regex%`` searched in the raw message."""

    source: str


Pattern: TypeAlias = MatchAll | JsonPattern | TermPattern | SpaceDelimitedPattern | RegexPattern
