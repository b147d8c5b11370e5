"""MQTT topic parsing and formatting for ChirpStack v4 and The Things Stack v3."""

from __future__ import annotations

from dataclasses import dataclass

from .model import UplinkFormatError, normalise_eui

__all__ = [
    "ChirpStackTopic",
    "TTSTopic",
    "parse_chirpstack_topic",
    "parse_tts_topic",
    "chirpstack_topic",
    "tts_topic",
]


@dataclass(frozen=True)
class ChirpStackTopic:
    """Parts of `application/{application_id}/device/{dev_eui}/event/{event}`."""

    application_id: str  # a UUID, not the JoinEUI
    dev_eui: str
    event: str


@dataclass(frozen=True)
class TTSTopic:
    """Parts of `v3/{application_id}[@{tenant}]/devices/{device_id}/{event}`."""

    application_id: str
    tenant: str | None
    device_id: str
    event: str  # "up", "join", "down/queued", "service/data", ...


def parse_chirpstack_topic(topic: str) -> ChirpStackTopic:
    """Parse a ChirpStack v4 event topic."""
    parts = topic.split("/")
    if len(parts) != 6 or parts[0] != "application" or parts[2] != "device" or parts[4] != "event":
        raise UplinkFormatError(
            "topic: expected application/{application_id}/device/{dev_eui}/event/{event}, "
            f"got {topic!r}"
        )
    if not parts[1] or not parts[5]:
        raise UplinkFormatError(f"topic: empty application id or event in {topic!r}")
    return ChirpStackTopic(parts[1], normalise_eui(parts[3], "topic dev_eui"), parts[5])


def parse_tts_topic(topic: str) -> TTSTopic:
    """Parse a TTS v3 device topic (Open Source form without `@tenant` included)."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "v3" or parts[2] != "devices":
        raise UplinkFormatError(
            f"topic: expected v3/{{application_id}}@{{tenant}}/devices/{{device_id}}/{{event}}, got {topic!r}"
        )
    app, _, tenant = parts[1].partition("@")
    if not app or not parts[3]:
        raise UplinkFormatError(f"topic: empty application or device id in {topic!r}")
    return TTSTopic(app, tenant or None, parts[3], "/".join(parts[4:]))


def chirpstack_topic(application_id: str, dev_eui: str, event: str = "up") -> str:
    """Format a ChirpStack v4 event topic."""
    return f"application/{application_id}/device/{normalise_eui(dev_eui, 'dev_eui')}/event/{event}"


def tts_topic(application_id: str, device_id: str, event: str = "up", tenant: str | None = None) -> str:
    """Format a TTS v3 device topic."""
    app = f"{application_id}@{tenant}" if tenant else application_id
    return f"v3/{app}/devices/{device_id}/{event}"
