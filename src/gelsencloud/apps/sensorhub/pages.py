"""Staff pages of the sensor hub: the device list with link health and the uplink log."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from gelsencloud.apps.sensorhub import service
from gelsencloud.apps.sensorhub.explorer import register_explorer
from gelsencloud.apps.sensorhub.models import CATEGORIES
from gelsencloud.core.auth import CurrentPrincipal, DbSession


def build_router() -> APIRouter:
    """Routes of the staff pages."""
    router = APIRouter()

    @router.get("/arbeitsbereich/geraete")
    def devices_page(
        request: Request, session: DbSession, principal: CurrentPrincipal, kategorie: str | None = None
    ):
        """Show the tenant's devices with their state."""
        if principal.is_anonymous:
            raise HTTPException(401, detail="please log in")
        devices = service.list_devices(session, category=kategorie)
        states = {d.id: service.device_state(d) for d in devices}
        failed = service.list_uplinks(session, status="failed", limit=20)
        return request.app.state.renderer.page(
            request,
            "sensorhub/devices.html",
            {
                "devices": devices,
                "states": states,
                "categories": CATEGORIES,
                "selected": kategorie,
                "failed": failed,
            },
        )

    register_explorer(router)
    return router
