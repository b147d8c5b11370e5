"""Pages of the example application."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gelsencloud.apps.example import service
from gelsencloud.core.auth import DbSession


def build_router() -> APIRouter:
    """Route of the notices page."""
    router = APIRouter()

    @router.get("/hinweise")
    def notices_page(request: Request, session: DbSession):
        """Show the notices the visitor may read."""
        return request.app.state.renderer.page(
            request, "example/notices.html", {"notices": service.list_notices(session)}
        )

    return router
