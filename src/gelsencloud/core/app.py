"""The application factory: settings, database, plugins, middleware and routes in one place."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette._utils import get_route_path
from starlette.routing import Match

from gelsencloud import __version__
from gelsencloud.core import events, logs
from gelsencloud.core.city import cached_profile
from gelsencloud.core.db import Database
from gelsencloud.core.http import RequestContextMiddleware, direct_routes, install_error_handlers
from gelsencloud.core.jobs import scheduler_loop
from gelsencloud.core.mqtt import MqttBus
from gelsencloud.core.plugins import JobContext, PluginError, PluginRegistry, discover
from gelsencloud.core.settings import Settings, ensure_usable, get_settings

LOGGER = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    registry: PluginRegistry | None = None,
    *,
    run_jobs: bool | None = None,
) -> FastAPI:
    """Build the web application; everything it serves comes from the plugin registry."""
    settings = settings or get_settings()
    ensure_usable(settings)
    logs.configure(settings.log_format, settings.log_level)
    db = db or Database(settings.database_url)
    registry = registry or discover(settings)
    run_jobs = settings.jobs_enabled if run_jobs is None else run_jobs

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        tasks = []
        db.start_wal_checkpointer()  # SQLite: commits return without waiting for checkpoints
        if run_jobs and registry.jobs():
            ctx = JobContext(db=db, settings=settings)
            tasks.append(asyncio.create_task(scheduler_loop(ctx, registry.jobs())))
        bus = start_ingestors(settings, db, registry)
        app.state.mqtt = bus
        undo = [events.subscribe(h.pattern, h.handle) for h in registry.event_handlers()]
        mirror_bus = None
        if settings.mqtt_url:  # other systems follow platform events on gelsencloud/events/#
            mirror_bus = bus or MqttBus(settings.mqtt_url, client_id=f"gelsencloud-events-{os.getpid()}")
            if bus is None:
                mirror_bus.start()
            undo.append(events.enable_mqtt_mirror(mirror_bus))
        # The startup heap (routes, models, templates) lives as long as the app: keep the cyclic garbage
        # collector's full passes off it (each traversed all of it; a tenth of a webhook's CPU time).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            for step in undo:
                step()
            if mirror_bus is not None and mirror_bus is not bus:
                mirror_bus.close()
            for task in tasks:
                task.cancel()
            if bus is not None:
                bus.close()
            db.dispose()

    app = FastAPI(
        title="GELSENcloud",
        version=__version__,
        description="Urbane Datenplattform der Vernetzten Stadt Gelsenkirchen / urban data platform.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.registry = registry
    app.state.city = cached_profile(settings.city_profile)
    direct: dict = {}  # filled below, once the routes are known
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies, direct=direct)
    install_error_handlers(app)

    from gelsencloud.web.render import Renderer

    app.state.renderer = Renderer(registry)
    app.mount("/static/core", StaticFiles(directory=WEB_DIR / "static"), name="static-core")
    app.state.endpoints = []
    for plugin in registry.plugins:
        for exc_class, handler in plugin.exception_handlers.items():
            app.add_exception_handler(exc_class, handler)
        if plugin.static is not None:
            app.mount(
                f"/static/{plugin.name}", StaticFiles(directory=plugin.static), name=f"static-{plugin.name}"
            )
        for factory, in_schema in ((plugin.api_router, True), (plugin.page_router, False)):
            if factory is None:
                continue
            router = factory()
            app.state.endpoints.extend(_endpoints(plugin.name, router))
            app.include_router(router, include_in_schema=in_schema)
    _skip_unrelated_routers(app)
    direct.update(direct_routes(app, app.state.endpoints))
    return app


def _skip_unrelated_routers(app: FastAPI) -> None:
    """Let each included plugin router refuse, by a string prefix test, paths none of its routes can match.

    FastAPI 0.165 matches an included router by trying each of its routes (about 10 µs each), twice per
    request; with ~180 routes a request to a late plugin spent 1-2 ms just being routed. A route's regex
    is anchored: a path without parameters matches only itself, one with parameters only paths that start
    with its literal part before the first parameter. Other paths are refused without trying the routes.
    """
    for candidate in app.router.routes:
        inner = getattr(candidate, "original_router", None)
        if inner is None or getattr(inner, "prefix", ""):
            continue
        paths = [getattr(route, "path", None) for route in inner.routes]
        if not paths or any(not isinstance(path, str) for path in paths):
            continue
        exact = frozenset(path for path in paths if "{" not in path)
        prefixes = tuple(sorted({path.split("{", 1)[0] for path in paths if "{" in path}))
        candidate.matches = _guarded(candidate.matches, exact, prefixes)


def _guarded(matches, exact: frozenset[str], prefixes: tuple[str, ...]):
    def guarded_matches(scope):
        if scope["type"] in ("http", "websocket"):
            path = get_route_path(scope)
            if path not in exact and not path.startswith(prefixes):
                return Match.NONE, {}
        return matches(scope)

    return guarded_matches


def start_ingestors(settings: Settings, db: Database, registry: PluginRegistry) -> MqttBus | None:
    """Subscribe every plugin's MQTT ingestor on the configured broker (reconnecting in the background)."""
    ingestors = [i for i in registry.ingestors() if i.mqtt_topics and i.handle_mqtt]
    if not settings.mqtt_url or not ingestors:
        return None
    bus = MqttBus(settings.mqtt_url, client_id=f"gelsencloud-{os.getpid()}")
    for ingestor in ingestors:
        for topic in ingestor.mqtt_topics:
            bus.subscribe(topic, lambda t, p, handle=ingestor.handle_mqtt: handle(t, p, db))
    bus.start()
    LOGGER.info("MQTT ingestors subscribed: %s", ", ".join(i.name for i in ingestors))
    return bus


def _endpoints(plugin_name: str, router: APIRouter) -> list[APIRoute]:
    """List a plugin router's endpoints; the contract asks for flat routers so none can hide."""
    routes = []
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise PluginError(
                f"plugin {plugin_name!r}: router contains {type(route).__name__}; register endpoints on one "
                "flat APIRouter (no include_router), so security tests can enumerate them"
            )
        routes.append(route)
    return routes
