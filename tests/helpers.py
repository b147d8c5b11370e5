"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import os

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


def require_mqtt() -> str:
    """Return the test broker URL, or skip/fail when it is not reachable."""
    from gelsencloud.core.mqtt import MqttError, ping

    try:
        ping(MQTT_URL, timeout=3)
    except MqttError as exc:
        unavailable("MQTT broker at " + MQTT_URL, str(exc))
    return MQTT_URL
