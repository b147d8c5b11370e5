"""Payload decoder registry: `decode(name, fport, payload)` and `encode(name, values)`.

Results have the shape ``{quantity: {"value": number | bool, "unit": UCUM code}}``.
Registered: cayenne-lpp, elsys, dragino-ldds75 and the gelsencloud-* formats
(airq, fill, parking, water, power, people); see each module's docstring for the byte layout.
"""

from __future__ import annotations

from . import cayenne_lpp, dragino, elsys, gelsencloud_formats  # noqa: F401  (import registers the decoders)
from .base import DecodeError, Decoder, EncodeError, Reading, decode, encode, get, names

__all__ = [
    "Decoder",
    "DecodeError",
    "EncodeError",
    "Reading",
    "decode",
    "encode",
    "get",
    "names",
    "default_fport",
]


def default_fport(name: str) -> int:
    """FPort a device using this decoder normally sends data on."""
    return get(name).default_fport
