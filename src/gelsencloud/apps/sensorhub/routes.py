"""HTTP endpoints: network-server webhooks and the device registry's JSON API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy import inspect
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from gelsencloud.apps.sensorhub import ingest, service
from gelsencloud.apps.sensorhub.batcher import batcher_for
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.apps.sensorhub.lorawan.uplinks import (
    UplinkFormatError,
    load_chirpstack_body,
    parse_chirpstack_v4,
)
from gelsencloud.apps.sensorhub.models import Device, Uplink
from gelsencloud.core.auth import Caller, DbSession, LoggedIn, authenticated_caller
from gelsencloud.core.identity import InvalidInput

Classification = Literal["public", "internal", "personal"]


class DeviceIn(BaseModel):
    """A device to register."""

    name: str = Field(min_length=1, max_length=200)
    category: str = Field(examples=["air_quality"])
    dev_eui: str | None = Field(None, examples=["70b3d57ed0051234"])
    decoder: str | None = Field(None, examples=["gelsencloud-airq"])
    longitude: float | None = Field(None, ge=-180, le=180)
    latitude: float | None = Field(None, ge=-90, le=90)
    site: str | None = None
    description: str = ""
    data_classification: Classification = "public"
    classification: Classification = "internal"
    expected_interval_s: int = Field(900, ge=10)


class DeviceOut(BaseModel):
    """A registered device with its link state."""

    id: int
    tenant_id: int
    name: str
    category: str
    dev_eui: str | None
    decoder: str | None
    longitude: float | None
    latitude: float | None
    site: str | None
    data_classification: str
    classification: str
    thing_id: int | None
    datastreams: dict[str, int] | None
    active: bool
    last_seen_at: datetime | None
    last_rssi: float | None
    last_snr: float | None
    battery: float | None
    state: str


class UplinkOut(BaseModel):
    """A stored network-server message."""

    id: int
    received_at: datetime
    network_server: str
    dev_eui: str
    f_cnt: int | None
    f_port: int | None
    payload_hex: str
    status: str
    error: str | None
    observations: int


def _device_out(device: Device) -> DeviceOut:
    columns = {attr.key: getattr(device, attr.key) for attr in inspect(Device).column_attrs}
    return DeviceOut.model_validate({**columns, "state": service.device_state(device)})


# 200: data taken in; 202: nothing to do (join, inactive device); 422: stored in quarantine but not
# turned into observations (unknown device, undecodable payload) - visible to operators and
# re-processable with POST /api/v1/sensorhub/uplinks/reprocess.
# A network-server event is a few KiB; anything far larger is refused (413) before it is parsed.
WEBHOOK_MAX_BODY = 1024 * 1024
STATUS_CODES = {"processed": 200, "duplicate": 200, "ignored": 202, "unknown_device": 422, "failed": 422}


def _ingest_response(result: service.IngestResult) -> JSONResponse:
    code = STATUS_CODES[result.status]
    return JSONResponse(
        {
            "status": result.status,
            "uplink_id": result.uplink_id,
            "observations": result.observations,
            "message": result.message,
        },
        status_code=code,
    )


def _bad_message(exc: Exception) -> JSONResponse:
    return JSONResponse({"status": "rejected", "message": str(exc)}, status_code=400)


@lru_cache(maxsize=64)
def _event_of(query_string: bytes) -> str:
    # Network servers send the same few query strings; parsing one each time was 3 % of a request.
    return QueryParams(query_string).get("event", "up")


async def receive_chirpstack(request: Request) -> JSONResponse:
    """ChirpStack v4 webhook: authenticate, parse, then group-commit uplinks or handle other events."""
    principal = await authenticated_caller(request)
    event = _event_of(request.scope["query_string"]) if request.scope["query_string"] else "up"
    try:
        body = load_chirpstack_body(await request.body(), request.headers.get("content-type"))
        message = parse_chirpstack_v4(event, body)
    except UplinkFormatError as exc:
        return _bad_message(exc)
    if isinstance(message, UplinkMessage):
        return _ingest_response(
            await batcher_for(request.app, request.app.state.db).submit(principal, message, body)
        )
    db = request.app.state.db

    def handle_event() -> service.IngestResult:
        with db.transaction(principal) as session:
            return ingest.handle_message(session, message, body)

    return _ingest_response(await run_in_threadpool(handle_event))


async def receive_tts(request: Request) -> JSONResponse:
    """The Things Stack v3 webhook: authenticate, parse, group-commit uplinks (other messages: 202)."""
    principal = await authenticated_caller(request)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise UplinkFormatError("body must be a JSON object")
        message = ingest.parse_tts(body)
    except (UplinkFormatError, ValueError) as exc:
        return _bad_message(exc)
    if message is None:
        return _ingest_response(service.IngestResult("ignored", message="not an uplink message"))
    return _ingest_response(
        await batcher_for(request.app, request.app.state.db).submit(principal, message, body)
    )


def lean_route(handler: Callable[[Request], Awaitable[Response]]) -> type[APIRoute]:
    """An APIRoute served by ``handler(request)`` instead of FastAPI's parameter machinery.

    The webhooks are the platform's hottest path; FastAPI's dependency solving, parameter parsing and
    response handling cost a sixth of a request's CPU time. The handler does what the endpoint's
    signature says (``authenticated_caller``, the ``event`` query parameter) by hand; the signature still
    documents the route (OpenAPI) and shows the security tests which authentication it needs. Errors
    raised by the handler reach the app's exception handlers as before, and the body-size limit applies.
    The core serves these routes without routing (``direct_dispatch``, see ``core.http.DirectRoute``).
    """

    class LeanRoute(APIRoute):
        direct_dispatch = True

        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            return handler

    return LeanRoute


def build_router() -> APIRouter:
    """Webhooks under /ingest and the registry under /api/v1/sensorhub (one flat router)."""
    router = APIRouter()

    # Served by receive_chirpstack / receive_tts (lean_route); the signatures document the routes.
    async def chirpstack_webhook(request: Request, principal: Caller, event: str = "up"):
        """Take a ChirpStack v4 HTTP-integration event (JSON encoding); authenticate with an API key."""
        return await receive_chirpstack(request)

    async def tts_webhook(request: Request, principal: Caller):
        """Take a The Things Stack v3 webhook message; authenticate with an API key."""
        return await receive_tts(request)

    for path, documented, handler in (
        ("/ingest/chirpstack", chirpstack_webhook, receive_chirpstack),
        ("/ingest/ttn", tts_webhook, receive_tts),
    ):
        router.add_api_route(
            path,
            documented,
            methods=["POST"],
            tags=["ingest"],
            route_class_override=lean_route(handler),
            max_body_size=WEBHOOK_MAX_BODY,
        )

    @router.get("/api/v1/sensorhub/devices", tags=["sensorhub"], response_model=list[DeviceOut])
    def devices(session: DbSession, category: str | None = None):
        """List the devices visible to the caller."""
        return [_device_out(d) for d in service.list_devices(session, category=category)]

    @router.post("/api/v1/sensorhub/devices", tags=["sensorhub"], response_model=DeviceOut, status_code=201)
    def register(body: DeviceIn, session: DbSession, principal: LoggedIn):
        """Register a device for the caller's tenant (creates its SensorThings Thing)."""
        return _device_out(service.register_device(session, **body.model_dump()))

    @router.get("/api/v1/sensorhub/devices/{device_id}", tags=["sensorhub"], response_model=DeviceOut)
    def device(device_id: int, session: DbSession):
        """Return one device."""
        return _device_out(service.get_device(session, device_id))

    @router.delete("/api/v1/sensorhub/devices/{device_id}", tags=["sensorhub"], status_code=204)
    def deactivate(device_id: int, session: DbSession, principal: LoggedIn) -> None:
        """Deactivate a device: its uplinks are still stored but no longer become observations."""
        service.get_device(session, device_id).active = False

    @router.get("/api/v1/sensorhub/uplinks", tags=["sensorhub"], response_model=list[UplinkOut])
    def uplinks(session: DbSession, principal: LoggedIn, status: str | None = None, limit: int = 100):
        """List stored network-server messages of the caller's tenant, newest first."""
        return [
            UplinkOut.model_validate(u, from_attributes=True)
            for u in service.list_uplinks(session, status=status, limit=limit)
        ]

    @router.post("/api/v1/sensorhub/uplinks/reprocess", tags=["sensorhub"])
    def reprocess(session: DbSession, principal: LoggedIn) -> dict:
        """Decode failed or unassigned uplinks again (after a decoder fix or device registration)."""
        if principal.tenant_id is None and not principal.is_system:
            raise InvalidInput("reprocessing needs a tenant")
        done, failing = service.reprocess_failed(session)
        return {"processed": done, "still_failing": failing}

    return router


__all__ = ["Uplink", "build_router"]
