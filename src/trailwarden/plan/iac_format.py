"""``--format`` of the IaC export: its values and the one-line error for any other (a leaf)."""

from __future__ import annotations

import enum

from trailwarden.errors import UsageError


class IacFormat(enum.StrEnum):
    cloudformation = "cloudformation"
    terraform = "terraform"

    @property
    def suffix(self) -> str:
        """The usual file name ending, for ``--out`` defaults."""
        return ".yaml" if self is IacFormat.cloudformation else ".tf"


def iac_format(fmt: IacFormat | str) -> IacFormat:
    """``--format``'s value; an unknown one is a one-line UsageError."""
    try:
        return IacFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in IacFormat)
        raise UsageError(f"--format {fmt!r} is not one of {choices}") from None
