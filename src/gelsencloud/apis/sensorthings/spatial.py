"""Spatial and math functions for $filter: PostGIS on PostgreSQL, shapely UDFs on SQLite.

SQLite has no geometry type, so the UDFs take GeoJSON text (stored columns) or WKT (literals) and
evaluate with shapely. They are registered per DB-API connection by :func:`ensure_functions`, which
the read service calls; a core ``connect`` hook in ``core/db.py`` would be cleaner (see report).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import Float, Text, cast, func, literal
from sqlalchemy.orm import Session

SRID = 4326
PREDICATES = {
    "geo.intersects": "intersects",
    "st_equals": "equals",
    "st_disjoint": "disjoint",
    "st_touches": "touches",
    "st_within": "within",
    "st_overlaps": "overlaps",
    "st_crosses": "crosses",
    "st_intersects": "intersects",
    "st_contains": "contains",
}
_PG = {
    "geo.intersects": "ST_Intersects",
    "st_equals": "ST_Equals",
    "st_disjoint": "ST_Disjoint",
    "st_touches": "ST_Touches",
    "st_within": "ST_Within",
    "st_overlaps": "ST_Overlaps",
    "st_crosses": "ST_Crosses",
    "st_intersects": "ST_Intersects",
    "st_contains": "ST_Contains",
    "st_relate": "ST_Relate",
    "geo.distance": "ST_Distance",
    "geo.length": "ST_Length",
}


@lru_cache(maxsize=1024)
def _parse(text: str | None):
    if text is None:
        return None
    text = text.strip()
    if text.startswith("{"):
        data = json.loads(text)
        if data.get("type") == "Feature":
            data = data.get("geometry")
        return shape(data) if data else None
    return shapely.from_wkt(text)


def _safe(fn):
    def wrapper(*args: Any):
        try:
            geoms = [_parse(a) if i < 2 else a for i, a in enumerate(args)]
            if any(g is None for g in geoms[:2]):
                return None
            return fn(*geoms)
        except Exception:  # malformed geometry: the predicate is unknown, as in SQL
            return None

    return wrapper


def _predicate(name: str):
    return _safe(lambda a, b: int(getattr(a, name)(b)))


def _length(text: str | None) -> float | None:
    try:
        geom = _parse(text)
    except Exception:
        return None
    return None if geom is None else geom.length


_UDFS: dict[str, tuple[int, Any]] = {
    **{f"sta_{key.replace('.', '_')}": (2, _predicate(method)) for key, method in PREDICATES.items()},
    "sta_st_relate": (3, _safe(lambda a, b, pattern: int(a.relate_pattern(b, pattern)))),
    "sta_geo_distance": (2, _safe(lambda a, b: a.distance(b))),
    "sta_geo_length": (1, lambda a: _length(a)),
    "sta_floor": (1, lambda x: None if x is None else math.floor(x)),
    "sta_ceiling": (1, lambda x: None if x is None else math.ceil(x)),
}


def register_sqlite_functions(dbapi_connection, _record=None) -> None:
    """Register the UDFs on one sqlite3 connection."""
    for name, (arity, fn) in _UDFS.items():
        dbapi_connection.create_function(name, arity, fn, deterministic=True)


def ensure_functions(session: Session) -> None:
    """Make sure the session's SQLite connection knows the UDFs (no-op on PostgreSQL)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    info = connection.connection.info
    if not info.get("sta_udfs"):
        register_sqlite_functions(connection.connection.dbapi_connection)
        info["sta_udfs"] = True


def geometry_of_column(column, dialect: str):
    """Return a spatial expression for a JSON column holding a GeoJSON geometry."""
    if dialect == "postgresql":
        return func.ST_SetSRID(func.ST_GeomFromGeoJSON(cast(column, Text)), SRID)
    return cast(column, Text)


def geometry_of_wkt(wkt: str, dialect: str):
    """Return a spatial expression for a WKT literal."""
    if dialect == "postgresql":
        return func.ST_GeomFromText(literal(wkt, Text), SRID)
    return literal(wkt, Text)


def call(name: str, args: list, dialect: str):
    """Build the SQL call of a geo.*/st_* function on already translated geometry arguments."""
    if dialect == "postgresql":
        return getattr(func, _PG[name])(*args)
    udf = getattr(func, "sta_" + name.replace(".", "_"))
    if name in ("geo.distance", "geo.length"):
        return cast(udf(*args), Float)
    return udf(*args) == 1


def math_call(name: str, arg, dialect: str):
    """Build round/floor/ceiling portably (SQLite lacks floor/ceil without its math extension)."""
    if name == "round":
        return func.round(arg)
    if dialect == "postgresql":
        return func.floor(arg) if name == "floor" else func.ceil(arg)
    return func.sta_floor(arg) if name == "floor" else func.sta_ceiling(arg)
