"""The single error type raised for malformed query options (maps to HTTP 400)."""

from __future__ import annotations

from typing import Any


class QueryError(ValueError):
    """A malformed query option; ``position`` is a 1-based character index into the option's value."""

    def __init__(
        self,
        option: str,
        message: str,
        position: int | None = None,
        *,
        hint: str | None = None,
        path: tuple[str, ...] = (),
    ) -> None:
        self.option = option
        self.message = message
        self.position = position
        self.hint = hint
        # Path of the nested $expand holding the problem, e.g. ("Datastreams", "Observations").
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.option}: "
        if self.path:
            text += f"in {'/'.join(self.path)}: "
        text += self.message
        if self.position is not None:
            text += f" at position {self.position}"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable body for an HTTP 400 response."""
        return {
            "code": 400,
            "type": "error",
            "message": str(self),
            "option": self.option,
            "position": self.position,
            "path": "/".join(self.path) or None,
        }
