"""Air-quality series from SensorThings, grouped by district, for the cockpit's air-quality KPIs."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apps.sensorhub.models import Device
from gelsencloud.core.models import CityArea

# Decoder quantity -> pollutant name used by the air-quality functions.
POLLUTANTS = {"pm10": "pm10", "pm2_5": "pm25", "no2": "no2"}


def district_of(session: Session, longitude: float, latitude: float) -> str | None:
    """Return the code of the Stadtbezirk containing a point, if any."""
    point = Point(longitude, latitude)
    for area in session.scalars(select(CityArea).where(CityArea.level == "stadtbezirk")):
        if area.geometry and shape(area.geometry).contains(point):
            return area.code
    return None


def load_air_series(session: Session, start: datetime, end: datetime) -> dict[str | None, dict[str, list]]:
    """Return {district code: {pollutant: [(time, µg/m³)]}}, plus the whole city under None.

    Only what the session may read is used, so published KPIs rest on published data.
    """
    result: dict[str | None, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    stations = session.scalars(
        select(Device).where(Device.category == "air_quality", Device.longitude.is_not(None))
    )
    for station in stations:
        district = district_of(session, station.longitude, station.latitude)
        for key, stream_id in (station.datastreams or {}).items():
            pollutant = POLLUTANTS.get(key)
            if pollutant is None:
                continue
            rows = session.execute(
                select(Observation.phenomenon_time_start, Observation.result_number).where(
                    Observation.datastream_id == stream_id,
                    Observation.phenomenon_time_start >= start,
                    Observation.phenomenon_time_start < end,
                )
            ).all()
            points = [(at, value) for at, value in rows if value is not None]
            result[district][pollutant].extend(points)
            result[None][pollutant].extend(points)
    return {district: dict(series) for district, series in result.items()}
