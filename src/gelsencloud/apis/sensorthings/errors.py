"""Errors of the SensorThings API, answered in its JSON error format (not the platform's)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from gelsencloud.apis.sensorthings.query import QueryError


class StaError(Exception):
    """An STA request error with its HTTP status (400 bad request, 404 not found, 409 conflict)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return {"code": self.status, "type": "error", "message": self.message}


def not_found(what: str) -> StaError:
    """Build a 404 error."""
    return StaError(404, f"{what} not found")


def bad_request(message: str) -> StaError:
    """Build a 400 error."""
    return StaError(400, message)


async def _sta_error(_request: Request, exc: StaError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.status)


async def _query_error(_request: Request, exc: QueryError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=400)


def handlers() -> dict:
    """Exception handlers for the plugin contract."""
    return {StaError: _sta_error, QueryError: _query_error}


def error_body(exc: Exception) -> tuple[int, dict[str, Any]]:
    """Status and body for an error inside a batch request."""
    if isinstance(exc, QueryError):
        return 400, exc.to_dict()
    if isinstance(exc, StaError):
        return exc.status, exc.to_dict()
    raise exc
