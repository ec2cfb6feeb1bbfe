"""Class 1: every output file is written whole or not at all (``trailwarden.outfile``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import AS_ROOT, one_line_error

from trailwarden import outfile
from trailwarden.errors import UsageError

PREVIOUS = '{"previous": true}\n'


def test_write_text_replaces_whole_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(PREVIOUS)
    target.chmod(0o640)
    outfile.write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_a_failing_writer_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(PREVIOUS)
    with pytest.raises(RuntimeError), outfile.atomic(target) as handle:
        handle.write("half")
        raise RuntimeError("the renderer failed half-way")
    assert target.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_device_is_one_line() -> None:
    with pytest.raises(UsageError, match="cannot write /dev/full"):
        outfile.write_text(Path("/dev/full"), "x" * 100_000)


def test_check_writable(tmp_path: Path) -> None:
    outfile.check_writable(tmp_path / "new.jsonl")
    assert not (tmp_path / "new.jsonl").exists()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UsageError, match="Is a directory"):
        outfile.check_writable(tmp_path)
    with pytest.raises(UsageError, match="cannot write"):
        outfile.check_writable(tmp_path / "missing" / "j.jsonl")


def _bad_targets(tmp_path: Path) -> dict[str, Path]:
    targets = {
        "missing folder": tmp_path / "missing" / "out.json",
        "a folder": tmp_path,
        "a file as folder": tmp_path / "snap.json" / "out.json",
        "proc": Path("/proc/out.json"),
    }
    if Path("/dev/full").exists():
        targets["full disk"] = Path("/dev/full")
    if not AS_ROOT:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        targets["read-only folder"] = locked / "out.json"
    return targets


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--from-snapshot", "{snap}", "--out", "{out}"],
        ["scan", "--from-snapshot", "{snap}", "-o", "sarif", "--out", "{out}"],
        ["scan", "--from-snapshot", "{snap}", "--save-snapshot", "{out}"],
        ["plan", "--from-snapshot", "{snap}", "--out", "{out}"],
        ["plan", "--from-snapshot", "{snap}", "--format", "terraform", "--out", "{out}"],
        ["report", "{findings}", "-o", "html", "--out", "{out}"],
    ],
    ids=lambda a: " ".join(a[:1] + [x for x in a if x.startswith("-")]),
)
def test_bad_output_targets_are_one_line(
    args: list[str], tmp_path: Path, snapshot_file: Path, cli: Any
) -> None:
    findings = tmp_path / "findings.json"
    cli(["scan", "--from-snapshot", str(snapshot_file), "--out", str(findings)])
    assert findings.is_file()
    for name, out in _bad_targets(tmp_path).items():
        argv = [a.format(snap=snapshot_file, out=out, findings=findings) for a in args]
        line = one_line_error(cli(argv))
        assert "cannot write" in line, (name, line)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("locked")) == [
        "findings.json",
        "snap.json",
    ]


def test_a_full_disk_keeps_the_previous_findings(
    tmp_path: Path, cli: Any, snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills while the findings are written: the previous file stays whole."""
    out = tmp_path / "findings.json"
    out.write_text(PREVIOUS)

    def no_space(*_a: Any, **_k: Any) -> Any:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(os, "fsync", no_space)
    line = one_line_error(cli(["scan", "--from-snapshot", str(snapshot_file), "--out", str(out)]))
    assert "No space left on device" in line
    assert out.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json", "snap.json"]
