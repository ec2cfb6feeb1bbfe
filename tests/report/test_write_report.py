"""``write_report`` writes a report piece by piece: the same bytes as ``render``, and a file is
still replaced only once the whole report is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.report.support import varied_document

from trailwarden.report import render as render_module
from trailwarden.report.common import BATCH
from trailwarden.report.render import STREAMS, ReportFormat, render, write_report


@pytest.mark.parametrize("fmt", list(STREAMS))
def test_written_file_and_stdout_are_the_rendered_bytes(
    fmt: ReportFormat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = varied_document()
    # More findings than one piece holds, so the report is written in several.
    doc["findings"] = doc["findings"] * (3 * BATCH // len(doc["findings"]) + 1)
    out = tmp_path / f"report.{fmt}"
    write_report(doc, fmt, out)
    assert out.read_bytes() == render(doc, fmt).encode()
    assert len(list(STREAMS[fmt](doc))) > 1
    write_report(doc, fmt, None)
    assert capsys.readouterr().out == render(doc, fmt)


def test_a_report_that_fails_half_way_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "findings.json"
    out.write_text("previous")

    def broken(doc: dict[str, Any]) -> Iterator[str]:
        yield "{\n"
        raise RuntimeError("renderer failed")

    monkeypatch.setitem(render_module.STREAMS, ReportFormat.json, broken)
    with pytest.raises(RuntimeError):
        write_report(varied_document(), ReportFormat.json, out)
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_text_is_not_a_file_format() -> None:
    from trailwarden.errors import UsageError

    with pytest.raises(UsageError, match="drawn on the terminal"):
        write_report(varied_document(), ReportFormat.text, None)
