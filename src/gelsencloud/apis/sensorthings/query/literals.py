"""Parsing and canonical printing of OData literal tokens (dates, durations, numbers, WKT)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from .ast import GeoKind, GeoLiteral

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?")
_DURATION = re.compile(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_WKT_TYPE = re.compile(
    r"(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    r"\s*(?:ZM|Z|M)?\s*(?:\(|EMPTY\b)",
    re.IGNORECASE,
)
_SRID = re.compile(r"SRID=(\d+);", re.IGNORECASE)


class LiteralError(ValueError):
    """A malformed literal; ``hint`` says what a valid one looks like."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message if hint is None else f"{message}; {hint}")
        self.message, self.hint = message, hint


def _micros(fraction: str | None) -> int:
    """Turn fractional-second digits into microseconds; digits beyond 6 are cut (PostgreSQL precision)."""
    if not fraction:
        return 0
    return int(fraction[:6].ljust(6, "0"))


def unquote(token: str) -> str:
    """Strip the surrounding quotes of ``'...'`` and undo ``''`` escaping."""
    return token[1:-1].replace("''", "'")


def quote(value: str) -> str:
    """Quote a string as an OData string literal."""
    return "'" + value.replace("'", "''") + "'"


def parse_int(text: str) -> int:
    """Parse an unsigned integer token, enforcing the Edm.Int64 range."""
    value = int(text)
    if value > INT64_MAX + 1:  # +1 so that -9223372036854775808 survives sign folding
        raise LiteralError(f"integer {text} is out of the 64-bit range")
    return value


def parse_datetime(text: str) -> datetime:
    """Parse ``YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm)`` into an aware datetime."""
    m = _DATETIME.fullmatch(text)
    if not m:
        raise LiteralError(f"invalid datetime literal '{text}'", "expected e.g. 2024-01-31T12:00:00Z")
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    if offset is None:
        raise LiteralError(
            f"datetime literal '{text}' lacks a time zone offset",
            "append Z or ±hh:mm; note that '+' must be percent-encoded as %2B in a URL",
        )
    if offset == "Z":
        tz = UTC
    else:
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise LiteralError(f"invalid time zone offset '{offset}' in datetime literal '{text}'")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), _micros(fraction), tz
        )
    except ValueError as exc:
        raise LiteralError(f"invalid datetime literal '{text}'", str(exc)) from None


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``."""
    m = _DATE.fullmatch(text)
    if not m:
        raise LiteralError(f"invalid date literal '{text}'", "expected YYYY-MM-DD")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise LiteralError(f"invalid date literal '{text}'", str(exc)) from None


def parse_time(text: str) -> time:
    """Parse ``hh:mm[:ss[.fff]]``."""
    m = _TIME.fullmatch(text)
    if not m:
        raise LiteralError(f"invalid time literal '{text}'", "expected hh:mm:ss")
    try:
        return time(int(m[1]), int(m[2]), int(m[3] or 0), _micros(m[4]))
    except ValueError as exc:
        raise LiteralError(f"invalid time literal '{text}'", str(exc)) from None


def parse_duration(text: str) -> timedelta:
    """Parse an OData Edm.Duration body such as ``P1DT2H30M`` (days, hours, minutes, seconds only)."""
    m = _DURATION.fullmatch(text)
    if not m or not any(m.groups()[1:]) or text.endswith("T"):
        hint = ""
        if re.fullmatch(r"-?P.*[YW].*|-?P[^T]*M.*", text):
            hint = " (years, months and weeks are not allowed in Edm.Duration; use days)"
        raise LiteralError(f"invalid duration literal '{text}'", f"expected e.g. P1DT2H30M{hint}")
    sign, days, hours, minutes, seconds = m.groups()
    whole, _, fraction = (seconds or "0").partition(".")
    value = timedelta(
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(whole),
        microseconds=_micros(fraction),
    )
    return -value if sign else value


def parse_geo(kind: str, body: str) -> GeoLiteral:
    """Check the rough shape of a WKT / EWKT body and wrap it; full validation is left to the database."""
    srid: int | None = None
    text = body.strip()
    m = _SRID.match(text)
    if m:
        srid = int(m[1])
        text = text[m.end() :].strip()
    if not _WKT_TYPE.match(text):
        raise LiteralError(f"invalid {kind} literal '{body}'", "expected WKT such as POINT(7.1 51.5)")
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise LiteralError(f"invalid {kind} literal '{body}'", "unbalanced parentheses")
    return GeoLiteral(GeoKind(kind), text, srid)


# ---------------------------------------------------------------------------------------------------------
# Canonical printing
# ---------------------------------------------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """Print a Decimal so that it reads back as a decimal, not an integer."""
    text = str(value)
    if not any(c in text for c in ".eE") and value.is_finite():
        text += ".0"
    return text


def _format_fraction(microsecond: int) -> str:
    return f".{microsecond:06d}".rstrip("0") if microsecond else ""


def format_time(value: time) -> str:
    """Print a time of day as ``hh:mm:ss[.ffffff]``."""
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_format_fraction(value.microsecond)}"


def format_datetime(value: datetime) -> str:
    """Print an aware datetime as ISO 8601 with ``Z`` for UTC."""
    offset = value.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        zone = "Z"
    else:
        total = int(offset.total_seconds()) // 60
        sign = "-" if total < 0 else "+"
        zone = f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
    return f"{value.date().isoformat()}T{format_time(value.timetz())}{zone}"


def format_duration(value: timedelta) -> str:
    """Print a timedelta as an OData duration body, e.g. ``P1DT2H``."""
    micros = abs(value) // timedelta(microseconds=1)
    sign = "-" if value < timedelta(0) else ""
    days, micros = divmod(micros, 86_400_000_000)
    hours, micros = divmod(micros, 3_600_000_000)
    minutes, micros = divmod(micros, 60_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    text = f"{sign}P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros:
        clock += f"{seconds}{_format_fraction(micros)}S"
    if clock:
        text += "T" + clock
    elif not days:
        text += "T0S"
    return text
