"""FastAPI dependencies: resolve who is calling and open a session acting for them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gelsencloud.core import identity
from gelsencloud.core.principal import ANONYMOUS, Principal, Role

SESSION_COOKIE = "gc_session"


def _credentials(request: Request) -> tuple[str, str] | None:
    """Return ('bearer'|'apikey'|'basic'|'cookie', secret) from the request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return "bearer", value.strip()
    if scheme.lower() == "basic" and value:
        return "basic", value.strip()
    if request.headers.get("x-api-key"):
        return "apikey", request.headers["x-api-key"].strip()
    if request.cookies.get(SESSION_COOKIE):
        return "cookie", request.cookies[SESSION_COOKIE]
    return None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer realm="gelsencloud"'},
    )


def resolve_principal(request: Request, session: Session) -> Principal:
    """Identify the caller; invalid credentials are an error, missing ones mean anonymous."""
    creds = _credentials(request)
    if creds is None:
        return ANONYMOUS
    kind, secret = creds
    settings = request.app.state.settings
    if kind in ("bearer", "apikey") and secret.startswith("gck_"):
        principal = identity.resolve_api_key(session, secret)
        if principal is None:
            raise _unauthorized("API key invalid, expired or revoked")
        return principal
    if kind == "basic":
        return _resolve_basic(session, secret, settings)
    resolved = identity.resolve_token(session, secret)
    if resolved is None:
        if kind == "cookie":
            return ANONYMOUS  # a stale cookie is not an error: the visitor just isn't logged in
        raise _unauthorized("bearer token invalid or expired; log in again at POST /api/v1/auth/token")
    user, record = resolved
    return identity.principal_for_user(user, record.id)


def _resolve_basic(session: Session, encoded: str, settings) -> Principal:
    # FROST-compatible clients only speak Basic: accept user+password, or an API key as password.
    try:
        username, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("malformed Basic credentials") from None
    if password.startswith("gck_"):
        principal = identity.resolve_api_key(session, password)
        if principal is None:
            raise _unauthorized("API key invalid, expired or revoked")
        return principal
    try:
        user = identity.log_in(session, settings, username, password)
    except identity.LoginFailed as exc:
        raise _unauthorized(str(exc)) from None
    return identity.principal_for_user(user)


def get_db_session(request: Request) -> Iterator[Session]:
    """Open a session for the request, acting for the authenticated principal."""
    db = request.app.state.db
    session = db.session()
    try:
        principal = resolve_principal(request, session)
        session.info["principal"] = principal
        request.state.principal = principal
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# "function" scope commits before the response is sent, so an acknowledged write is durable.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


def current_principal(request: Request, session: DbSession) -> Principal:
    """Return the caller's principal (anonymous allowed)."""
    return session.info["principal"]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_login(principal: CurrentPrincipal) -> Principal:
    """Refuse anonymous callers with 401."""
    if principal.is_anonymous:
        raise _unauthorized("authentication required: send 'Authorization: Bearer <token or API key>'")
    return principal


LoggedIn = Annotated[Principal, Depends(require_login)]


async def authenticated_caller(request: Request) -> Principal:
    """Identify a logged-in caller with a short session of its own, closed before the endpoint runs.

    For endpoints that write through another path (the sensor hub's group commit): holding a request
    session while waiting would tie up one pooled connection per waiting request. A recently resolved
    API key is answered from the cache on the event loop; anything else is looked up in a worker thread.
    """
    creds = _credentials(request)
    principal = None
    if creds is not None and creds[0] in ("bearer", "apikey") and creds[1].startswith("gck_"):
        principal = identity.cached_api_key(creds[1])
    if principal is None:
        principal = await run_in_threadpool(_resolve_with_own_session, request)
    request.state.principal = principal
    return require_login(principal)


def _resolve_with_own_session(request: Request) -> Principal:
    session = request.app.state.db.session()
    try:
        principal = resolve_principal(request, session)
        session.commit()  # the API key's last use
    finally:
        session.close()
    return principal


Caller = Annotated[Principal, Depends(authenticated_caller)]


def require_roles(*roles: Role):
    """Build a dependency that refuses callers without one of ``roles`` (403)."""

    def check(principal: LoggedIn) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this needs one of the roles: {', '.join(r.value for r in roles)}",
            )
        return principal

    return check
