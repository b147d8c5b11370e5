"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
MQTT_URL = os.environ.get("GELSENCLOUD_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
PASSWORD = "correct-horse-battery"


def unavailable(what: str, why: str):
    """Skip locally when a service is missing, but fail in CI, where it must run."""
    message = f"{what} not available ({why})"
    if IN_CI:
        pytest.fail(message + "; CI=true requires it", pytrace=False)
    pytest.skip(message)


def auth(key: str) -> dict[str, str]:
    """Return the Authorization header for an API key or bearer token."""
    return {"Authorization": f"Bearer {key}"}


async def post_all(base: str, key: str, path: str, bodies: list) -> list:
    """POST every JSON body at once over one HTTP client (network servers delivering concurrently)."""
    import asyncio

    import httpx

    async with httpx.AsyncClient(base_url=base, headers=auth(key), timeout=60) as http:
        return await asyncio.gather(*(http.post(path, json=body) for body in bodies))


def require_mqtt() -> str:
    """Return the test broker URL, or skip/fail when it is not reachable."""
    from gelsencloud.core.mqtt import MqttError, ping

    try:
        ping(MQTT_URL, timeout=3)
    except MqttError as exc:
        unavailable("MQTT broker at " + MQTT_URL, str(exc))
    return MQTT_URL


@contextlib.contextmanager
def serve(app, timeout: float = 20):
    """Serve an app with uvicorn on a free localhost port (for independent HTTP clients); yield its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]


@contextlib.contextmanager
def launched_chromium(args: list[str] | None = None):
    """Debian's Chromium, headless, driven by Playwright; skip locally / fail in CI when it is missing."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright", "the Python package is missing")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args or CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
