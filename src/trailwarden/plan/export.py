"""The entry points for ``plan --format cloudformation|terraform``: one account's baseline
(``export_iac``) or an organisation plan (``export_org_iac``, written by ``write_org_iac``)."""

from __future__ import annotations

from trailwarden.plan.baseline import Baseline
from trailwarden.plan.export_org import export_org_iac, write_org_iac
from trailwarden.plan.iac_format import IacFormat, iac_format
from trailwarden.plan.render_cloudformation import render_cloudformation
from trailwarden.plan.render_terraform import render_terraform

__all__ = ["IacFormat", "export_iac", "export_org_iac", "iac_format", "write_org_iac"]


def export_iac(baseline: Baseline, fmt: IacFormat | str) -> str:
    """The baseline as IaC text; an unknown format is a one-line UsageError.

    An organisation plan (``plan --org-trail``) is several files, one stack or module per
    account: ``trailwarden.plan.export_org.export_org_iac``."""
    chosen = iac_format(fmt)
    if chosen is IacFormat.cloudformation:
        return render_cloudformation(baseline)
    return render_terraform(baseline)
