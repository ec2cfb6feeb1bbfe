"""The one error the event-pattern matcher raises."""

from __future__ import annotations

from trailwarden.errors import UsageError


class EventPatternError(UsageError):
    """A pattern EventBridge would refuse (PutRule's InvalidEventPatternException); one line,
    naming the field it is about as a dotted path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        where = f" at {path}" if path else ""
        super().__init__(f"invalid event pattern{where}: {message}")
