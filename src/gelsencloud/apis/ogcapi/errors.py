"""Errors of the OGC API in its exception format: {"code", "description"}."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


class OgcError(Exception):
    """An error answered in the OGC API exception format."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def handler(request: Request, exc: OgcError) -> JSONResponse:
    """Render an OgcError as {"code", "description"}."""
    return JSONResponse({"code": exc.code, "description": exc.description}, exc.status)
