"""The platform's MQTT connection against the real broker."""

from __future__ import annotations

import threading
import uuid

import pytest

from gelsencloud.core.mqtt import MqttBus, MqttError, parse_url
from helpers import require_mqtt

pytestmark = pytest.mark.mqtt


def test_publish_subscribe_and_retained_messages():
    url = require_mqtt()
    topic = f"gelsencloud/test/{uuid.uuid4().hex}"
    received: list[tuple[str, bytes]] = []
    got = threading.Event()

    def handler(t: str, payload: bytes) -> None:
        received.append((t, payload))
        got.set()

    publisher = MqttBus(url, client_id=f"gc-bus-pub-{uuid.uuid4().hex[:8]}")
    publisher.connect()
    publisher.publish(topic + "/latest", b"42.5", retain=True)
    subscriber = MqttBus(url, client_id=f"gc-bus-sub-{uuid.uuid4().hex[:8]}")
    subscriber.subscribe(topic + "/#", handler)
    subscriber.connect()
    try:
        assert got.wait(10), "retained message not delivered"
        assert received[0] == (topic + "/latest", b"42.5")
    finally:
        publisher.publish(topic + "/latest", b"", retain=True)  # clear the retained message
        publisher.close()
        subscriber.close()


def test_unreachable_broker_is_a_clear_error():
    with pytest.raises(MqttError, match="cannot reach MQTT broker 127.0.0.1:1"):
        MqttBus("mqtt://127.0.0.1:1").connect(timeout=2)
    with pytest.raises(MqttError, match="must start with mqtt://"):
        parse_url("http://broker")
    assert parse_url("mqtts://u:p@broker") == ("broker", 8883, True, "u", "p")
