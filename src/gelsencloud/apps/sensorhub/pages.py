"""Staff pages of the sensor hub: the device list with link health, registration, a device's uplinks."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.apps.sensorhub.explorer import register_explorer
from gelsencloud.apps.sensorhub.models import CATEGORIES
from gelsencloud.core.auth import CurrentPrincipal, DbSession
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.principal import WRITER_ROLES
from gelsencloud.web.forms import check_csrf

DEVICE_FIELDS = (
    "name",
    "category",
    "dev_eui",
    "decoder",
    "longitude",
    "latitude",
    "site",
    "data_classification",
)


def _logged_in(principal) -> None:
    if principal.is_anonymous:
        raise HTTPException(401, detail="please log in")


def _form_context(values: dict | None = None, error: str | None = None) -> dict:
    return {
        "categories": CATEGORIES,
        "decoders": [*decoders.names(), service.NETWORK_SERVER_DECODER],
        "values": values or {"data_classification": "public"},
        "error": error,
    }


def _number(value: str, label: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"{label} muss eine Zahl sein / must be a number: {value!r}") from None


def build_router() -> APIRouter:
    """Routes of the staff pages."""
    router = APIRouter()

    @router.get("/arbeitsbereich/geraete")
    def devices_page(
        request: Request, session: DbSession, principal: CurrentPrincipal, kategorie: str | None = None
    ):
        """Show the tenant's devices with their state."""
        _logged_in(principal)
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
                "can_register": principal.role in WRITER_ROLES,
            },
        )

    @router.get("/arbeitsbereich/geraete/neu")
    def register_form(request: Request, principal: CurrentPrincipal):
        """Show the form to register a device."""
        _logged_in(principal)
        return request.app.state.renderer.page(request, "sensorhub/device_form.html", _form_context())

    @router.post("/arbeitsbereich/geraete/neu")
    def register_submit(
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        name: str = Form(""),
        category: str = Form(""),
        dev_eui: str = Form(""),
        decoder: str = Form(""),
        longitude: str = Form(""),
        latitude: str = Form(""),
        site: str = Form(""),
        data_classification: str = Form("public"),
    ):
        """Register a device for the staff member's tenant; show the form again with the reason if refused."""
        _logged_in(principal)
        check_csrf(request, csrf)
        values = {
            "name": name,
            "category": category,
            "dev_eui": dev_eui,
            "decoder": decoder,
            "longitude": longitude,
            "latitude": latitude,
            "site": site,
            "data_classification": data_classification,
        }
        try:
            device = service.register_device(
                session,
                name=name,
                category=category,
                dev_eui=dev_eui.strip() or None,
                decoder=decoder or None,
                longitude=_number(longitude, "Längengrad / longitude"),
                latitude=_number(latitude, "Breitengrad / latitude"),
                site=site.strip() or None,
                data_classification=data_classification,
            )
        except (InvalidInput, PermissionDenied) as exc:
            session.rollback()
            return request.app.state.renderer.page(
                request, "sensorhub/device_form.html", _form_context(values, str(exc)), status=400
            )
        return RedirectResponse(f"/arbeitsbereich/geraete/{device.id}", status_code=303)

    @router.get("/arbeitsbereich/geraete/{device_id}")
    def device_page(request: Request, device_id: int, session: DbSession, principal: CurrentPrincipal):
        """Show one device: its link health, its Datastreams and the uplinks received from it."""
        _logged_in(principal)
        try:
            device = service.get_device(session, device_id)
        except NotFound:
            raise HTTPException(404, detail=f"device {device_id} not found") from None
        return request.app.state.renderer.page(
            request,
            "sensorhub/device.html",
            {
                "device": device,
                "state": service.device_state(device),
                "categories": CATEGORIES,
                "uplinks": service.list_uplinks(session, device_id=device.id, limit=50),
            },
        )

    register_explorer(router)
    return router
