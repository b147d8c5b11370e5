"""MQTT connection to the platform's broker (paho-mqtt), shared by ingestion and the APIs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlparse

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

LOGGER = logging.getLogger(__name__)
MessageHandler = Callable[[str, bytes], None]


class MqttError(RuntimeError):
    """Raised when the broker cannot be reached or refuses an operation."""


def parse_url(url: str) -> tuple[str, int, bool, str | None, str | None]:
    """Split mqtt[s]://user:password@host:port into its parts."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts"):
        raise MqttError(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
    tls = parsed.scheme == "mqtts"
    return (
        parsed.hostname or "127.0.0.1",
        parsed.port or (8883 if tls else 1883),
        tls,
        parsed.username,
        parsed.password,
    )


class MqttBus:
    """One broker connection with topic subscriptions dispatched to handlers."""

    def __init__(self, url: str, client_id: str = "") -> None:
        host, port, tls, user, password = parse_url(url)
        self.host, self.port = host, port
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if user:
            self.client.username_pw_set(user, password)
        if tls:
            self.client.tls_set()
        self._handlers: dict[str, MessageHandler] = {}
        self._connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            LOGGER.error("MQTT broker refused connection: %s", reason_code)
            return
        # Re-subscribe after every reconnect: the broker forgets clean sessions.
        for topic in self._handlers:
            client.subscribe(topic, qos=1)
        self._connected.set()

    def _on_message(self, _client, _userdata, message) -> None:
        for pattern, handler in self._handlers.items():
            if paho.topic_matches_sub(pattern, message.topic):
                try:
                    handler(message.topic, message.payload)
                except Exception:  # one bad message must not kill the network loop
                    LOGGER.exception("MQTT handler for %s failed on %s", pattern, message.topic)

    def connect(self, timeout: float = 10.0) -> None:
        """Connect and start the network loop; raise MqttError if the broker is unreachable."""
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise MqttError(f"cannot reach MQTT broker {self.host}:{self.port}: {exc}") from None
        self.client.loop_start()
        if not self._connected.wait(timeout):
            self.client.loop_stop()
            raise MqttError(f"MQTT broker {self.host}:{self.port} did not accept the connection")

    def start(self) -> None:
        """Connect in the background and keep reconnecting (for long-running servers)."""
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Wait until the broker has accepted the connection."""
        return self._connected.wait(timeout)

    def subscribe(self, topic: str, handler: MessageHandler) -> None:
        """Call ``handler(topic, payload)`` for messages matching ``topic`` (wildcards allowed)."""
        self._handlers[topic] = handler
        if self._connected.is_set():
            result, _ = self.client.subscribe(topic, qos=1)
            if result != paho.MQTT_ERR_SUCCESS:
                raise MqttError(f"subscribe to {topic!r} failed: {paho.error_string(result)}")

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = False, qos: int = 1) -> None:
        """Publish and wait until the broker has the message."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(timeout=10)
        if not info.is_published():
            raise MqttError(f"publish to {topic!r} was not acknowledged")

    def close(self) -> None:
        """Disconnect and stop the network loop."""
        self.client.disconnect()
        self.client.loop_stop()


def ping(url: str, timeout: float = 3.0) -> None:
    """Raise MqttError unless the broker accepts a connection (used by /readyz)."""
    bus = MqttBus(url)
    bus.connect(timeout)
    bus.close()
