"""AST back to pattern text, with only the parentheses precedence needs.

Used to quote one condition of a user's filter in an explanation, and by the property tests
(render then parse must give the same tree back).
"""

from __future__ import annotations

from trailwarden.filterpattern.nodes import (
    And,
    Comparison,
    Exists,
    Expr,
    FieldCondition,
    IsBoolean,
    IsNull,
    JsonPattern,
    MatchAll,
    Or,
    Pattern,
    RegexPattern,
    SpaceDelimitedPattern,
    TermPattern,
)
from trailwarden.filterpattern.parser import quote, render_value


def render_expr(expr: Expr, field: str = "") -> str:
    """One JSON expression (or, with ``field``, a space-delimited condition chain)."""
    if isinstance(expr, Or):
        return " || ".join(render_expr(operand, field) for operand in expr.operands)
    if isinstance(expr, And):
        parts = []
        for operand in expr.operands:
            text = render_expr(operand, field)
            parts.append(f"({text})" if isinstance(operand, Or) else text)
        return " && ".join(parts)
    if isinstance(expr, Comparison):
        return f"{expr.selector.text}{expr.op}{render_value(expr.value)}"
    if isinstance(expr, IsNull):
        return f"{expr.selector.text} IS NULL"
    if isinstance(expr, IsBoolean):
        return f"{expr.selector.text} IS {'TRUE' if expr.expected else 'FALSE'}"
    if isinstance(expr, Exists):
        return f"{expr.selector.text} {'EXISTS' if expr.exists else 'NOT EXISTS'}"
    if isinstance(expr, FieldCondition):
        return f"{field}{expr.op}{render_value(expr.value)}"
    raise TypeError(f"not an expression: {type(expr).__name__}")


def render(pattern: Pattern) -> str:
    if isinstance(pattern, MatchAll):
        return ""
    if isinstance(pattern, JsonPattern):
        return "{" + render_expr(pattern.expr) + "}"
    if isinstance(pattern, TermPattern):
        words: list[str] = []
        optional = len(pattern.groups) > 1
        for group in pattern.groups:
            terms = [quote(t) for t in group.include] + ["-" + quote(t) for t in group.exclude]
            if optional and terms:
                terms[0] = "?" + terms[0] if group.include else terms[0]
            words.extend(terms)
        return " ".join(words)
    if isinstance(pattern, SpaceDelimitedPattern):
        fields = []
        for f in pattern.fields:
            if f.name is None:
                fields.append("...")
            elif f.condition is None:
                fields.append(f.name)
            else:
                fields.append(render_expr(f.condition, f.name))
        return "[" + ", ".join(fields) + "]"
    if isinstance(pattern, RegexPattern):
        return f"%{pattern.source}%"
    raise TypeError(f"not a filter pattern: {type(pattern).__name__}")
