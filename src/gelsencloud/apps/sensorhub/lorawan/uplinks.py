"""Public uplink API: the normalised model plus ChirpStack v4 / TTS v3 parsers, builders and topics."""

from __future__ import annotations

from .chirpstack import chirpstack_v4_body, load_chirpstack_body, parse_chirpstack_v4
from .model import (
    GatewayReception,
    JoinEvent,
    Location,
    StatusEvent,
    Uplink,
    UplinkFormatError,
    decode_payload_field,
    format_timestamp,
    parse_timestamp,
)
from .topics import (
    ChirpStackTopic,
    TTSTopic,
    chirpstack_topic,
    parse_chirpstack_topic,
    parse_tts_topic,
    tts_topic,
)
from .tts import parse_tts_v3, tts_v3_body

__all__ = [
    "ChirpStackTopic",
    "GatewayReception",
    "JoinEvent",
    "Location",
    "StatusEvent",
    "TTSTopic",
    "Uplink",
    "UplinkFormatError",
    "chirpstack_topic",
    "chirpstack_v4_body",
    "decode_payload_field",
    "format_timestamp",
    "load_chirpstack_body",
    "parse_chirpstack_topic",
    "parse_chirpstack_v4",
    "parse_timestamp",
    "parse_tts_topic",
    "parse_tts_v3",
    "tts_topic",
    "tts_v3_body",
]
