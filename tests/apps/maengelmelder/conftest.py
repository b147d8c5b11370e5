"""Fixtures for the GE-meldet tests: seeded city areas and services, and a live HTTP server."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.principal import SYSTEM


@pytest.fixture
def city_id(db, world, settings) -> int:
    """The city tenant with its areas and the GE-meldet services from the seed file."""
    tenant_id = world.tenants["stadt-gelsenkirchen"]
    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
        svc.seed_services(session, tenant_id)
    return tenant_id


@pytest.fixture
def live(app, city_id):
    """Serve the app on a free local port so an independent client (requests) can call it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/open311/v2"
    server.should_exit = True
    thread.join(timeout=10)
