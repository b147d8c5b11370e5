"""Helper for fixed-layout binary formats: a version byte followed by big-endian fields."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import DecodeError, Decoder, EncodeError, Reading, check_fport, q, to_int, value_of

__all__ = ["Field", "Flags", "FixedFormat"]

_RANGES = {
    "B": (0, 0xFF),
    "b": (-0x80, 0x7F),
    "H": (0, 0xFFFF),
    "h": (-0x8000, 0x7FFF),
    "I": (0, 0xFFFFFFFF),
    "i": (-0x80000000, 0x7FFFFFFF),
}


@dataclass(frozen=True)
class Field:
    """A numeric field; `scale` raw steps per unit; the maximum raw value means "not measured" if optional."""

    key: str
    fmt: str  # struct code: B b H h I i
    unit: str
    scale: float = 1
    optional: bool = False

    @property
    def sentinel(self) -> int:
        """Raw value that marks a missing measurement."""
        return _RANGES[self.fmt][1]


@dataclass(frozen=True)
class Flags:
    """A one-byte bit field; each named bit becomes a boolean quantity."""

    bits: tuple[str, ...]  # bit 0 first
    fmt: str = "B"


@dataclass(frozen=True)
class FixedFormat:
    """A versioned fixed-length format."""

    name: str
    version: int
    fields: tuple[Field | Flags, ...]
    fports: tuple[int, ...] = (1,)

    @property
    def struct(self) -> struct.Struct:
        """Struct for version byte plus fields."""
        return struct.Struct(">B" + "".join(f.fmt for f in self.fields))

    def decode(self, fport: int, payload: bytes) -> Reading:
        """Decode one payload."""
        check_fport(self.name, fport, self.fports)
        st = self.struct
        if len(payload) != st.size:
            kind = "short" if len(payload) < st.size else "long"
            raise DecodeError(
                f"{self.name}: payload too {kind}: expected {st.size} bytes, got {len(payload)}"
            )
        version, *raws = st.unpack(payload)
        if version != self.version:
            raise DecodeError(f"{self.name}: unsupported format version {version} (expected {self.version})")
        out: Reading = {}
        for spec, raw in zip(self.fields, raws, strict=True):
            if isinstance(spec, Flags):
                for bit, key in enumerate(spec.bits):
                    out[key] = q(bool(raw >> bit & 1), "{bool}")
                continue
            if spec.optional and raw == spec.sentinel:
                continue
            out[spec.key] = q(raw if spec.scale == 1 else round(raw / spec.scale, 6), spec.unit)
        return out

    def encode(self, values: Mapping[str, Any]) -> bytes:
        """Encode plain or decode()-shaped values; optional fields may be absent."""
        raws: list[int] = []
        for spec in self.fields:
            if isinstance(spec, Flags):
                raws.append(
                    sum(1 << bit for bit, key in enumerate(spec.bits) if value_of(values, key, False))
                )
                continue
            value = value_of(values, spec.key, None if spec.optional else ...)
            if value is ...:
                raise EncodeError(f"{self.name}: missing value for {spec.key!r}")
            if value is None:
                raws.append(spec.sentinel)
                continue
            lo, hi = _RANGES[spec.fmt]
            if spec.optional:
                hi -= 1  # the maximum is reserved as the "not measured" sentinel
            raws.append(to_int(f"{self.name}: {spec.key}", value, spec.scale, lo, hi))
        return self.struct.pack(self.version, *raws)

    def decoder(self, description: str) -> Decoder:
        """Wrap this format as a registry Decoder."""
        return Decoder(self.name, description, self.decode, self.encode, self.fports[0])
