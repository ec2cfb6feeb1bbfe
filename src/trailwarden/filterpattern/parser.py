"""Parser for the CloudWatch Logs filter-pattern language (docs/aws-facts/filter-patterns.md).

One recursive-descent pass over the text builds the AST and, token by token, the canonical text:
values re-quoted the one way, whitespace reduced to a fixed layout, parentheses and operand order
kept (Security Hub forbids anything but the exact CIS filter, so we only forgive what is provably
layout). Lexing is context-sensitive because bare values may contain ``.``, ``*`` and ``-``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from trailwarden.filterpattern.errors import FilterPatternError
from trailwarden.filterpattern.nodes import (
    And,
    AnyIndex,
    AnyMember,
    Comparison,
    Exists,
    Expr,
    Field,
    FieldCondition,
    Index,
    IsBoolean,
    IsNull,
    JsonPattern,
    MatchAll,
    Member,
    NumberValue,
    Op,
    Or,
    Pattern,
    RegexPattern,
    RegexValue,
    Selector,
    SpaceDelimitedPattern,
    Step,
    StringValue,
    TermGroup,
    TermPattern,
    Value,
)
from trailwarden.filterpattern.semantics import NUMBER

MAX_PATTERN_LENGTH = 1024  # MetricFilter.filterPattern limit
MAX_REGEXES = 2  # per JSON / space-delimited pattern
# Parentheses a pattern may nest. AWS documents no limit beneath the 1,024 characters, so ~330
# levels fit; every stage after the parser (compiler, semantics, comparison) walks the tree
# recursively, and 50 keeps them all far below Python's recursion limit while leaving an order
# of magnitude over the deepest pattern in real use (CIS patterns nest 2 levels). Deeper is a
# FilterPatternError: the filter is reported as unreadable, never a RecursionError.
MAX_NESTING = 50

_DIGITS = re.compile(r"\d+")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_KEYWORD = re.compile(r"[A-Za-z]+")
# Operators, longest first so "!=" is not read as "!" and "<=" not as "<".
_OPS: tuple[Op, ...] = ("!=", "<=", ">=", "=", "<", ">")
_NUMERIC_OPS = frozenset({"<", "<=", ">", ">="})
# Characters the docs say a value must be quoted to contain.
_NEEDS_QUOTES = set('@$\\:/"')


def quote(value: str) -> str:
    """The canonical spelling of a string value or term: always double-quoted."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_value(value: Value) -> str:
    if isinstance(value, StringValue):
        return quote(value.value)
    if isinstance(value, NumberValue):
        return value.text
    return f"%{value.source}%"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.end = len(text)
        self.out: list[str] = []  # canonical tokens, joined at the end
        self.regexes = 0
        self.closer = ""  # the '}' or ']' cut off the end, named when an error reaches it
        self.depth = 0  # parentheses open at the cursor

    # ---- scanning helpers --------------------------------------------------------------------

    def error(self, message: str, pos: int | None = None) -> FilterPatternError:
        return FilterPatternError(message, self.pos if pos is None else pos)

    def found(self) -> str:
        """How the token at the cursor is named in error messages."""
        if self.pos >= self.end:
            return repr(self.closer) if self.closer else "end of pattern"
        width = 2 if self.at("&&") or self.at("||") else 1
        return repr(self.text[self.pos : self.pos + width])

    def skip_ws(self) -> None:
        while self.pos < self.end and self.text[self.pos].isspace():
            self.pos += 1

    def at(self, token: str) -> bool:
        return self.pos + len(token) <= self.end and self.text.startswith(token, self.pos)

    def accept(self, token: str) -> bool:
        self.skip_ws()
        if self.at(token):
            self.pos += len(token)
            return True
        return False

    def match(self, regex: re.Pattern[str]) -> str:
        m = regex.match(self.text, self.pos, self.end)
        if not m:
            return ""
        self.pos = m.end()
        return m.group()

    # ---- entry ---------------------------------------------------------------------------------

    def run(self) -> Pattern:
        if len(self.text) > MAX_PATTERN_LENGTH:
            raise self.error(
                f"a pattern may have at most {MAX_PATTERN_LENGTH} characters", MAX_PATTERN_LENGTH
            )
        self.skip_ws()
        while self.end > self.pos and self.text[self.end - 1].isspace():
            self.end -= 1
        if self.pos == self.end:
            return MatchAll()
        first, last = self.text[self.pos], self.text[self.end - 1]
        if first == "{":
            return self.json_pattern(last)
        if first == "[":
            return self.space_delimited(last)
        if first == "%":
            if last != "%" or self.end - self.pos < 2:
                raise self.error("a regex pattern must end with '%'", self.end)
            source = self.text[self.pos + 1 : self.end - 1]
            self.check_regex(source, self.pos + 1)
            self.out.append(f"%{source}%")
            return RegexPattern(source)
        return self.terms()

    # ---- JSON patterns -------------------------------------------------------------------------

    def json_pattern(self, last: str) -> JsonPattern:
        if last != "}":
            raise self.error("a JSON pattern must end with '}'", self.end)
        self.pos += 1
        self.end -= 1
        self.closer = "}"
        self.out.append("{")
        self.skip_ws()
        if self.pos >= self.end:
            raise self.error("empty JSON pattern: expected a condition such as $.eventName = X")
        expr = self.expr()
        self.skip_ws()
        if self.pos < self.end:
            raise self.error(f"expected '&&', '||' or '}}', found {self.found()}")
        self.out.append("}")
        return JsonPattern(expr)

    def expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.accept("||"):
            self.out.append(" || ")
            operands.append(self.and_expr())
        return _flatten(Or, operands)

    def and_expr(self) -> Expr:
        operands = [self.unary()]
        while self.accept("&&"):
            self.out.append(" && ")
            operands.append(self.unary())
        return _flatten(And, operands)

    def unary(self) -> Expr:
        self.skip_ws()
        if self.at("("):
            opened = self.pos
            if self.depth >= MAX_NESTING:
                raise self.error(
                    f"parentheses nested deeper than {MAX_NESTING} levels: not read", opened
                )
            self.pos += 1
            self.out.append("(")
            self.depth += 1
            inner = self.expr()
            self.depth -= 1
            if not self.accept(")"):
                raise self.error(
                    f"expected ')' to close the '(' at column {opened + 1}, found {self.found()}"
                )
            self.out.append(")")
            return inner
        return self.condition()

    def condition(self) -> Expr:
        self.skip_ws()
        if not self.at("$"):
            raise self.error(f"expected a selector such as $.eventName, found {self.found()}")
        selector = self.selector()
        self.out.append(selector.text)
        self.skip_ws()
        word_at = self.pos
        word = self.match(_KEYWORD)
        if word:
            return self.keyword_condition(selector, word, word_at)
        for op in _OPS:
            if self.at(op):
                self.pos += len(op)
                self.out.append(op)
                value = self.value(op, json=True)
                return Comparison(selector, op, value)
        raise self.error(
            f"expected an operator (=, !=, <, <=, >, >=), IS or NOT EXISTS after "
            f"{selector.text}, found {self.found()}"
        )

    def keyword_condition(self, selector: Selector, word: str, word_at: int) -> Expr:
        if word == "IS":
            self.skip_ws()
            what_at = self.pos
            what = self.match(_KEYWORD)
            self.keyword_end()
            if what == "NULL":
                self.out.append(" IS NULL")
                return IsNull(selector)
            if what in ("TRUE", "FALSE"):
                self.out.append(f" IS {what}")
                return IsBoolean(selector, what == "TRUE")
            raise self.error("expected NULL, TRUE or FALSE after IS", what_at)
        if word == "NOT":
            self.skip_ws()
            what_at = self.pos
            if self.match(_KEYWORD) != "EXISTS":
                raise self.error("expected EXISTS after NOT", what_at)
            self.keyword_end()
            self.out.append(" NOT EXISTS")
            return Exists(selector, exists=False)
        if word == "EXISTS":
            self.keyword_end()
            self.out.append(" EXISTS")
            return Exists(selector, exists=True)
        hint = " (keywords are upper-case)" if word.upper() in ("IS", "NOT", "EXISTS") else ""
        raise self.error(
            f"expected an operator, IS or NOT EXISTS after {selector.text}, found {word!r}{hint}",
            word_at,
        )

    def keyword_end(self) -> None:
        if self.pos < self.end and not (
            self.text[self.pos].isspace() or self.text[self.pos] in ")&|"
        ):
            raise self.error(f"unexpected {self.found()} after keyword")

    def selector(self) -> Selector:
        self.pos += 1  # the '$'
        steps: list[Step] = []
        while self.pos < self.end:
            char = self.text[self.pos]
            if char == ".":
                self.pos += 1
                if self.at("*"):
                    self.pos += 1
                    steps.append(AnyMember())
                    continue
                name = self.match(_NAME)
                if not name:
                    raise self.error("expected a member name after '.'")
                steps.append(Member(name))
            elif char == "[":
                self.pos += 1
                if self.at("*]"):
                    self.pos += 2
                    steps.append(AnyIndex())
                    continue
                digits_at = self.pos
                digits = self.match(_DIGITS)
                if not digits:
                    raise self.error("expected an array index such as [0] or [*]", digits_at)
                if not self.at("]"):
                    raise self.error(f"expected ']' after the array index, found {self.found()}")
                self.pos += 1
                steps.append(Index(int(digits)))
            else:
                break
        if not steps:
            raise self.error("a selector names a member, e.g. $.eventName")
        return Selector(tuple(steps))

    def value(self, op: Op, *, json: bool) -> Value:
        self.skip_ws()
        start = self.pos
        if self.at('"'):
            value: Value = StringValue(self.quoted())
        elif self.at("%"):
            close = self.text.find("%", self.pos + 1, self.end)
            if close < 0:
                raise self.error("unterminated regex: expected a closing '%'")
            source = self.text[self.pos + 1 : close]
            self.check_regex(source, self.pos + 1)
            self.pos = close + 1
            value = RegexValue(source)
        else:
            stop = ')&|("{}' if json else ",]&|"
            while (
                self.pos < self.end
                and not self.text[self.pos].isspace()
                and self.text[self.pos] not in stop
            ):
                self.pos += 1
            bare = self.text[start : self.pos]
            if not bare:
                raise self.error(f"expected a value after '{op}', found {self.found()}")
            bad = sorted(set(bare) & _NEEDS_QUOTES)
            if bad or not bare.isascii():
                shown = "".join(bad) or "non-ASCII characters"
                raise self.error(f"a value containing {shown} must be in double quotes", start)
            value = NumberValue(bare) if NUMBER.fullmatch(bare) else StringValue(bare)
        if op in _NUMERIC_OPS and not isinstance(value, NumberValue):
            raise self.error(
                f"'{op}' compares numbers; {self.text[start : self.pos]} is not", start
            )
        self.out.append(render_value(value))
        return value

    def quoted(self) -> str:
        opened = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < self.end:
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < self.end and self.text[self.pos + 1] in '"\\':
                chars.append(self.text[self.pos + 1])
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return "".join(chars)
            else:
                chars.append(char)
                self.pos += 1
        raise self.error("unterminated string: expected a closing '\"'", opened)

    def check_regex(self, source: str, at: int) -> None:
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            raise self.error(f"a pattern may contain at most {MAX_REGEXES} regexes", at)
        if not source:
            raise self.error("empty regex", at)
        for i, char in enumerate(source):
            if char in "()" or not char.isascii():
                raise self.error(f"{char!r} is not allowed in a regex", at + i)
        try:
            re.compile(source)
        except re.error as exc:
            raise self.error(f"invalid regex: {exc.msg}", at + (exc.pos or 0)) from None

    # ---- term patterns -----------------------------------------------------------------------

    def terms(self) -> TermPattern:
        # Without '?' the pattern is one AND-group; with '?', each ?-term opens a new group and
        # plain/'-' terms join the current one (CDK's anyTermGroup rendering: ?"a" "b" ?"c").
        groups: list[tuple[list[str], list[str]]] = []
        optional = False
        while True:
            self.skip_ws()
            if self.pos >= self.end:
                break
            prefix_at = self.pos
            prefix = ""
            if self.text[self.pos] in "?-":
                prefix = self.text[self.pos]
                self.pos += 1
                self.skip_ws()  # the old docs wrote "ERROR" - "Exiting"
                if self.pos >= self.end:
                    raise self.error(f"expected a term after '{prefix}'")
            term_at = self.pos
            if self.at('"'):
                term = self.quoted()
            else:
                term = self.match(_WORD)
                if not term or (self.pos < self.end and not self.text[self.pos].isspace()):
                    raise self.error(
                        "a term with characters other than letters, digits and '_' must be in "
                        "double quotes"
                    )
            if not term:
                raise self.error("empty term", term_at)
            if prefix == "?":
                if groups and not optional:
                    raise self.error("a ?-term cannot follow plain terms", prefix_at)
                optional = True
                groups.append(([term], []))
            else:
                if not groups:
                    groups.append(([], []))
                (groups[-1][1] if prefix == "-" else groups[-1][0]).append(term)
            if self.out:
                self.out.append(" ")
            self.out.append(prefix + quote(term))
        return TermPattern(tuple(TermGroup(tuple(inc), tuple(exc)) for inc, exc in groups))

    # ---- space-delimited patterns --------------------------------------------------------------

    def space_delimited(self, last: str) -> SpaceDelimitedPattern:
        if last != "]":
            raise self.error("a space-delimited pattern must end with ']'", self.end)
        self.pos += 1
        self.end -= 1
        self.closer = "]"
        self.out.append("[")
        fields: list[Field] = []
        while True:
            self.skip_ws()
            if self.at("..."):
                self.pos += 3
                self.out.append("...")
                fields.append(Field(None))
            else:
                name = self.match(_WORD)
                if not name:
                    raise self.error(f"expected a field name or '...', found {self.found()}")
                self.out.append(name)
                self.skip_ws()
                condition = None
                if any(self.at(op) for op in _OPS):
                    condition = self.field_or(name)
                fields.append(Field(name, condition))
            self.skip_ws()
            if self.pos >= self.end:
                break
            if not self.at(","):
                raise self.error(f"expected ',' or ']', found {self.found()}")
            self.pos += 1
            self.out.append(", ")
        self.out.append("]")
        return SpaceDelimitedPattern(tuple(fields))

    def field_or(self, name: str) -> Expr:
        operands = [self.field_and(name, first=True)]
        while self.accept("||"):
            self.out.append(" || ")
            operands.append(self.field_and(name, first=False))
        return _flatten(Or, operands)

    def field_and(self, name: str, *, first: bool) -> Expr:
        operands = [self.field_condition(name, named=not first)]
        while self.accept("&&"):
            self.out.append(" && ")
            operands.append(self.field_condition(name, named=True))
        return _flatten(And, operands)

    def field_condition(self, name: str, *, named: bool) -> FieldCondition:
        self.skip_ws()
        if named:
            # Later conditions may repeat the field name (w1=ERROR || w1=WARN); canonically they do.
            other_at = self.pos
            other = self.match(_WORD)
            if other and other != name:
                raise self.error(f"a condition on field {name} cannot test {other}", other_at)
            self.out.append(name)
            self.skip_ws()
        for op in _OPS:
            if self.at(op):
                self.pos += len(op)
                self.out.append(op)
                return FieldCondition(op, self.value(op, json=False))
        raise self.error(f"expected an operator after {name}, found {self.found()}")


def _flatten(kind: type[And] | type[Or], operands: Sequence[Expr]) -> Expr:
    if len(operands) == 1:
        return operands[0]
    flat: list[Expr] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


@lru_cache(maxsize=1024)
def _parse(text: str) -> tuple[Pattern, str]:
    parser = _Parser(text)
    pattern = parser.run()
    return pattern, "".join(parser.out)


def parse(text: str) -> Pattern:
    """Parse a filter pattern; raises FilterPatternError with the position of the first error."""
    return _parse(text)[0]


def canonical(text: str) -> str:
    """The pattern with layout normalised: fixed spacing, string values and terms double-quoted.

    Parentheses and operand order are kept: they change nothing semantically but Security Hub
    demands the exact CIS filter, so only spacing and quoting of bare tokens are forgiven.
    """
    return _parse(text)[1]
