"""Dragino LDDS75 ultrasonic distance sensor, periodic uplink on FPort 2 (8 bytes, big-endian).

Layout per the LDDS75 user manual / Dragino TTN decoder:
  bytes 0-1  battery: lower 14 bits in mV
  bytes 2-3  distance in mm (0 = no ultrasonic sensor detected)
  byte  4    interrupt flag (1 = uplink triggered by the interrupt pin)
  bytes 5-6  DS18B20 temperature, signed, 0.1 Cel (only meaningful with the optional probe)
  byte  7    sensor flag (1 = ultrasonic sensor connected)
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from .base import Decoder, Reading, check_fport, q, register, require_length, to_int, value_of

__all__ = ["decode_ldds75", "encode_ldds75"]

_NAME = "dragino-ldds75"
_STRUCT = struct.Struct(">HHBhB")


def decode_ldds75(fport: int, payload: bytes) -> Reading:
    """Decode an LDDS75 uplink."""
    check_fport(_NAME, fport, (2,))
    require_length(_NAME, payload, _STRUCT.size)
    bat, distance, interrupt, temp, sensor = _STRUCT.unpack(payload)
    out: Reading = {
        "battery_voltage": q((bat & 0x3FFF) / 1000, "V"),
        "sensor_connected": q(bool(sensor), "{bool}"),
        "interrupt": q(bool(interrupt), "{bool}"),
    }
    # 0 mm means no ultrasonic sensor answered; reporting it as a distance would fake a full container
    if distance:
        out["distance"] = q(distance, "mm")
    out["temperature"] = q(temp / 10, "Cel")
    return out


def encode_ldds75(values: Mapping[str, Any]) -> bytes:
    """Encode an LDDS75 uplink (for simulations)."""
    return _STRUCT.pack(
        to_int(f"{_NAME}: battery_voltage", value_of(values, "battery_voltage"), 1000, 0, 0x3FFF),
        to_int(f"{_NAME}: distance", value_of(values, "distance", 0), 1, 0, 0xFFFF),
        1 if value_of(values, "interrupt", False) else 0,
        to_int(f"{_NAME}: temperature", value_of(values, "temperature", 0), 10, -0x8000, 0x7FFF),
        1 if value_of(values, "sensor_connected", True) else 0,
    )


DECODER = register(
    Decoder(_NAME, "Dragino LDDS75 ultrasonic distance sensor", decode_ldds75, encode_ldds75, default_fport=2)
)
