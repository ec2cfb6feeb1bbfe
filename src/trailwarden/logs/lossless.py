"""Whether the typed columns hold a record exactly: decided in SQL, per record, at ingest.

Nothing in a record may be lost: a record the typed columns cannot give back exactly keeps its
text in ``extra`` (schema.table_ddl). Held exactly means:

1. its top level has only members that are a JSON column, or a typed column holding a value:
   no member the schema does not know, none present as ``null``, none of a type its column
   cannot read (a VARCHAR column reads numbers, so those are counted as held: see docs/logs.md);
2. its ``eventTime``, when there, is written as CloudTrail writes it (``YYYY-MM-DDTHH:MM:SSZ``,
   20 characters) and parses, so the TIMESTAMP gives back the same text;
3. ``userIdentity`` and ``tlsDetails``, read as compact JSON text, are exactly as long as the JSON
   their typed STRUCTs hold: a member the STRUCT does not know, a member present as ``null``, a
   number or object where a string is expected, all make the text longer or shorter. (A string
   with escapes also makes it longer: kept in ``extra`` too, which costs room, never fidelity.)

The checks are arithmetic on lengths and key counts, so they cost little next to the typing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def json_length_sql(expr: str, shape: dict[str, Any]) -> str:
    """The length of the compact JSON text of the STRUCT ``expr`` of shape ``shape`` with its NULL
    members left out, counting strings without escapes: ``{"key":"value",...}``."""
    terms = []
    for key, sub in shape.items():
        member = f'{expr}."{key}"'
        # "key": plus the value, plus a comma; the last comma's place holds the closing brace.
        # (coalesce, not CASE: a NULL member adds 0, and strlen of VARCHAR costs nothing.)
        if isinstance(sub, dict):
            nested = json_length_sql(member, sub)
            terms.append(f"CASE WHEN {member} IS NULL THEN 0 ELSE {len(key) + 4} + {nested} END")
        elif sub == "JSON":
            terms.append(f"coalesce(strlen(CAST({member} AS VARCHAR)) + {len(key) + 4}, 0)")
        else:
            terms.append(f"coalesce(strlen({member}) + {len(key) + 6}, 0)")
    # An empty object is "{}" (2); otherwise "{" plus the members and their commas.
    return f"greatest(1 + {' + '.join(terms)}, 2)"


def lossless_sql(
    row: str,
    keys: str,
    typed: Iterable[str],
    json_columns: Iterable[str],
    objects: dict[str, dict[str, Any]],
    time_parsed: str,
) -> str:
    """SQL true when the typed columns hold the record ``row`` exactly (see the module doc).

    ``keys`` is the record's key list (json_keys); ``objects`` maps each object read as JSON text
    to its STRUCT shape, typed as ``o_<name>`` beside ``row``; ``time_parsed`` is eventTime parsed.
    """
    held = " + ".join(
        [f'({row}."{name}" IS NOT NULL)::INT' for name in typed]
        + [f"list_contains({keys}, '{name}')::INT" for name in json_columns]
    )
    parts = [
        f"len({keys}) = {held}",
        f'({row}."eventTime" IS NULL OR (strlen({row}."eventTime") = 20 '
        f"AND {time_parsed} IS NOT NULL))",
    ]
    for name, shape in objects.items():
        text = f'strlen(CAST({row}."{name}" AS VARCHAR))'
        parts.append(f'({row}."{name}" IS NULL OR {text} = {json_length_sql(f"o_{name}", shape)})')
    return " AND ".join(parts)


# What a database path still cannot give back exactly, for commands to print (docs/logs.md,
# "Nothing lost"): the CLI shows DATABASE_NOTE when Sigma or alarm replay read --db, and
# ATHENA_NOTE when a question runs with --engine athena.
DATABASE_NOTE = (
    "note: from a database, a top-level member delivered as another JSON type than its column's "
    '(a number where CloudTrail writes a string, "true" as text for readOnly) comes back in the '
    "column's type; every other field, null or missing, is as delivered (give SOURCE for the files)"
)
ATHENA_NOTE = (
    "note: on Athena, members AWS's CloudTrail table does not declare are not queryable and a "
    "member present as null reads as missing (its JSON SerDe); the DuckDB engine keeps both"
)
