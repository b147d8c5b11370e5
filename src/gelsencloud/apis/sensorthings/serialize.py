"""Turn stored values into STA JSON values (ISO 8601 instants and intervals) and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gelsencloud.apis.sensorthings.errors import bad_request
from gelsencloud.apis.sensorthings.schema import EntityType, Prop


def iso(moment: datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 UTC with ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(value: Any, name: str) -> datetime:
    """Parse an ISO 8601 instant; a missing offset means UTC."""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an ISO 8601 time string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} is not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_interval(value: Any, name: str) -> tuple[datetime, datetime | None]:
    """Parse an instant or an ISO 8601 interval ``start/end`` into (start, end or None)."""
    if isinstance(value, str) and "/" in value:
        start, _, end = value.partition("/")
        first, last = parse_instant(start, name), parse_instant(end, name)
        if last < first:
            raise bad_request(f"{name}: the interval ends before it starts")
        return first, last
    return parse_instant(value, name), None


def prop_value(prop: Prop, obj: Any) -> Any:
    """Read one property of a stored entity as its STA JSON value."""
    value = getattr(obj, prop.attr)
    if prop.kind == "time":
        return iso(value)
    if prop.kind == "interval":
        if value is None:
            return None
        end = getattr(obj, prop.end_attr)
        return iso(value) if end is None else f"{iso(value)}/{iso(end)}"
    return value


def self_link(base: str, etype: EntityType, entity_id: int) -> str:
    """Absolute URL of an entity, e.g. ``https://host/sta/v1.1/Things(1)``."""
    return f"{base}/{etype.set_name}({entity_id})"
