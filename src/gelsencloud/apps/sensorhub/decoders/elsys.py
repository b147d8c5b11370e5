"""Elsys ERS/ELT sensors: type-length-value payload (type byte, then fixed-size big-endian data).

Type table per the Elsys generic payload decoder ("ELSYS LoRa payload" document). Types whose layout is not
fixed-scalar here (GPS 0x09, Grid-EYE 0x13, debug 0x3D, settings 0x3E) are rejected rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import DecodeError, Decoder, EncodeError, Reading, check_fport, q, register, to_int

__all__ = ["ELSYS_TYPES", "decode_elsys", "encode_elsys"]


@dataclass(frozen=True)
class ElsysType:
    """One Elsys data type; multi-part types list their part keys."""

    code: int
    keys: tuple[str, ...]
    size: int  # bytes per part
    signed: bool
    scale: float  # raw steps per unit
    unit: str


_TYPES = [
    ElsysType(0x01, ("temperature",), 2, True, 10, "Cel"),
    ElsysType(0x02, ("humidity",), 1, False, 1, "%"),
    ElsysType(0x03, ("acc_x", "acc_y", "acc_z"), 1, True, 63, "[g]"),  # +/-63 raw = 1 g
    ElsysType(0x04, ("light",), 2, False, 1, "lx"),
    ElsysType(0x05, ("motion",), 1, False, 1, "{count}"),
    ElsysType(0x06, ("co2",), 2, False, 1, "[ppm]"),
    ElsysType(0x07, ("vdd",), 2, False, 1, "mV"),
    ElsysType(0x08, ("analog1",), 2, False, 1, "mV"),
    ElsysType(0x0A, ("pulse1",), 2, False, 1, "{count}"),
    ElsysType(0x0B, ("pulse1_abs",), 4, False, 1, "{count}"),
    ElsysType(0x0C, ("external_temperature",), 2, True, 10, "Cel"),
    ElsysType(0x0D, ("digital",), 1, False, 1, "1"),
    ElsysType(0x0E, ("distance",), 2, False, 1, "mm"),
    ElsysType(0x0F, ("acc_motion",), 1, False, 1, "{count}"),
    ElsysType(0x10, ("ir_internal_temperature", "ir_external_temperature"), 2, True, 10, "Cel"),
    ElsysType(0x11, ("occupancy",), 1, False, 1, "1"),  # 0 free, 1 pending, 2 occupied
    ElsysType(0x12, ("waterleak",), 1, False, 1, "1"),
    ElsysType(0x14, ("pressure",), 4, False, 1000, "hPa"),
    ElsysType(0x15, ("sound_peak", "sound_avg"), 1, False, 1, "dB"),
    ElsysType(0x16, ("pulse2",), 2, False, 1, "{count}"),
    ElsysType(0x17, ("pulse2_abs",), 4, False, 1, "{count}"),
    ElsysType(0x18, ("analog2",), 2, False, 1, "mV"),
    ElsysType(0x19, ("external_temperature2",), 2, True, 10, "Cel"),
    ElsysType(0x1A, ("digital2",), 1, False, 1, "1"),
    ElsysType(0x1B, ("analog_uv",), 4, True, 1, "uV"),
    ElsysType(0x1C, ("tvoc",), 2, False, 1, "[ppb]"),
]
ELSYS_TYPES: dict[int, ElsysType] = {t.code: t for t in _TYPES}


def decode_elsys(payload: bytes) -> Reading:
    """Decode an Elsys TLV payload."""
    out: Reading = {}
    i = 0
    while i < len(payload):
        code = payload[i]
        etype = ELSYS_TYPES.get(code)
        if etype is None:
            raise DecodeError(f"elsys: unsupported type 0x{code:02x} at byte {i}")
        need = etype.size * len(etype.keys)
        if i + 1 + need > len(payload):
            raise DecodeError(
                f"elsys: payload too short for {etype.keys[0]} at byte {i}: expected {need} bytes, "
                f"got {len(payload) - i - 1}"
            )
        for j, key in enumerate(etype.keys):
            start = i + 1 + j * etype.size
            raw = int.from_bytes(payload[start : start + etype.size], "big", signed=etype.signed)
            value = raw if etype.scale == 1 else round(raw / etype.scale, 3)
            out[key] = q(value, etype.unit)
        i += 1 + need
    return out


_BY_KEY = {key: t for t in _TYPES for key in t.keys}


def encode_elsys(values: Mapping[str, Any]) -> bytes:
    """Encode values (keys as decode_elsys returns them); types follow the order of first appearance."""
    ordered: list[ElsysType] = []
    for key in values:
        if key not in _BY_KEY:
            raise EncodeError(f"elsys: unknown quantity {key!r}")
        if _BY_KEY[key] not in ordered:
            ordered.append(_BY_KEY[key])
    out = bytearray()
    for etype in ordered:
        if any(k not in values for k in etype.keys):
            raise EncodeError(f"elsys: type 0x{etype.code:02x} needs all of {etype.keys}")
        out.append(etype.code)
        bits = 8 * etype.size
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if etype.signed else (0, (1 << bits) - 1)
        for key in etype.keys:
            raw_value = values[key]["value"] if isinstance(values[key], Mapping) else values[key]
            raw = to_int(f"elsys: {key}", raw_value, etype.scale, lo, hi)
            out += raw.to_bytes(etype.size, "big", signed=etype.signed)
    return bytes(out)


def _decode(fport: int, payload: bytes) -> Reading:
    check_fport("elsys", fport, None)
    return decode_elsys(payload)


DECODER = register(
    Decoder("elsys", "Elsys ERS/ELT/EMS sensors (TLV payload)", _decode, encode_elsys, default_fport=5)
)
