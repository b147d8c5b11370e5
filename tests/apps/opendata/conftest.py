"""Fixtures of the open data tests: a catalogue seeded with the synthetic demo datasets."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.plugins import DemoContext
from gelsencloud.core.principal import SYSTEM


@pytest.fixture
def catalog(db, world, settings, monkeypatch):
    """City areas plus the demo datasets (9 public, 1 internal) and the core live area dataset."""
    from gelsencloud.apps.opendata import live
    from gelsencloud.apps.opendata.demo import generate

    # only the core generator, so counts do not depend on which other plugins are installed
    core = {k: v for k, v in live._REGISTRY.items() if v.plugin is None}
    monkeypatch.setattr(live, "_REGISTRY", core)
    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
    generate(DemoContext(db=db, settings=settings, days=1, seed=7, progress=lambda *a: None))
    return world


@contextlib.contextmanager
def serve(app):
    """Serve the app with uvicorn on a free localhost port; yield its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served(app, catalog):
    """Base URL of the app served over real HTTP."""
    with serve(app) as url:
        yield url
