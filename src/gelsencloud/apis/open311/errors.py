"""Open311 errors: always a list of {code, description}; the HTTP status is 400, 403 or 404."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from gelsencloud.apis.open311.formats import FORMATS, respond


class Open311Error(Exception):
    """An error answered in the GeoReport v2 error format of the requested representation."""

    def __init__(
        self, status: int, descriptions: list[str] | str, fmt: str = "xml", headers: dict | None = None
    ) -> None:
        self.status = status
        self.descriptions = [descriptions] if isinstance(descriptions, str) else list(descriptions)
        self.fmt = fmt if fmt in FORMATS else "xml"  # XML is the format every server must speak
        self.headers = headers
        super().__init__("; ".join(self.descriptions))


def open311_error_handler(request: Request, exc: Open311Error) -> Response:
    """Render an ``Open311Error``; codes are strings (like service codes, never bare numbers)."""
    errors = [{"code": str(exc.status), "description": d} for d in exc.descriptions]
    return respond(exc.fmt, "errors", "error", errors, status=exc.status, headers=exc.headers)
