"""A minimal HCL writer whose output is already ``terraform fmt``-clean.

``terraform fmt`` aligns the ``=`` of consecutive one-line attributes (a heredoc counts as one
line); a multi-line object value or a nested block ends the group and is not aligned itself. The
writer follows those rules so the rendered file needs no formatting pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

INDENT = "  "
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Raw:
    """An expression written verbatim (a reference such as ``aws_s3_bucket.trail.id``)."""

    text: str


@dataclass(frozen=True)
class JsonHeredoc:
    """A JSON document as an indented heredoc (``<<-JSON``); what IAM arguments take as-is."""

    document: Any


@dataclass(frozen=True)
class TextHeredoc:
    """Text as an indented heredoc (``<<-EOT``): ``<<-`` strips the indentation again, so a
    document whose first column is used (YAML) arrives byte for byte, plus a final newline."""

    text: str


@dataclass
class Block:
    type: str
    labels: tuple[str, ...] = ()
    body: list[tuple[str, Any] | Block] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # ``#`` lines at the top of the block

    def comment(self, *lines: str) -> Block:
        self.comments.extend(lines)
        return self

    def attr(self, name: str, value: Any) -> Block:
        self.body.append((name, value))
        return self

    def block(self, child: Block) -> Block:
        self.body.append(child)
        return self


def string(value: str) -> str:
    """A quoted HCL string: JSON escapes, plus ``${``/``%{`` doubled so nothing interpolates."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def _multiline(value: Any) -> bool:
    return isinstance(value, dict)


def _key(key: str) -> str:
    return key if _IDENT.match(key) else string(key)


def value_text(value: Any, indent: str) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(item, indent) for item in value) + "]"
    if isinstance(value, JsonHeredoc):
        inner = indent + INDENT
        body = json.dumps(value.document, indent=2)
        # Heredoc templates interpolate too: escape the same sequences as in strings.
        body = body.replace("${", "$${").replace("%{", "%%{")
        lines = "\n".join(inner + line for line in body.splitlines())
        return f"<<-JSON\n{lines}\n{indent}JSON"
    if isinstance(value, TextHeredoc):
        inner = indent + INDENT
        body = value.text.replace("${", "$${").replace("%{", "%%{")
        marker = "EOT"
        while marker in {line.strip() for line in body.splitlines()}:
            marker += "_"  # a line equal to the marker would end the heredoc early
        lines = "\n".join((inner + line).rstrip() for line in body.splitlines())
        return f"<<-{marker}\n{lines}\n{indent}{marker}"
    if isinstance(value, dict):
        return _object(value, indent)
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _object(value: dict[str, Any], indent: str) -> str:
    inner = indent + INDENT
    keys = [_key(k) for k in value]
    width = max((len(k) for k in keys), default=0)
    lines = [
        f"{inner}{k.ljust(width)} = {value_text(v, inner)}"
        for k, v in zip(keys, value.values(), strict=True)
    ]
    return "{\n" + "\n".join(lines) + f"\n{indent}}}"


def render_block(block: Block, indent: str = "") -> str:
    head = " ".join([block.type, *(string(label) for label in block.labels)])
    out = [f"{indent}{head} {{"]
    inner = indent + INDENT
    out.extend(f"{inner}#{line}" for line in block.comments)
    group: list[tuple[str, Any]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in group), default=0)
        out.extend(f"{inner}{name.ljust(width)} = {value_text(v, inner)}" for name, v in group)
        group.clear()

    for item in block.body:
        if isinstance(item, Block):
            flush()
            out.append(render_block(item, inner))
        elif _multiline(item[1]):
            flush()
            out.append(f"{inner}{item[0]} = {value_text(item[1], inner)}")
        else:
            group.append(item)
    flush()
    out.append(f"{indent}}}")
    return "\n".join(out)


def render(blocks: list[Block], comment: str = "") -> str:
    """The file: an optional ``#`` comment header, then the blocks separated by blank lines."""
    header = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    body = "\n\n".join(render_block(block) for block in blocks) + "\n"
    return f"{header}\n{body}" if header else body
