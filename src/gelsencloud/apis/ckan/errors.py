"""CKAN's error envelope: {"help", "success": false, "error": {"__type", "message"}}."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from gelsencloud.core.http import absolute_url


class CkanError(Exception):
    """An error answered in CKAN's format."""

    def __init__(self, status: int, type_: str | None, message: str, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.extra = extra or {}


def not_found(what: str) -> CkanError:
    """CKAN's NotFound (404)."""
    return CkanError(404, "Not Found Error", f"Not found: {what}")


def validation(field: str, message: str) -> CkanError:
    """CKAN's ValidationError (409): the error dict is field -> messages."""
    return CkanError(409, "Validation Error", "", {field: [message]})


def search_query(message: str) -> CkanError:
    """CKAN's SearchQueryError (400)."""
    return CkanError(400, "Search Query Error", f"Search Query is invalid: {message}")


def handler(request: Request, exc: CkanError) -> JSONResponse:
    """Render a CkanError in CKAN's envelope."""
    name = request.path_params.get("name", "")
    help_url = absolute_url(request, f"/api/3/action/help_show?name={name}")
    if exc.type is None:  # unknown action, bad JSON: CKAN answers a plain bad request
        return JSONResponse(
            {"help": help_url, "success": False, "error": {"message": exc.message}}, exc.status
        )
    error: dict[str, Any] = {"__type": exc.type}
    if exc.type == "Validation Error":
        error.update(exc.extra)
    else:
        error["message"] = exc.message
        error.update(exc.extra)
    return JSONResponse({"help": help_url, "success": False, "error": error}, exc.status)
