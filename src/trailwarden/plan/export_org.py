"""The organisation plan as IaC (``plan --org-trail --format cloudformation|terraform --out DIR``).

An organisation needs more than one file (a stack or module per account), so the export is a map
of file name to text, and ``write_org_iac`` writes it into a folder, every file atomically.
"""

from __future__ import annotations

from pathlib import Path

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.plan.iac_format import IacFormat, iac_format
from trailwarden.plan.model import Plan
from trailwarden.plan.org.iac_input import org_iac_input
from trailwarden.plan.render_org_cloudformation import org_cloudformation
from trailwarden.plan.render_org_terraform import org_terraform


def export_org_iac(plan: Plan, fmt: IacFormat | str) -> dict[str, str]:
    """File name (relative, ``/``-separated) -> text; a bad format or a plan without its
    organisation part is a one-line UsageError."""
    chosen = iac_format(fmt)
    data = org_iac_input(plan)
    if chosen is IacFormat.cloudformation:
        return org_cloudformation(data)
    return org_terraform(data)


def write_org_iac(files: dict[str, str], out_dir: Path) -> list[Path]:
    """Write every file under ``out_dir`` (created if missing); returns the paths in order.

    An existing ``out_dir`` that is not a folder is a one-line UsageError, raised before anything
    is written."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} exists and is not a folder")
    written = []
    for name, text in files.items():
        path = out_dir / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise outfile.cannot_write(path.parent, exc) from None
        outfile.write_text(path, text)
        written.append(path)
    return written
