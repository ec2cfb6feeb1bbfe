"""One entry point for ``plan --format cloudformation|terraform``."""

from __future__ import annotations

import enum

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.render_cloudformation import render_cloudformation
from trailwarden.plan.render_terraform import render_terraform


class IacFormat(enum.StrEnum):
    cloudformation = "cloudformation"
    terraform = "terraform"

    @property
    def suffix(self) -> str:
        """The usual file name ending, for ``--out`` defaults."""
        return ".yaml" if self is IacFormat.cloudformation else ".tf"


def export_iac(baseline: Baseline, fmt: IacFormat | str) -> str:
    """The baseline as IaC text; an unknown format is a one-line UsageError."""
    try:
        chosen = IacFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in IacFormat)
        raise UsageError(f"--format {fmt!r} is not one of {choices}") from None
    if chosen is IacFormat.cloudformation:
        return render_cloudformation(baseline)
    return render_terraform(baseline)
