"""Decoder registry, result shape and byte helpers shared by all payload decoders.

Every decoder returns ``{quantity: {"value": ..., "unit": UCUM code}}``. Units are UCUM case-sensitive codes
(``Cel``, ``%``, ``hPa``, ``ug/m3``, ``mm``, ``V``, ``W``, ``W.h``, ``L``, ``[ppm]``);
booleans use ``{bool}``, counts ``{count}``, other dimensionless values ``1``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DecodeError",
    "EncodeError",
    "Decoder",
    "Reading",
    "register",
    "get",
    "names",
    "decode",
    "encode",
    "q",
    "value_of",
    "require_length",
    "check_fport",
]

Reading = dict[str, dict[str, Any]]


class DecodeError(ValueError):
    """Raised when a payload cannot be decoded."""


class EncodeError(ValueError):
    """Raised when values cannot be encoded into a payload."""


@dataclass(frozen=True)
class Decoder:
    """A named payload codec."""

    name: str
    description: str
    decode: Callable[[int, bytes], Reading]
    encode: Callable[[Mapping[str, Any]], bytes]
    default_fport: int = 1


_REGISTRY: dict[str, Decoder] = {}


def register(decoder: Decoder) -> Decoder:
    """Add a decoder to the registry; names must be unique."""
    if decoder.name in _REGISTRY:
        raise ValueError(f"decoder {decoder.name!r} already registered")
    _REGISTRY[decoder.name] = decoder
    return decoder


def get(name: str) -> Decoder:
    """Look up a decoder by name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DecodeError(f"unknown decoder {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def names() -> list[str]:
    """Return the registered decoder names, sorted."""
    return sorted(_REGISTRY)


def decode(name: str, fport: int, payload: bytes) -> Reading:
    """Decode a payload with the named decoder."""
    return get(name).decode(fport, bytes(payload))


def encode(name: str, values: Mapping[str, Any]) -> bytes:
    """Encode values (plain numbers or decode()-shaped dicts) with the named decoder."""
    try:
        decoder = _REGISTRY[name]
    except KeyError:
        raise EncodeError(f"unknown decoder {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
    return decoder.encode(values)


def q(value: Any, unit: str) -> dict[str, Any]:
    """Build one quantity entry."""
    return {"value": value, "unit": unit}


_MISSING = object()


def value_of(values: Mapping[str, Any], key: str, default: Any = _MISSING) -> Any:
    """Read a value given plainly or as {"value": ...}; raise EncodeError if required and missing."""
    raw = values.get(key, _MISSING)
    if isinstance(raw, Mapping):
        raw = raw.get("value", _MISSING)
    if raw is _MISSING or raw is None:
        if default is _MISSING:
            raise EncodeError(f"missing value for {key!r}")
        return default
    return raw


def require_length(name: str, payload: bytes, expected: int) -> None:
    """Raise DecodeError unless the payload has exactly the expected length."""
    if len(payload) < expected:
        raise DecodeError(f"{name}: payload too short: expected {expected} bytes, got {len(payload)}")
    if len(payload) > expected:
        raise DecodeError(f"{name}: payload too long: expected {expected} bytes, got {len(payload)}")


def check_fport(name: str, fport: int, allowed: tuple[int, ...] | None) -> None:
    """Reject MAC-only port 0 and ports the device never uses for data."""
    if fport == 0:
        raise DecodeError(f"{name}: FPort 0 carries MAC commands, not application data")
    if allowed is not None and fport not in allowed:
        expected = ", ".join(str(p) for p in allowed)
        raise DecodeError(f"{name}: unsupported FPort {fport} (expected {expected})")


def to_int(key: str, value: Any, scale: float, lo: int, hi: int) -> int:
    """Scale a physical value to a raw integer and range-check it for its field width."""
    try:
        raw = round(float(value) * scale)
    except (TypeError, ValueError):
        raise EncodeError(f"{key}: expected a number, got {value!r}") from None
    if not lo <= raw <= hi:
        raise EncodeError(f"{key}: value {value!r} out of range [{lo / scale}, {hi / scale}]")
    return raw
