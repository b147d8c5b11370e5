"""JSON API of the example application."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gelsencloud.apps.example import service
from gelsencloud.core.auth import DbSession, LoggedIn


class NoticeIn(BaseModel):
    """A notice to create."""

    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    classification: Literal["public", "internal", "personal"] = "public"
    valid_until: datetime | None = None


class NoticeOut(BaseModel):
    """A notice."""

    id: int
    tenant_id: int
    classification: str
    title: str
    body: str
    created_at: datetime
    valid_until: datetime | None


def build_router() -> APIRouter:
    """Routes under /api/v1/example."""
    router = APIRouter(prefix="/api/v1/example", tags=["example"])

    @router.get("/notices", response_model=list[NoticeOut])
    def notices(session: DbSession):
        """List notices readable by the caller."""
        return service.list_notices(session)

    @router.get("/notices/{notice_id}", response_model=NoticeOut)
    def notice(notice_id: int, session: DbSession):
        """Return one notice."""
        return service.get_notice(session, notice_id)

    @router.post("/notices", response_model=NoticeOut, status_code=201)
    def create(body: NoticeIn, session: DbSession, principal: LoggedIn):
        """Create a notice for the caller's tenant."""
        return service.create_notice(
            session,
            title=body.title,
            body=body.body,
            classification=body.classification,
            valid_until=body.valid_until,
        )

    @router.delete("/notices/{notice_id}", status_code=204)
    def delete(notice_id: int, session: DbSession, principal: LoggedIn) -> None:
        """Delete a notice of the caller's tenant."""
        service.delete_notice(session, notice_id)

    return router
