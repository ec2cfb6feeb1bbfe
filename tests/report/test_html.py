"""The HTML page: self-contained (nothing fetched), every section present, as headless Chromium
renders it. Chromium is Debian's package (.ci/run installs it); without it the browser tests
skip with the reason, the static checks still run."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.report.support import varied_document

from trailwarden.report.compliance import apply_compliance
from trailwarden.report.html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's package)"
)
_URL_ATTRIBUTES = {"src", "href", "srcset", "action", "data", "poster", "background"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.references += [v or "" for k, v in attrs if k in _URL_ATTRIBUTES]


def _page() -> str:
    doc = apply_compliance(varied_document(), "cis-1.4")
    doc["errors"] = [
        {"account": "111111111111", "region": "ap-south-2", "operation": "DescribeTrails",
         "error": "AccessDenied: not allowed"}
    ]  # fmt: skip
    return render_html(doc)


def test_page_references_nothing_outside_itself() -> None:
    links = _Links()
    links.feed(_page())
    assert links.references == []  # no src, no href: nothing to fetch, nothing to follow
    assert not links.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert "url(" not in _page() and "@import" not in _page()


def _chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with every host name unresolvable, logging the network to net.json."""
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp / 'profile'}", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={tmp / 'net.json'}",
            *extra, page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for (the browser's own update checks have another isolation key)."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start
        and e["params"].get("network_isolation_key", "").startswith("file://")
        and not e["params"]["url"].startswith("file:")
    ]


@needs_chromium
def test_chromium_sees_no_request_from_the_page(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(_page())
    _chromium(page, tmp_path, "--dump-dom")
    assert _page_requests(tmp_path / "net.json") == []
    # The detector works: a page that loads an image over HTTP is caught.
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://example.com/x.png"></body></html>')
    _chromium(leaky, tmp_path, "--dump-dom")
    assert _page_requests(tmp_path / "net.json") == ["http://example.com/x.png"]


@needs_chromium
def test_chromium_renders_every_section_and_a_screenshot(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(_page())
    dom = _chromium(page, tmp_path, "--dump-dom").stdout
    for text in (
        "Root causes",
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/main",  # a root cause
        "add the CIS metric filters, alarms",  # what fixes it
        "Accounts x controls",
        "CloudWatch.14",  # a matrix column
        "Ensure CloudTrail logs are encrypted at rest using KMS CMKs",  # compliance view
        "accepted &lt;risk&gt; &amp; documented",  # a suppression reason, escaped
        "NO_DATA",  # a status no renderer knows, passed through
        "AccessDenied: not allowed",  # the run's errors
        "evidence coverage",  # the note on coverage timelines
    ):
        assert text in dom, text
    shot = tmp_path / "report.png"
    _chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,2000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
