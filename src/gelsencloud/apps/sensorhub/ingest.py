"""Network-server messages in: ChirpStack v4 and The Things Stack v3, over HTTP webhooks and MQTT."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from gelsencloud.apps.sensorhub import service
from gelsencloud.apps.sensorhub.lorawan.uplinks import (
    JoinEvent,
    StatusEvent,
    UplinkFormatError,
    parse_chirpstack_topic,
    parse_chirpstack_v4,
    parse_tts_topic,
    parse_tts_v3,
)
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.core.principal import Principal

LOGGER = logging.getLogger(__name__)
CHIRPSTACK_TOPIC = "application/+/device/+/event/+"
TTS_TOPIC = "v3/+/devices/+/up"
# The broker is trusted infrastructure (its ACLs decide who may publish); messages act as the platform.
MQTT_PRINCIPAL = Principal(kind="system", name="mqtt-ingest")


def handle_chirpstack(session: Session, event: str, body: dict[str, Any]) -> service.IngestResult:
    """Handle one ChirpStack v4 event (``up``, ``join`` or ``status``)."""
    return handle_message(session, parse_chirpstack_v4(event, body), body)


def handle_message(
    session: Session, message: UplinkMessage | JoinEvent | StatusEvent, body: dict[str, Any]
) -> service.IngestResult:
    """Handle a parsed network-server message: uplinks become data, status events update the device."""
    if isinstance(message, StatusEvent):
        device = service.find_device(session, message.dev_eui)
        if device is None:
            return service.IngestResult("unknown_device", message=f"no device {message.dev_eui}")
        if message.battery_level is not None:
            device.battery = message.battery_level
        return service.IngestResult("processed", message="status recorded")
    if isinstance(message, JoinEvent):
        return service.IngestResult("ignored", message="join events need no action")
    return service.ingest_uplink(session, message, body)


def handle_tts(session: Session, body: dict[str, Any], tenant: str | None = None) -> service.IngestResult:
    """Handle one TTS v3 webhook/MQTT message; only uplink messages carry data."""
    message = parse_tts(body, tenant)
    if message is None:
        return service.IngestResult("ignored", message="not an uplink message")
    return service.ingest_uplink(session, message, body)


def parse_tts(body: dict[str, Any], tenant: str | None = None) -> UplinkMessage | None:
    """Parse a TTS v3 message; None for message types that carry no data (join, downlink events)."""
    if "uplink_message" not in body:
        return None
    return parse_tts_v3(body, tenant=tenant)


def handle_mqtt(topic: str, payload: bytes, db) -> None:
    """Ingest a message from the shared broker; malformed ones are logged, never fatal."""
    try:
        body = json.loads(payload)
        with db.transaction(MQTT_PRINCIPAL) as session:
            if topic.startswith("application/"):
                parsed = parse_chirpstack_topic(topic)
                result = handle_chirpstack(session, parsed.event, body)
            else:
                parsed = parse_tts_topic(topic)
                result = handle_tts(session, body, parsed.tenant)
        LOGGER.info("mqtt %s: %s %s", topic, result.status, result.message)
    except (UplinkFormatError, ValueError) as exc:
        LOGGER.warning("mqtt %s: message refused: %s", topic, exc)
