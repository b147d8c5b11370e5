"""HTTP plumbing shared by every module: request IDs, proxy headers, JSON errors, absolute URLs."""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid
from functools import lru_cache

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette._utils import get_route_path
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gelsencloud.core.audit import current_request_id
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.identity import InvalidInput, NotFound

LOGGER = logging.getLogger("gelsencloud.http")
REQUEST_ID_HEADER = "x-request-id"


class RequestContextMiddleware:
    """Give every request an ID (or keep a sane incoming one), honour trusted proxy headers, log it."""

    def __init__(self, app: ASGIApp, trusted_proxies: str, direct: dict | None = None) -> None:
        self.app = app
        self.trusted = tuple(_parse_networks(trusted_proxies))
        # (method, path) -> DirectRoute: hot endpoints served without routing (see ``DirectRoute``).
        self.direct = direct if direct is not None else {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        if self._from_trusted_proxy(scope):
            _apply_forwarded(scope, headers)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        app = self.direct.get((scope["method"], get_route_path(scope)), self.app) if self.direct else self.app
        try:
            await app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
            LOGGER.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status_holder["status"],
                extra={
                    "request_id": request_id,
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    def _from_trusted_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        return bool(client) and _trusted(client[0], self.trusted)


class DirectRoute:
    """Serve one route straight from ``RequestContextMiddleware``, skipping the router.

    For endpoints whose route class sets ``direct_dispatch = True`` (the LoRaWAN webhooks): matching a
    request against ~180 routes and the layers between cost about a third of the app's CPU time for such
    a request. The route's own ASGI app (body-size limit, handler) runs inside an ``ExceptionMiddleware``
    with the app's exception handlers, as after routing, so answers, error bodies, request id and access
    log are the same. Only fixed paths qualify, and only if no other route matches the same method and
    path (``direct_routes`` refuses at start-up otherwise).
    """

    def __init__(self, app, route) -> None:
        self.fastapi_app = app
        self.route = route
        self._served = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._served is None:  # built at the first request: exception handlers may be added late
            app = self.fastapi_app
            handlers = {k: v for k, v in app.exception_handlers.items() if k not in (500, Exception)}
            self._served = ExceptionMiddleware(self.route.app, handlers=handlers, debug=app.debug)
        scope["router"] = self.fastapi_app.router
        scope["route"] = self.route
        scope["endpoint"] = self.route.endpoint
        scope["path_params"] = {}
        await self._served(scope, receive, send)


def direct_routes(app: FastAPI, routes) -> dict[tuple[str, str], DirectRoute]:
    """Return the (method, path) table of the routes that ask for direct dispatch."""
    routes = list(routes)
    table: dict[tuple[str, str], DirectRoute] = {}
    for route in routes:
        if not getattr(route, "direct_dispatch", False):
            continue
        if route.param_convertors:
            raise ValueError(f"direct dispatch needs a fixed path, not {route.path}")
        for method in route.methods:
            # Another route matching the same request would depend on routing order: refuse to guess.
            rivals = [
                other
                for other in routes
                if other is not route
                and method in (other.methods or ())
                and other.path_regex.match(route.path)
            ]
            if rivals:
                raise ValueError(
                    f"{method} {route.path} is also served by {rivals[0].path}; no direct dispatch"
                )
            table[(method, route.path)] = DirectRoute(app, route)
    return table


@lru_cache(maxsize=4096)
def _trusted(host: str, networks: tuple) -> bool:
    # Parsing the address and testing every network took a tenth of a webhook request's CPU time.
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in networks)


def _parse_networks(value: str) -> list:
    nets = []
    for part in value.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return nets


def _apply_forwarded(scope: Scope, headers: dict[str, str]) -> None:
    # Only the first (client-most) value counts: that is what the outermost proxy saw.
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip()
    host = headers.get("x-forwarded-host", "").split(",")[0].strip()
    prefix = headers.get("x-forwarded-prefix", "").split(",")[0].strip().rstrip("/")
    if proto in ("http", "https"):
        scope["scheme"] = proto
    if host:
        raw = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
        raw.append((b"host", host.encode("latin-1")))
        scope["headers"] = raw
    if prefix.startswith("/"):
        scope["root_path"] = prefix + scope.get("root_path", "")


def base_url(request: Request) -> str:
    """Return the public base URL: GELSENCLOUD_BASE_URL, else what the (proxied) request says."""
    configured = request.app.state.settings.base_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def absolute_url(request: Request, path: str) -> str:
    """Turn a site path into an absolute URL for links in API responses and feeds."""
    return base_url(request) + "/" + path.lstrip("/")


def error_body(request: Request, status: int, code: str, message: str, details=None) -> JSONResponse:
    """Build the platform's JSON error body."""
    body = {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "request_id": getattr(request.state, "request_id", None),
        }
    }
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


def _wants_html(request: Request) -> bool:
    """Tell whether the caller is a browser on a page (API paths always get JSON)."""
    if request.url.path.startswith(("/api/", "/healthz", "/readyz")):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI) -> None:
    """Map exceptions to consistent JSON errors.

    Standard APIs with error formats of their own (SensorThings, Open311, CKAN) raise their own
    exception classes and register handlers for them; these handlers cover everything else.
    """

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if _wants_html(request):
            titles = {401: "Anmeldung erforderlich", 403: "Keine Berechtigung", 404: "Seite nicht gefunden"}
            return request.app.state.renderer.page(
                request,
                "error.html",
                {"title": titles.get(exc.status_code, "Fehler"), "message": exc.detail},
                exc.status_code,
            )
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        response = error_body(request, exc.status_code, code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        details = [
            {"location": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()
        ]
        summary = "; ".join(f"{d['location']}: {d['message']}" for d in details[:5])
        return error_body(request, 422, "invalid_input", summary, details)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput):
        return error_body(request, 400, "invalid_input", str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error_body(request, 404, "not_found", str(exc))

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied):
        principal = getattr(request.state, "principal", None)
        if principal is None or principal.is_anonymous:
            return error_body(request, 401, "unauthorized", "authentication required")
        return error_body(request, 403, "forbidden", str(exc))
