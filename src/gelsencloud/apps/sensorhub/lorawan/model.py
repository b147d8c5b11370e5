"""Normalised LoRaWAN event model shared by all network-server parsers, plus field helpers."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "UplinkFormatError",
    "Location",
    "GatewayReception",
    "Uplink",
    "JoinEvent",
    "StatusEvent",
    "parse_timestamp",
    "format_timestamp",
    "decode_payload_field",
    "normalise_eui",
    "normalise_coding_rate",
]


class UplinkFormatError(ValueError):
    """Raised when a network-server message lacks a field or has an invalid one."""


@dataclass(frozen=True)
class Location:
    """WGS84 position of a gateway or device."""

    latitude: float
    longitude: float
    altitude: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class GatewayReception:
    """One gateway's reception of an uplink."""

    gateway_id: str
    rssi: float | None = None
    snr: float | None = None
    gateway_eui: str | None = None
    location: Location | None = None
    received_at: datetime | None = None
    channel: int | None = None


@dataclass(frozen=True)
class Uplink:
    """A device uplink, independent of the network server that delivered it."""

    dev_eui: str  # 16 lower-case hex characters
    received_at: datetime  # aware, UTC
    network_server: str  # "chirpstack" or "tts"
    f_port: int | None = None  # None only for frames without FPort (empty uplinks)
    f_cnt: int = 0
    payload: bytes = b""
    decoded: dict[str, Any] | None = None  # set only when the network server ran a codec
    dev_addr: str | None = None  # 8 lower-case hex characters
    join_eui: str | None = None
    application_id: str | None = None
    application_name: str | None = None
    device_name: str | None = None
    tenant: str | None = None  # ChirpStack tenantId / TTS tenant id, a hint for multi-tenant routing
    gateways: tuple[GatewayReception, ...] = ()
    data_rate: int | None = None
    spreading_factor: int | None = None
    bandwidth: int | None = None  # Hz
    coding_rate: str | None = None  # normalised "4/5"
    frequency: int | None = None  # Hz
    confirmed: bool = False
    adr: bool = False
    device_location: Location | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    event_id: str | None = None  # ChirpStack deduplicationId / TTS "as:up:" correlation id
    simulated: bool = False

    @property
    def best_rssi(self) -> float | None:
        """Highest RSSI over all gateway receptions."""
        values = [g.rssi for g in self.gateways if g.rssi is not None]
        return max(values) if values else None

    @property
    def best_snr(self) -> float | None:
        """Highest SNR over all gateway receptions."""
        values = [g.snr for g in self.gateways if g.snr is not None]
        return max(values) if values else None

    @property
    def best_gateway(self) -> GatewayReception | None:
        """Gateway reception with the highest RSSI (ties broken by SNR)."""
        candidates = [g for g in self.gateways if g.rssi is not None]
        if not candidates:
            return self.gateways[0] if self.gateways else None
        return max(candidates, key=lambda g: (g.rssi, g.snr if g.snr is not None else float("-inf")))


@dataclass(frozen=True)
class JoinEvent:
    """A device (re)joined the network (OTAA)."""

    dev_eui: str
    received_at: datetime
    network_server: str
    dev_addr: str | None = None
    application_id: str | None = None
    application_name: str | None = None
    device_name: str | None = None
    tenant: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class StatusEvent:
    """Device status answer (DevStatusAns): link margin and battery."""

    dev_eui: str
    received_at: datetime
    network_server: str
    margin: int | None = None  # dB
    battery_level: float | None = None  # percent
    battery_level_unavailable: bool = False
    external_power_source: bool = False
    application_id: str | None = None
    device_name: str | None = None
    tenant: str | None = None
    event_id: str | None = None


_TS_RE = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(value: Any, field_name: str) -> datetime:
    """Parse RFC 3339 with any number of fractional digits and 'Z' or an offset into aware UTC."""
    if not isinstance(value, str):
        raise UplinkFormatError(f"{field_name}: expected an RFC 3339 timestamp string, got {value!r}")
    match = _TS_RE.match(value.strip())
    if not match:
        raise UplinkFormatError(f"{field_name}: invalid timestamp {value!r}")
    # datetime holds microseconds; network servers send nanoseconds, so truncate the fraction
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    tz = match["tz"] or "+00:00"  # both stacks always send UTC; a missing offset is read as UTC
    if tz in ("Z", "z"):
        tz = "+00:00"
    try:
        parsed = datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{frac}{tz}")
    except ValueError as exc:
        raise UplinkFormatError(f"{field_name}: invalid timestamp {value!r}: {exc}") from None
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime, zulu: bool = False) -> str:
    """Format like the network servers: nanosecond precision, '+00:00' (ChirpStack) or 'Z' (TTS)."""
    utc = value.astimezone(UTC)
    text = f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}000"
    return text + ("Z" if zulu else "+00:00")


_HEX_RE = re.compile(r"^(?:0x)?([0-9a-fA-F]*)$")
_B64_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def decode_payload_field(value: Any, field_name: str) -> bytes:
    """Decode a payload string: base64 as specified; hex only when it cannot be base64."""
    if value is None:
        return b""
    if not isinstance(value, str):
        raise UplinkFormatError(f"{field_name}: expected a base64 string, got {type(value).__name__}")
    text = value.strip()
    # Ambiguous strings such as "00AA" are valid base64 and hex; the formats specify base64, so base64 wins.
    if text.startswith("0x") or (len(text) % 4 != 0 and _HEX_RE.match(text) and len(text) % 2 == 0):
        hex_match = _HEX_RE.match(text)
        if hex_match:
            return bytes.fromhex(hex_match.group(1))
    if _B64_RE.match(text) and len(text) % 4 == 0:
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            pass
    try:
        # some bridges send URL-safe base64 or drop the padding
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise UplinkFormatError(f"{field_name}: neither base64 nor hex: {value!r}") from None


def normalise_eui(value: Any, field_name: str, length: int = 16) -> str:
    """Return an EUI/DevAddr as lower-case hex without separators; reject wrong lengths."""
    if not isinstance(value, str) or not value:
        raise UplinkFormatError(f"{field_name}: missing or not a string")
    text = value.strip().lower().replace("-", "").replace(":", "")
    text = text.removeprefix("0x")
    if len(text) != length or any(c not in "0123456789abcdef" for c in text):
        raise UplinkFormatError(f"{field_name}: expected {length} hex characters, got {value!r}")
    return text


def normalise_coding_rate(value: Any) -> str | None:
    """Map ChirpStack "CR_4_5" and TTS "4/5" to "4/5"."""
    if not value:
        return None
    text = str(value).upper().removeprefix("CR_").replace("_", "/")
    return text if re.fullmatch(r"\d+/\d+(LI)?", text) else str(value)


def opt_int(body: Mapping[str, Any], key: str, path: str) -> int | None:
    """Read an optional integer that may arrive as JSON number or numeric string (proto int64)."""
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UplinkFormatError(f"{path}.{key}: expected an integer, got {value!r}") from None


def opt_float(body: Mapping[str, Any], key: str, path: str) -> float | None:
    """Read an optional number."""
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UplinkFormatError(f"{path}.{key}: expected a number, got {value!r}") from None


def opt_mapping(body: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """Read an optional JSON object; missing means empty."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UplinkFormatError(f"{path}.{key}: expected an object, got {type(value).__name__}")
    return value


def opt_location(body: Mapping[str, Any], path: str) -> Location | None:
    """Read a {latitude, longitude, altitude, source} object if it has coordinates."""
    if not body or body.get("latitude") is None or body.get("longitude") is None:
        return None
    source = body.get("source")
    return Location(
        latitude=float(body["latitude"]),
        longitude=float(body["longitude"]),
        altitude=opt_float(body, "altitude", path),
        source=str(source) if source else None,
    )


def require_mapping(body: Any, path: str) -> Mapping[str, Any]:
    """Ensure a message (part) is a JSON object."""
    if not isinstance(body, Mapping):
        raise UplinkFormatError(f"{path}: expected a JSON object, got {type(body).__name__}")
    return body
