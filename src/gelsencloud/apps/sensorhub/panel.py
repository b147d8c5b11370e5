"""The sensor hub's part of the start page: the air now (European Air Quality Index) and free parking.

Built from the readable SensorThings entities (what the visitor may see), not from the device
registry, which is internal to the device owners.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from gelsencloud.apps.sensorhub.explorer import list_things
from gelsencloud.core.models import utcnow

FRESH = timedelta(hours=3)  # older values are not "now"
AIR = {"pm10": "pm10", "pm2_5": "pm25", "no2": "no2"}


def _index(concentrations: dict[str, float]):
    """EAQI of the latest values (the cockpit holds the EEA's bands)."""
    try:
        from gelsencloud.apps.cockpit.air_quality import eaqi
    except ImportError:  # pragma: no cover - the cockpit ships with the platform
        return None
    return eaqi(concentrations)


def home_context(session: Session) -> dict[str, Any]:
    """Air quality per station and parking availability per site, from the readable latest values."""
    now = utcnow()
    air = []
    for thing in list_things(session, "air_quality"):
        values = {
            AIR[s.quantity]: float(s.value)
            for s in thing.streams
            if s.quantity in AIR and isinstance(s.value, int | float) and s.time and now - s.time <= FRESH
        }
        if values:
            air.append({"name": thing.name, "thing_id": thing.id, "values": values, "index": _index(values)})
    parking: dict[str, dict[str, int]] = defaultdict(lambda: {"free": 0, "occupied": 0})
    for thing in list_things(session, "parking_space"):
        site = thing.description.split(" – ", 1)[-1] if " – " in thing.description else thing.name
        for stream in thing.streams:
            if (
                stream.quantity == "occupied"
                and isinstance(stream.value, bool)
                and now - stream.time <= FRESH
            ):
                parking[site]["occupied" if stream.value else "free"] += 1
    return {
        "air": air,
        "parking": sorted(
            ({"site": site, **counts} for site, counts in parking.items()), key=lambda p: p["site"]
        ),
    }
