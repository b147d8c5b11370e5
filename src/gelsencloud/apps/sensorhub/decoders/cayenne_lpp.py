"""Cayenne Low Power Payload (LPP): channel | type | big-endian data, repeated.

Quantity keys are ``{type}_{channel}`` (``temperature_3``); multi-value types add the component
(``accelerometer_6_x``, ``gps_1_latitude``, ``colour_2_r``). Types per the myDevices Cayenne docs and
the ElectronicCats/CayenneLPP extension (generic, frequency, distance, energy, direction, unix time,
colour, switch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import DecodeError, Decoder, EncodeError, Reading, check_fport, q, register, to_int

__all__ = ["LPP_TYPES", "decode_lpp", "encode_lpp"]


@dataclass(frozen=True)
class LppType:
    """One LPP data type: components share size, signedness and resolution."""

    code: int
    name: str
    size: int  # bytes per component
    signed: bool
    resolution: float  # physical value per raw step
    unit: str
    components: tuple[str, ...] = ()  # empty: one scalar value

    @property
    def length(self) -> int:
        """Total data length in bytes."""
        return self.size * max(1, len(self.components))


_TYPES = [
    LppType(0, "digital_input", 1, False, 1, "1"),
    LppType(1, "digital_output", 1, False, 1, "1"),
    LppType(2, "analog_input", 2, True, 0.01, "1"),
    LppType(3, "analog_output", 2, True, 0.01, "1"),
    LppType(100, "generic", 4, False, 1, "1"),
    LppType(101, "illuminance", 2, False, 1, "lx"),
    LppType(102, "presence", 1, False, 1, "1"),
    LppType(103, "temperature", 2, True, 0.1, "Cel"),
    LppType(104, "humidity", 1, False, 0.5, "%"),
    LppType(113, "accelerometer", 2, True, 0.001, "[g]", ("x", "y", "z")),
    LppType(115, "barometer", 2, False, 0.1, "hPa"),
    LppType(116, "voltage", 2, False, 0.01, "V"),
    LppType(117, "current", 2, False, 0.001, "A"),
    LppType(118, "frequency", 4, False, 1, "Hz"),
    LppType(120, "percentage", 1, False, 1, "%"),
    LppType(121, "altitude", 2, True, 1, "m"),
    LppType(125, "concentration", 2, False, 1, "[ppm]"),
    LppType(128, "power", 2, False, 1, "W"),
    LppType(130, "distance", 4, False, 0.001, "m"),
    LppType(131, "energy", 4, False, 0.001, "kW.h"),
    LppType(132, "direction", 2, False, 1, "deg"),
    LppType(133, "unixtime", 4, False, 1, "s"),
    LppType(134, "gyrometer", 2, True, 0.01, "deg/s", ("x", "y", "z")),
    LppType(135, "colour", 1, False, 1, "1", ("r", "g", "b")),
    LppType(142, "switch", 1, False, 1, "1"),
]
# GPS mixes resolutions per component, so it is handled separately
_GPS_CODE, _GPS_NAME, _GPS_LEN = 136, "gps", 9
_GPS_PARTS = (("latitude", 0.0001, "deg"), ("longitude", 0.0001, "deg"), ("altitude", 0.01, "m"))

LPP_TYPES: dict[int, LppType] = {t.code: t for t in _TYPES}
_BY_NAME: dict[str, LppType] = {t.name: t for t in _TYPES}
_KEY_RE = re.compile(r"^(?P<type>[a-z_]+?)_(?P<channel>\d+)(?:_(?P<part>[a-z]+))?$")


def _number(raw: int, resolution: float) -> int | float:
    if resolution == 1:
        return raw
    digits = max(0, len(f"{resolution:.10f}".rstrip("0").split(".")[1]))
    return round(raw * resolution, digits)


def decode_lpp(payload: bytes) -> Reading:
    """Decode a Cayenne LPP byte string."""
    out: Reading = {}
    i = 0
    while i < len(payload):
        if i + 2 > len(payload):
            raise DecodeError(f"cayenne-lpp: truncated header at byte {i}")
        channel, code = payload[i], payload[i + 1]
        i += 2
        if code == _GPS_CODE:
            if i + _GPS_LEN > len(payload):
                raise DecodeError(
                    f"cayenne-lpp: payload too short for gps on channel {channel}: "
                    f"expected {_GPS_LEN} bytes, got {len(payload) - i}"
                )
            for j, (part, res, unit) in enumerate(_GPS_PARTS):
                raw = int.from_bytes(payload[i + 3 * j : i + 3 * j + 3], "big", signed=True)
                out[f"{_GPS_NAME}_{channel}_{part}"] = q(_number(raw, res), unit)
            i += _GPS_LEN
            continue
        lpp = LPP_TYPES.get(code)
        if lpp is None:
            raise DecodeError(
                f"cayenne-lpp: unknown type {code} (0x{code:02x}) on channel {channel} at byte {i - 1}"
            )
        if i + lpp.length > len(payload):
            raise DecodeError(
                f"cayenne-lpp: payload too short for {lpp.name} on channel {channel}: expected {lpp.length} "
                f"bytes, got {len(payload) - i}"
            )
        for j, part in enumerate(lpp.components or ("",)):
            raw = int.from_bytes(payload[i + j * lpp.size : i + (j + 1) * lpp.size], "big", signed=lpp.signed)
            key = f"{lpp.name}_{channel}" + (f"_{part}" if part else "")
            out[key] = q(_number(raw, lpp.resolution), lpp.unit)
        i += lpp.length
    return out


def _raw(key: str, value: Any, size: int, signed: bool, resolution: float) -> bytes:
    bits = 8 * size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return to_int(key, value, 1 / resolution, lo, hi).to_bytes(size, "big", signed=signed)


def encode_lpp(values: Mapping[str, Any]) -> bytes:
    """Encode decode_lpp()-shaped values (or plain numbers under the same keys) in key order of appearance."""
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in values.items():
        match = _KEY_RE.match(key)
        if not match:
            raise EncodeError(f"cayenne-lpp: key {key!r} is not '<type>_<channel>[_<component>]'")
        if isinstance(value, Mapping):
            value = value.get("value")
        channel = int(match["channel"])
        if channel > 255:
            raise EncodeError(f"cayenne-lpp: channel {channel} out of range 0..255")
        groups.setdefault((match["type"], channel), {})[match["part"] or ""] = value
    out = bytearray()
    for (type_name, channel), parts in groups.items():
        if type_name == _GPS_NAME:
            out += bytes([channel, _GPS_CODE])
            for part, res, _unit in _GPS_PARTS:
                if part not in parts:
                    raise EncodeError(f"cayenne-lpp: gps_{channel} needs {part}")
                out += _raw(f"gps_{channel}_{part}", parts[part], 3, True, res)
            continue
        lpp = _BY_NAME.get(type_name)
        if lpp is None:
            raise EncodeError(f"cayenne-lpp: unknown type name {type_name!r}")
        out += bytes([channel, lpp.code])
        for part in lpp.components or ("",):
            if part not in parts:
                raise EncodeError(f"cayenne-lpp: {type_name}_{channel} needs component {part or 'value'!r}")
            out += _raw(f"{type_name}_{channel}", parts[part], lpp.size, lpp.signed, lpp.resolution)
    return bytes(out)


def _decode(fport: int, payload: bytes) -> Reading:
    check_fport("cayenne-lpp", fport, None)
    return decode_lpp(payload)


DECODER = register(
    Decoder(
        name="cayenne-lpp",
        description="Cayenne Low Power Payload (any device using the LPP format)",
        decode=_decode,
        encode=encode_lpp,
        default_fport=1,
    )
)
