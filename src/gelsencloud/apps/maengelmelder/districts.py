"""Locate a point in the city's districts and quarters (point-in-polygon with shapely)."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.core.models import CityArea


@dataclass(frozen=True)
class Place:
    """Where a point lies: district (Stadtbezirk) and quarter (Stadtteil) codes and names."""

    district_code: str | None
    district_name: str | None
    quarter_code: str | None
    quarter_name: str | None


class DistrictLocator:
    """Prepared polygons of the city areas; build once per batch of lookups."""

    def __init__(self, session: Session) -> None:
        areas = list(session.scalars(select(CityArea).where(CityArea.geometry.is_not(None))))
        self.names = {a.code: a.name for a in areas}
        self.parents = {a.code: a.parent_code for a in areas}
        self.quarters = [(a.code, prep(shape(a.geometry))) for a in areas if a.level == "stadtteil"]
        self.districts = [(a.code, prep(shape(a.geometry))) for a in areas if a.level == "stadtbezirk"]

    def locate(self, lat: float | None, lon: float | None) -> Place:
        """Return the district and quarter containing the point (None outside the city)."""
        if lat is None or lon is None:
            return Place(None, None, None, None)
        point = Point(lon, lat)
        quarter = next((code for code, geom in self.quarters if geom.covers(point)), None)
        district = self.parents.get(quarter) if quarter else None
        if district is None:
            district = next((code for code, geom in self.districts if geom.covers(point)), None)
        return Place(district, self.names.get(district), quarter, self.names.get(quarter))

    def name(self, code: str | None) -> str | None:
        """Return the name of an area code."""
        return self.names.get(code) if code else None
