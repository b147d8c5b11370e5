"""Protection for HTML form posts, shared by the core's and every plugin's pages."""

from __future__ import annotations

from fastapi import HTTPException, Request

from gelsencloud.core.auth import SESSION_COOKIE
from gelsencloud.core.security import constant_time_equal, csrf_token


def check_origin(request: Request) -> None:
    """Refuse cross-site form posts (e.g. log-in CSRF); same-origin browsers send Origin or Referer."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and not origin.startswith(str(request.base_url).rstrip("/")):
        raise HTTPException(403, detail="cross-site form submission refused")


def check_csrf(request: Request, token: str) -> None:
    """Refuse a form whose ``csrf`` field does not match the token bound to the session cookie."""
    session_token = request.cookies.get(SESSION_COOKIE, "")
    expected = csrf_token(request.app.state.settings.secret_key, session_token)
    if not session_token or not constant_time_equal(expected, token):
        raise HTTPException(
            403, detail="Formular abgelaufen oder gefälscht (CSRF) / form expired or forged; reload"
        )
