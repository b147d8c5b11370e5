"""HTTP routes of the SensorThings API at /sta/v1.1 (one flat router)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from gelsencloud.apis.sensorthings import batch, notify
from gelsencloud.apis.sensorthings.dispatch import Call, Result, dispatch, require_writer
from gelsencloud.apis.sensorthings.errors import bad_request
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES
from gelsencloud.core.auth import DbSession
from gelsencloud.core.http import absolute_url

PREFIX = "/sta/v1.1"
REQ = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
# Only the conformance classes this server implements end to end (see the tests).
CONFORMANCE = (
    REQ + "datamodel",
    REQ + "resource-path/resource-path-to-entities",
    REQ + "request-data",
    REQ + "create-update-delete",
    REQ + "batch-request/batch-request",
    REQ + "multi-datastream",
    REQ + "data-array/data-array",
)


def service_base(request: Request) -> str:
    """Absolute URL of the service root (correct behind a reverse proxy)."""
    return absolute_url(request, PREFIX)


MQTT_CREATE = REQ + "create-observations-via-mqtt/observations-creation"
MQTT_RECEIVE = REQ + "receive-updates-via-mqtt/receive-updates"


def root_document(base: str, mqtt_url: str | None = None) -> dict[str, Any]:
    """The service root: entity sets and server settings with the conformance list."""
    settings: dict[str, Any] = {"conformance": list(CONFORMANCE)}
    if mqtt_url:  # the MQTT extension works only with a broker; never show its credentials
        parsed = urlsplit(mqtt_url)
        endpoint = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 1883}"
        settings["conformance"] += [MQTT_CREATE, MQTT_RECEIVE]
        settings[MQTT_CREATE] = {"endpoints": [endpoint]}
        settings[MQTT_RECEIVE] = {"endpoints": [endpoint]}
    return {
        "value": [{"name": e.set_name, "url": f"{base}/{e.set_name}"} for e in ENTITY_TYPES.values()],
        "serverSettings": settings,
    }


def to_response(result: Result) -> Response:
    """Render a dispatch result."""
    if result.status == 204 or (result.body is None and not result.text):
        return Response(status_code=result.status, headers=result.headers)
    if isinstance(result.body, bytes):  # already encoded as JSONResponse would (dispatch.Call.encoded)
        return Response(
            result.body, status_code=result.status, headers=result.headers, media_type="application/json"
        )
    if result.text:
        return PlainTextResponse(result.body, status_code=result.status, headers=result.headers)
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None


def build_router() -> APIRouter:
    """Routes under /sta/v1.1."""
    router = APIRouter(tags=["sensorthings"])

    @router.get(PREFIX, include_in_schema=True)
    @router.get(PREFIX + "/", include_in_schema=False)
    def service_root(request: Request) -> dict[str, Any]:
        """Service root document of SensorThings API 1.1."""
        return root_document(service_base(request), request.app.state.settings.mqtt_url)

    @router.post(PREFIX + "/$batch")
    async def batch_request(request: Request, session: DbSession) -> Response:
        """Batch requests: OData JSON batch or multipart/mixed."""
        require_writer(session)
        watch(request, session)
        content_type = request.headers.get("content-type", "")
        base = service_base(request)
        if content_type.startswith("multipart/mixed"):
            text = (await request.body()).decode("utf-8", errors="replace")
            media, body = await run_in_threadpool(batch.run_multipart, session, base, content_type, text)
            return Response(body, media_type=media)
        payload = await _json_body(request)
        return JSONResponse(await run_in_threadpool(batch.run_json, session, base, payload))

    def watch(request: Request, session: DbSession) -> None:
        notify.watch(
            session, request.app.state.db, request.app.state.settings.mqtt_url, service_base(request)
        )

    async def handle(request: Request, session: DbSession, path: str) -> Response:
        settings = request.app.state.settings
        notify.remember(
            request.app.state.db, settings.mqtt_url, service_base(request), settings.sta_mqtt_select_topics
        )
        if request.method != "GET":
            watch(request, session)
        call = Call(
            request.method,
            path,
            dict(request.query_params),
            await _json_body(request) if request.method in ("POST", "PATCH", "PUT") else None,
            request.headers.get("content-type", "application/json"),
            encoded=True,
        )
        # Database work runs in the thread pool so a slow query never blocks the event loop.
        return to_response(await run_in_threadpool(dispatch, session, service_base(request), call))

    @router.get(PREFIX + "/{path:path}")
    async def read(request: Request, session: DbSession, path: str) -> Response:
        """Entity sets, entities, navigation, properties, $value and $ref."""
        return await handle(request, session, path)

    @router.post(PREFIX + "/{path:path}")
    async def create(request: Request, session: DbSession, path: str) -> Response:
        """Create an entity (deep insert, links by @iot.id) or CreateObservations."""
        return await handle(request, session, path)

    @router.patch(PREFIX + "/{path:path}")
    async def patch(request: Request, session: DbSession, path: str) -> Response:
        """Update an entity (merge PATCH or JSON Patch)."""
        return await handle(request, session, path)

    @router.put(PREFIX + "/{path:path}")
    async def put(request: Request, session: DbSession, path: str) -> Response:
        """Replace an entity."""
        return await handle(request, session, path)

    @router.delete(PREFIX + "/{path:path}")
    async def remove(request: Request, session: DbSession, path: str) -> Response:
        """Delete an entity and its dependants."""
        return await handle(request, session, path)

    return router
