"""Recommended charts of a distribution as the portal serves them (pages, chart API, embeds)."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata import autoviz, tables
from gelsencloud.apps.opendata.models import Distribution
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.models import CityArea

PREFIX = "/api/v1/opendata"


def geometry_type(session: Session, dist: Distribution) -> str | None:
    """The GeoJSON type of the first geometry of a distribution's current rows (None: not geo)."""
    if not dist.geo:
        return None
    geometry = tables.first_geometry(session, dist)
    return geometry.get("type") if isinstance(geometry, dict) else None


def city_regions(session: Session) -> dict[str, list[str]]:
    """The city's area names per level (Stadtbezirk, Stadtteil), for choropleths by area name."""
    regions: dict[str, list[str]] = {}
    for level, name in session.execute(select(CityArea.level, CityArea.name)):
        regions.setdefault(level, []).append(name)
    return regions


def recommend(session: Session, request: Request, dist: Distribution, limit: int = 5) -> list[autoviz.Chart]:
    """Recommend charts for a tabular distribution; the data come from its export URLs.

    ``_chart=1`` marks these fetches as part of showing a chart, so they are not counted as downloads.
    """
    urls = Urls(request)
    base = f"{PREFIX}/distributions/{dist.id}"
    return autoviz.recommend(
        tables.sample_rows(session, dist),
        dist.columns,
        data_url=urls.abs(f"{base}/export.json?_chart=1"),
        limit=limit,
        geometry=geometry_type(session, dist),
        geojson_url=urls.abs(f"{base}/export.geojson?_chart=1"),
        regions=city_regions(session),
        areas_url=urls.abs("/api/v1/city/areas?level={level}"),
    )
