"""The one error the filter-pattern engine raises."""

from __future__ import annotations

from trailwarden.errors import UsageError


class FilterPatternError(UsageError):
    """A syntax error in a filter pattern.

    ``position`` is the 0-based offset into the pattern text; the message names it 1-based as a
    column, the way a user counts, and stays on one line so the CLI can print it as is.
    """

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"invalid filter pattern at column {position + 1}: {message}")
