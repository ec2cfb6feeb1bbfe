"""One self-contained HTML page: inline CSS, no script, nothing fetched from anywhere.

Root causes first (what to change), then the accounts x controls matrix, the compliance view,
every finding that needs attention with its reason and remediation, suppressions, and the run's
scope and errors. Coverage timelines belong here once ``evidence coverage`` exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from html import escape
from typing import Any

from trailwarden.report.common import (
    TOOL,
    VERSION,
    batched,
    control_sort_key,
    control_title,
    effective_status,
    fix_steps,
    severity_rank,
)

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1f24;background:#fff}
h1{font-size:1.6em;margin:0 0 .2em}
h2{margin-top:1.8em;border-bottom:1px solid #ccd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f3f5f7}
.FAILED{background:#ffd7d5}.PASSED{background:#d8f5dc}.SUPPRESSED{background:#e6e1f5}
.undecided{background:#fff3c4}.none{background:#fafafa;color:#999}
.matrix td{text-align:center;font-size:12px;min-width:2.2em}.matrix th.c{writing-mode:vertical-rl;
font-weight:normal;font-size:12px}.sev{font-weight:bold}.muted{color:#57606a}
.summary span{display:inline-block;margin-right:1.2em}
"""
_WORST = {"FAILED": 0, "SUPPRESSED": 2, "PASSED": 3}  # anything else (undecided) ranks 1


class _Html(str):
    """Cell content that is already HTML (escaped where it needs to be): ``_row`` keeps it."""


def _table(*columns: str) -> str:
    """The opening of a table and its heading row."""
    return "<table><tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"


def _row(*cells: str | tuple[str, str]) -> str:
    """One table row: text is escaped, ``_Html`` kept as it is; ``(class, cell)`` sets the
    cell's class."""
    out = []
    for cell in cells:
        cls, content = cell if isinstance(cell, tuple) else (None, cell)
        text = content if isinstance(content, _Html) else escape(content)
        out.append(f"<td class={cls}>{text}</td>" if cls else f"<td>{text}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def _cls(status: str) -> str:
    return status if status in _WORST else "undecided"


def _cell_status(statuses: Counter[str]) -> str:
    return min(statuses, key=lambda s: (_WORST.get(s, 1), s))


def _root_causes(doc: dict[str, Any]) -> list[str]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        if effective_status(f) == "FAILED":
            groups.setdefault((f["account"], f.get("root_cause") or f["resource"]), []).append(f)
    ordered = sorted(
        groups.items(),
        key=lambda kv: (min(severity_rank(f["severity"]) for f in kv[1]), -len(kv[1]), kv[0]),
    )
    rows = []
    for (account, cause), fs in ordered:
        worst = min((f["severity"] for f in fs), key=severity_rank)
        controls = sorted({f["control"] for f in fs}, key=control_sort_key)
        regions = sorted({f["region"] for f in fs})
        fixes = fix_steps(fs)
        rows.append(
            _row(
                ("sev", worst),
                account,
                cause,
                str(len(fs)),
                ", ".join(controls),
                ", ".join(regions) if len(regions) <= 4 else f"{len(regions)} Regions",
                _Html("<br>".join(escape(x) for x in fixes)),
            )
        )
    if not rows:
        return ["<p>No unsuppressed failures.</p>"]
    head = _table(
        "severity", "account", "root cause", "findings", "controls", "Regions", "what fixes it"
    )
    return [head, *rows, "</table>"]


def _matrix(doc: dict[str, Any]) -> list[str]:
    cells: dict[tuple[str, str], Counter[str]] = {}
    controls: dict[str, None] = {}
    for f in doc["findings"]:
        controls.setdefault(f["control"], None)
        cells.setdefault((f["account"], f["control"]), Counter())[effective_status(f)] += 1
    accounts = list(dict.fromkeys([*doc.get("accounts", []), *(a for a, _ in cells)]))
    out = ["<table class=matrix><tr><th>account</th>"]
    out += [f'<th class=c title="{escape(control_title(c))}">{escape(c)}</th>' for c in controls]
    out.append("</tr>")
    for account in accounts:
        row = [f"<tr><th>{escape(account)}</th>"]
        for control in controls:
            counts = cells.get((account, control))
            if not counts:
                row.append("<td class=none>-</td>")
                continue
            status = _cell_status(counts)
            tip = escape(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
            mark = {"FAILED": "✗", "PASSED": "✓", "SUPPRESSED": "s"}.get(status, "?")
            row.append(f'<td class={_cls(status)} title="{tip}">{mark}</td>')
        row.append("</tr>")
        out.append("".join(row))
    out.append(
        "</table><p class=muted>✗ failed, ✓ passed, s suppressed, ? not decided "
        "(not available, warning), - no finding. Hover a cell for its counts.</p>"
    )
    return out


def _compliance(doc: dict[str, Any]) -> list[str]:
    fw = doc.get("framework")
    if not fw:
        return ["<p class=muted>No framework chosen (--compliance).</p>"]
    out = [
        f"<p>{escape(fw['title'])}</p>"
        + _table("requirement", "title", "status", "controls", "findings", "source")
    ]
    for r in fw["requirements"]:
        counts = ", ".join(f"{n} {s}" for s, n in r["counts"].items())
        out.append(
            _row(
                r["id"],
                r["title"],
                (_cls(r["status"]), r["status"]),
                ", ".join(r["controls"]),
                counts,
                ("muted", _Html("<br>".join(escape(s) for s in r["sources"]))),
            )
        )
    out.append("</table>")
    return out


def _findings(doc: dict[str, Any]) -> Iterator[str]:
    shown = [f for f in doc["findings"] if f["status"] != "PASSED"]
    passed = len(doc["findings"]) - len(shown)
    yield f"<p>{len(shown)} finding(s) need attention; {passed} passed and are not listed.</p>"
    yield _table(
        "status",
        "severity",
        "control",
        "account",
        "Region",
        "resource",
        "reason",
        "remediation",
    )
    shown.sort(key=lambda f: (_WORST.get(effective_status(f), 1), severity_rank(f["severity"])))
    for f in shown:
        status = effective_status(f)
        s = f.get("suppressed")
        label = escape(status)
        if s:
            label += (
                f"<br><span class=muted>{escape(s['reason'])} ({escape(s['owner'])}, "
                f"until {escape(s['expires'])})</span>"
            )
        yield _row(
            (_cls(status), _Html(label)),
            f["severity"],
            f["control"],
            f["account"],
            f["region"],
            f["resource"],
            f["reason"],
            f.get("remediation") or "",
        )
    yield "</table>"


def _suppressions(doc: dict[str, Any]) -> list[str]:
    s = doc.get("suppressions")
    if not s:
        return ["<p class=muted>No suppressions file (--suppressions).</p>"]
    out = [f"<p>{s['applied']} finding(s) suppressed.</p>"]
    for key, what in (
        ("expired", "Expired (no longer suppress)"),
        ("unmatched", "Matched nothing"),
    ):
        if s[key]:
            out.append(f"<h3>{what}</h3><ul>")
            out += [
                f"<li>entry {e['entry']}: {escape(e.get('control', ''))} - "
                f"{escape(e['reason'])} ({escape(e['owner'])}, until {escape(e['expires'])})</li>"
                for e in s[key]
            ]
            out.append("</ul>")
    return out


def _scope(doc: dict[str, Any]) -> list[str]:
    out = [
        f"<p>Accounts: {len(doc.get('accounts', []))}. Regions: "
        f"{escape(', '.join(doc.get('regions', [])) or '-')}. Snapshot taken "
        f"{escape(str(doc.get('snapshot_generated_at', '-')))}.</p>"
    ]
    errors = doc.get("errors", [])
    if errors:
        out.append(
            f"<p>{len(errors)} API call(s) failed; the controls they feed are not "
            "available:</p>" + _table("account", "Region", "operation", "error")
        )
        out += [_row(e["account"], e["region"], e["operation"], str(e["error"])) for e in errors]
        out.append("</table>")
    else:
        out.append("<p>No API call failed.</p>")
    signals = doc.get("signals", [])
    if signals:
        out.append("<h3>Health signals</h3>" + _table("severity", "account", "Region", "signal"))
        out += [_row(s["severity"], s["account"], s["region"], s["message"]) for s in signals]
        out.append("</table>")
    return out


def stream_html(doc: dict[str, Any]) -> Iterator[str]:
    """The page in pieces, its parts one a line (``_findings`` lists every finding that needs
    attention: a quarter million rows at a thousand accounts)."""
    return batched((("\n" if n else "") + part for n, part in enumerate(_parts(doc))))


def render_html(doc: dict[str, Any]) -> str:
    return "".join(stream_html(doc))


def _parts(doc: dict[str, Any]) -> Iterator[str]:
    counts = Counter(effective_status(f) for f in doc["findings"])
    summary = "".join(
        f"<span class={_cls(s)}>{n} {escape(s.lower().replace('_', ' '))}</span>"
        for s, n in sorted(counts.items(), key=lambda kv: (_WORST.get(kv[0], 1), kv[0]))
    )
    title = f"{TOOL} report"
    if doc.get("framework"):
        title += f": {doc['framework']['title']}"
    sections: list[tuple[str, Callable[[dict[str, Any]], Iterable[str]]]] = [
        ("Root causes", _root_causes),
        ("Accounts x controls", _matrix),
        ("Compliance", _compliance),
        ("Findings", _findings),
        ("Suppressions", _suppressions),
        ("Scope and errors", _scope),
    ]
    yield "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
    yield f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
    yield f"<h1>{escape(title)}</h1>"
    yield (
        f"<p class=muted>{TOOL} {escape(VERSION)}, report of "
        f"{escape(str(doc.get('generated_at', '-')))}</p>"
    )
    yield f"<p class=summary>{summary}</p>"
    for heading, section in sections:
        slug = heading.lower().split()[0]
        yield f"<section id={slug}><h2>{escape(heading)}</h2>"
        yield from section(doc)
        yield "</section>"
    yield (
        "<p class=muted>Coverage timelines per account will appear here once "
        "<code>evidence coverage</code> exists.</p></body></html>\n"
    )
