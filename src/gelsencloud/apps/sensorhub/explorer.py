"""Public sensor explorer: list of Things with latest values, Thing pages with charts, map layer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings.models import Datastream, Location, Observation, Thing, things_locations
from gelsencloud.apps.sensorhub import service
from gelsencloud.apps.sensorhub.models import CATEGORIES, Device
from gelsencloud.apps.sensorhub.quantities import quantity
from gelsencloud.core import i18n
from gelsencloud.core.auth import DbSession
from gelsencloud.core.models import utcnow
from gelsencloud.web.render import format_number

OTHER = ("Sonstige Sensoren", "Other sensors")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DEFAULT_PERIOD = "7d"
TABLE_POINTS = 48
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
SHORT_NAMES = {"pm10": "PM10", "pm2_5": "PM2,5", "no2": "NO2"}


@dataclass
class StreamView:
    """A Datastream with its latest value, ready for the templates."""

    id: int
    name: str
    label: str
    unit: str
    quantity: str | None
    value: Any = None
    time: datetime | None = None


@dataclass
class ThingView:
    """A Thing with its category and Datastreams."""

    id: int
    name: str
    description: str
    category: str | None
    streams: list[StreamView] = field(default_factory=list)


def category_of(thing: Thing) -> str | None:
    """Return the sensor hub category a Thing was created with, if any."""
    key = (thing.properties or {}).get("category")
    return key if key in CATEGORIES else None


def category_labels(key: str | None) -> tuple[str, str]:
    """Return (German, English) labels of a category; unknown ones are 'other sensors'."""
    return CATEGORIES.get(key or "", OTHER)


def _stream_view(stream: Datastream) -> StreamView:
    key = (stream.properties or {}).get("quantity")
    label = quantity(key).name_de if key else stream.name
    unit = (stream.unit_of_measurement or {}).get("symbol") or ""
    return StreamView(id=stream.id, name=stream.name, label=label, unit=unit, quantity=key)


def latest_values(session: Session, stream_ids: list[int]) -> dict[int, Observation]:
    """Return the newest Observation per Datastream, in one query (max time per stream joined back)."""
    if not stream_ids:
        return {}
    newest = (
        select(Observation.datastream_id, func.max(Observation.phenomenon_time_start).label("t"))
        .where(Observation.datastream_id.in_(stream_ids))
        .group_by(Observation.datastream_id)
        .subquery()
    )
    stmt = (
        select(Observation)
        .join(
            newest,
            and_(
                Observation.datastream_id == newest.c.datastream_id,
                Observation.phenomenon_time_start == newest.c.t,
            ),
        )
        .order_by(Observation.id)
    )
    # Ties at the same instant: the last inserted wins, as in the STA ``latest`` extension.
    return {obs.datastream_id: obs for obs in session.scalars(stmt)}


def list_things(session: Session, category: str | None = None) -> list[ThingView]:
    """Return the readable Things (optionally of one category) with Datastreams and latest values."""
    things = list(session.scalars(select(Thing).order_by(Thing.name, Thing.id)))
    if category:
        things = [t for t in things if category_of(t) == category]
    views = {t.id: ThingView(t.id, t.name, t.description, category_of(t)) for t in things}
    if not views:
        return []
    streams = list(
        session.scalars(
            select(Datastream).where(Datastream.thing_id.in_(list(views))).order_by(Datastream.name)
        )
    )
    latest = latest_values(session, [s.id for s in streams])
    for stream in streams:
        view = _stream_view(stream)
        obs = latest.get(stream.id)
        if obs is not None:
            view.value, view.time = obs.result, obs.phenomenon_time_start
        views[stream.thing_id].streams.append(view)
    return list(views.values())


def group_by_category(things: list[ThingView]) -> list[tuple[str | None, list[ThingView]]]:
    """Group Things by category in the order of CATEGORIES, other sensors last."""
    groups: dict[str | None, list[ThingView]] = defaultdict(list)
    for thing in things:
        groups[thing.category].append(thing)
    order = [*CATEGORIES, None]
    return [(key, groups[key]) for key in order if groups.get(key)]


def format_value(value: Any, unit: str, lang: str = "de") -> str:
    """Format a result with its unit: 18,2 µg/m³ in German; booleans as ja/nein."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")
    if isinstance(value, int | float):
        return f"{format_number(value, lang)} {unit}".strip()
    return f"{value} {unit}".strip()


def short_text(streams: list[StreamView]) -> str:
    """Latest values as one line: 'PM10 18,2 µg/m³ · NO2 24,0 µg/m³'."""
    parts = []
    for s in streams:
        if s.value is None:
            continue
        name = SHORT_NAMES.get(s.quantity or "", s.label)
        parts.append(f"{name} {format_value(s.value, s.unit)}")
    return " · ".join(parts)


def get_thing(session: Session, thing_id: int) -> Thing | None:
    """Return a readable Thing or None."""
    return session.scalar(select(Thing).where(Thing.id == thing_id))


def device_of(session: Session, thing_id: int) -> Device | None:
    """Return the registry entry of a Thing if the principal may read it."""
    return session.scalar(select(Device).where(Device.thing_id == thing_id))


def series(
    session: Session, stream_id: int, period: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Return chart points of a Datastream over a period; hourly means when the period exceeds 7 days."""
    now = now or utcnow()
    since = now - PERIODS[period]
    rows = session.execute(
        select(Observation.phenomenon_time_start, Observation.result_number, Observation.result)
        .where(Observation.datastream_id == stream_id, Observation.phenomenon_time_start >= since)
        .order_by(Observation.phenomenon_time_start)
    ).all()
    points: list[tuple[datetime, float]] = []
    for moment, number, result in rows:
        if number is None and isinstance(result, bool):
            number = 1.0 if result else 0.0
        if number is not None:
            points.append((moment, float(number)))
    if PERIODS[period] > timedelta(days=7):
        buckets: dict[datetime, list[float]] = defaultdict(list)
        for moment, number in points:
            buckets[moment.replace(minute=0, second=0, microsecond=0)].append(number)
        points = [(hour, sum(vals) / len(vals)) for hour, vals in sorted(buckets.items())]
    return [{"zeit": moment.isoformat(), "wert": round(number, 4)} for moment, number in points]


def chart_spec(stream: StreamView, values: list[dict[str, Any]], lang: str = "de") -> dict[str, Any]:
    """Build a Vega-Lite line chart of one Datastream."""
    title_y = f"{stream.label} ({stream.unit})" if stream.unit else stream.label
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": f"{stream.label}: Verlauf" if lang == "de" else f"{stream.label}: history",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "point": len(values) <= 60, "tooltip": True},
        "encoding": {
            "x": {"field": "zeit", "type": "temporal", "title": "Zeit" if lang == "de" else "Time"},
            "y": {"field": "wert", "type": "quantitative", "title": title_y},
        },
    }


def positions(session: Session, thing_ids: list[int]) -> dict[int, tuple[float, float]]:
    """Return point positions of many Things in one query."""
    if not thing_ids:
        return {}
    rows = session.execute(
        select(things_locations.c.thing_id, Location.geometry)
        .join(Location, things_locations.c.location_id == Location.id)
        .where(things_locations.c.thing_id.in_(thing_ids))
        .order_by(Location.id)
    ).all()
    found: dict[int, tuple[float, float]] = {}
    for thing_id, geometry in rows:
        if thing_id in found or not geometry or geometry.get("type") != "Point":
            continue
        lon, lat = geometry["coordinates"][:2]
        found[thing_id] = (float(lon), float(lat))
    # Fallback: the registry's coordinates, where the principal may read the registry entry. Locations
    # that the sensor hub created before they inherited the data classification are internal.
    missing = [t for t in thing_ids if t not in found]
    if missing:
        for device in session.scalars(select(Device).where(Device.thing_id.in_(missing))):
            if device.longitude is not None and device.latitude is not None:
                found[device.thing_id] = (device.longitude, device.latitude)
    return found


def map_features(session: Session) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of readable Things with a position and their latest values."""
    things = list_things(session)
    where = positions(session, [t.id for t in things])
    features = []
    for thing in things:
        if thing.id not in where:
            continue
        features.append(
            {
                "type": "Feature",
                "id": thing.id,
                "geometry": {"type": "Point", "coordinates": list(where[thing.id])},
                "properties": {
                    "name": thing.name,
                    "category": category_labels(thing.category)[0],
                    "thing_id": thing.id,
                    "link": f"/sensoren/{thing.id}",
                    "latest": short_text(thing.streams),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def register_explorer(router: APIRouter) -> None:
    """Add the explorer pages and the map layer endpoint to the plugin's page router."""

    @router.get("/sensoren")
    def sensors_page(request: Request, session: DbSession, kategorie: str | None = None):
        """List readable sensors by category with their latest values."""
        selected = kategorie if kategorie in CATEGORIES else None
        things = list_things(session, selected)
        return request.app.state.renderer.page(
            request,
            "sensorhub/explorer.html",
            {
                "groups": group_by_category(things),
                "count": len(things),
                "categories": CATEGORIES,
                "category_labels": category_labels,
                "selected": selected,
                "fmt": format_value,
            },
        )

    @router.get("/sensoren/{thing_id}")
    def thing_page(request: Request, session: DbSession, thing_id: int, zeitraum: str = DEFAULT_PERIOD):
        """Show one sensor: device health, a chart and a data table per Datastream."""
        thing = get_thing(session, thing_id)
        if thing is None:
            raise HTTPException(404, detail="Sensor nicht gefunden")
        period = zeitraum if zeitraum in PERIODS else DEFAULT_PERIOD
        lang = i18n.negotiate(request)
        device = device_of(session, thing_id)
        streams = list(
            session.scalars(
                select(Datastream).where(Datastream.thing_id == thing_id).order_by(Datastream.name)
            )
        )
        latest = latest_values(session, [s.id for s in streams])
        charts = []
        for stream in streams:
            view = _stream_view(stream)
            obs = latest.get(stream.id)
            if obs is not None:
                view.value, view.time = obs.result, obs.phenomenon_time_start
            values = series(session, stream.id, period)
            charts.append(
                {"stream": view, "spec": chart_spec(view, values, lang), "table": values[-TABLE_POINTS:]}
            )
        return request.app.state.renderer.page(
            request,
            "sensorhub/explorer_thing.html",
            {
                "thing": thing,
                "category": category_labels(category_of(thing)),
                "device": device,
                "state": service.device_state(device) if device else None,
                "charts": charts,
                "period": period,
                "periods": list(PERIODS),
                "position": positions(session, [thing_id]).get(thing_id),
                "fmt": format_value,
            },
        )

    @router.get("/api/v1/sensorhub/map.geojson")
    def sensors_geojson(session: DbSession):
        """Readable sensors with a position as GeoJSON, with their latest values."""
        return JSONResponse(map_features(session), media_type="application/geo+json")
