"""OGC API – Features under /ogc: landing page, conformance, collections, items (GeoJSON and HTML)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import shapely
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from shapely.geometry import box, mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apis.ogcapi import cql2
from gelsencloud.apis.ogcapi.errors import OgcError
from gelsencloud.apps.opendata import charts, tabular, usage
from gelsencloud.apps.opendata.models import DataRow, Dataset, Distribution
from gelsencloud.core.auth import DbSession
from gelsencloud.core.http import absolute_url
from gelsencloud.core.models import CityArea

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG25832 = "http://www.opengis.net/def/crs/EPSG/0/25832"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
SUPPORTED_CRS = (CRS84, EPSG25832, EPSG4326)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
]
RESERVED = {
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "lang",
}
AREA_LAYERS = {"stadtbezirke": ("stadtbezirk", "Stadtbezirke"), "stadtteile": ("stadtteil", "Stadtteile")}
TIME_NAMES = re.compile(r"(datum|date|zeit|time|stichtag|timestamp)", re.I)


@lru_cache(maxsize=4)
def _transformer(target: str):
    import pyproj

    return pyproj.Transformer.from_crs("OGC:CRS84", _crs_code(target), always_xy=True)


@lru_cache(maxsize=4)
def _inverse(source: str):
    import pyproj

    return pyproj.Transformer.from_crs(_crs_code(source), "OGC:CRS84", always_xy=True)


def _crs_code(uri: str) -> str:
    return {CRS84: "OGC:CRS84", EPSG25832: "EPSG:25832", EPSG4326: "EPSG:4326"}[uri]


@dataclass
class Collection:
    """A feature collection: a city layer or a geo distribution."""

    id: str
    title: str
    description: str
    properties: dict[str, str]
    dist: Distribution | None = None
    level: str | None = None
    time_property: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def features(
        self, session: Session, equals: dict[str, str], bbox: tuple[float, float, float, float] | None = None
    ) -> Iterator[tuple[str, dict, dict | None]]:
        """Yield (feature id, properties, geometry) matching property equality filters.

        With ``bbox`` (CRS84 bounds) a table of points is narrowed in SQL to the points inside
        it, so a small window does not decode every feature; the caller still tests exactly.
        """
        if self.level:
            stmt = select(CityArea).where(CityArea.level == self.level).order_by(CityArea.code)
            for area in session.scalars(stmt):
                props = _area_props(area)
                if all(str(props.get(k)) == v for k, v in equals.items()):
                    yield area.code, props, area.geometry
            return
        dist = self.dist
        filters = [(k, "exact", v) for k, v in equals.items()]
        clauses = tabular.base_query(dist, filters)
        if bbox is not None and charts.geometry_type(session, dist) == "Point":
            x = DataRow.geometry[("coordinates", 0)].as_float()
            y = DataRow.geometry[("coordinates", 1)].as_float()
            clauses += [x >= bbox[0], x <= bbox[2], y >= bbox[1], y <= bbox[3]]
        stmt = (
            select(DataRow.rownum, DataRow.data, DataRow.geometry)
            .where(*clauses)
            .order_by(DataRow.rownum)
            .execution_options(yield_per=1000)
        )
        for rownum, data, geometry in session.execute(stmt):
            yield str(rownum), data, geometry


def _area_props(area: CityArea) -> dict[str, Any]:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent_code": area.parent_code,
        "area_km2": area.area_km2,
        "approximate": area.approximate,
        "geometry_source": area.geometry_source,
    }


def _geo_distributions(session: Session) -> list[tuple[Distribution, Dataset]]:
    stmt = (
        select(Distribution, Dataset)
        .join(Dataset, Dataset.id == Distribution.dataset_id)
        .where(Distribution.geo.is_(True), Dataset.classification == "public")
        .order_by(Dataset.name, Distribution.id)
    )
    return [(d, ds) for d, ds in session.execute(stmt).all()]


def _collection_for(dist: Distribution, dataset: Dataset) -> Collection:
    props = tabular.column_types(dist)
    time_prop = next((n for n in props if TIME_NAMES.search(n)), None)
    return Collection(
        id=f"{dataset.name}-{dist.id}",
        title=f"{dataset.title} – {dist.title}",
        description=dataset.description,
        properties=props,
        dist=dist,
        time_property=time_prop,
    )


def _collections(session: Session) -> list[Collection]:
    return _collections_static() + [_collection_for(d, ds) for d, ds in _geo_distributions(session)]


def _collection(session: Session, cid: str) -> Collection:
    if cid in AREA_LAYERS:
        return next(c for c in _collections_static() if c.id == cid)
    match = re.fullmatch(r"(.+)-(\d+)", cid)
    if match:
        dist = session.get(Distribution, int(match.group(2)))
        dataset = session.get(Dataset, dist.dataset_id) if dist and dist.dataset_id else None
        if (
            dist
            and dataset
            and dist.geo
            and dataset.name == match.group(1)
            and dataset.classification == "public"
        ):
            return _collection_for(dist, dataset)
    raise OgcError(404, "NotFound", f"collection {cid!r} not found")


def _collections_static() -> list[Collection]:
    area_props = {
        "code": "string",
        "name": "string",
        "level": "string",
        "parent_code": "string",
        "area_km2": "number",
    }
    return [
        Collection(
            cid,
            f"{title} (Stadtgebiet)",
            f"{title} der Stadt; Geometrien näherungsweise, sofern keine amtlichen importiert sind.",
            area_props,
            level=level,
        )
        for cid, (level, title) in AREA_LAYERS.items()
    ]


def _wants_html(request: Request) -> bool:
    f = request.query_params.get("f")
    if f:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _html(request: Request, title: str, body: dict[str, Any]):
    return request.app.state.renderer.page(request, "opendata/ogc.html", {"title": title, "doc": body})


def _collection_json(request: Request, c: Collection, city) -> dict[str, Any]:
    base = absolute_url(request, f"/ogc/collections/{c.id}")
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": list(SUPPORTED_CRS),
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(city.bbox)], "crs": CRS84}},
        "links": [
            _link(base, "self", "application/json"),
            _link(base + "/items?f=json", "items", "application/geo+json", "Features (GeoJSON)"),
            _link(base + "/items?f=html", "items", "text/html", "Features (HTML)"),
            _link(
                base + "/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
        ],
    }


def _parse_bbox(value: str, bbox_crs: str):
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", "bbox must be 4 comma-separated numbers") from None
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise OgcError(400, "InvalidParameterValue", "bbox must have 4 (or 6) numbers")
    geom = box(*parts)
    if bbox_crs != CRS84:
        geom = shapely.transform(geom, _inverse(bbox_crs).transform, interleaved=False)
    return geom


def _parse_datetime(value: str) -> tuple[datetime | None, datetime | None]:
    def one(text: str) -> datetime | None:
        if text in ("..", ""):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise OgcError(400, "InvalidParameterValue", f"invalid datetime {text!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    if "/" in value:
        start, end = value.split("/", 1)
        return one(start), one(end)
    instant = one(value)
    return instant, instant


def _in_interval(raw: Any, start, end) -> bool:
    if raw in (None, ""):
        return False
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return False
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if start and end and start == end and len(str(raw)) <= 10:
        return value.date() == start.date()
    return (start is None or value >= start) and (end is None or value <= end)


def _crs_param(value: str | None, name: str) -> str:
    if not value:
        return CRS84
    if value not in SUPPORTED_CRS:
        raise OgcError(400, "InvalidParameterValue", f"{name} must be one of {list(SUPPORTED_CRS)}")
    return value


def _out_geometry(geometry: dict | None, crs: str) -> dict | None:
    if geometry is None or crs == CRS84:
        return geometry
    return mapping(shapely.transform(shape(geometry), _transformer(crs).transform, interleaved=False))


def register(router: APIRouter) -> None:
    """Add the OGC API Features routes to the plugin's flat router."""

    @router.get("/ogc", tags=["ogcapi"])
    def landing(request: Request):
        """Landing page."""
        base = absolute_url(request, "/ogc")
        body = {
            "title": "GELSENcloud OGC API – Features",
            "description": "Geodaten der offenen Daten Gelsenkirchen und Stadtgebietsebenen.",
            "links": [
                _link(base, "self", "application/json"),
                _link(base + "?f=html", "alternate", "text/html"),
                _link(
                    absolute_url(request, "/api/openapi.json"),
                    "service-desc",
                    "application/vnd.oai.openapi+json;version=3.0",
                ),
                _link(absolute_url(request, "/api/docs"), "service-doc", "text/html"),
                _link(base + "/conformance", "conformance", "application/json"),
                _link(base + "/collections", "data", "application/json"),
            ],
        }
        return _html(request, body["title"], body) if _wants_html(request) else body

    @router.get("/ogc/conformance", tags=["ogcapi"])
    def conformance(request: Request):
        """Conformance classes."""
        body = {"conformsTo": CONFORMANCE}
        return _html(request, "Konformität", body) if _wants_html(request) else body

    @router.get("/ogc/collections", tags=["ogcapi"])
    def collections(request: Request, session: DbSession):
        """Feature collections: city layers and public geo datasets."""
        city = request.app.state.city
        body = {
            "links": [_link(absolute_url(request, "/ogc/collections"), "self", "application/json")],
            "collections": [_collection_json(request, c, city) for c in _collections(session)],
        }
        return _html(request, "Sammlungen", body) if _wants_html(request) else body

    @router.get("/ogc/collections/{collection_id}", tags=["ogcapi"])
    def collection(collection_id: str, request: Request, session: DbSession):
        """One collection."""
        body = _collection_json(request, _collection(session, collection_id), request.app.state.city)
        return _html(request, body["title"], body) if _wants_html(request) else body

    @router.get("/ogc/collections/{collection_id}/queryables", tags=["ogcapi"])
    def queryables(collection_id: str, request: Request, session: DbSession):
        """Queryable properties (JSON Schema)."""
        c = _collection(session, collection_id)
        types = {"integer": "integer", "number": "number", "boolean": "boolean"}
        body = {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": absolute_url(request, f"/ogc/collections/{c.id}/queryables"),
            "type": "object",
            "title": c.title,
            "properties": {n: {"type": types.get(t, "string")} for n, t in c.properties.items()},
        }
        return JSONResponse(body, media_type="application/schema+json")

    @router.get("/ogc/collections/{collection_id}/items", tags=["ogcapi"])
    def items(collection_id: str, request: Request, session: DbSession, background: BackgroundTasks):
        """Features with limit/offset, bbox, datetime, property filters, CQL2 text and crs."""
        c = _collection(session, collection_id)
        params = request.query_params
        try:
            limit = int(params.get("limit", 10))
            offset = int(params.get("offset", 0))
        except ValueError:
            raise OgcError(400, "InvalidParameterValue", "limit and offset must be integers") from None
        if not 1 <= limit <= 10000 or offset < 0:
            raise OgcError(400, "InvalidParameterValue", "limit must be 1..10000 and offset >= 0")
        crs = _crs_param(params.get("crs"), "crs")
        area = (
            _parse_bbox(params["bbox"], _crs_param(params.get("bbox-crs"), "bbox-crs"))
            if params.get("bbox")
            else None
        )
        interval = _parse_datetime(params["datetime"]) if params.get("datetime") else None
        if interval and not c.time_property:
            interval = None  # collections without a time property match every datetime (spec 7.15.4)
        predicate = None
        if params.get("filter"):
            if params.get("filter-lang", "cql2-text") != "cql2-text":
                raise OgcError(400, "InvalidParameterValue", "only filter-lang=cql2-text is supported")
            try:
                predicate = cql2.parse(params["filter"], set(c.properties))
            except cql2.CqlError as exc:
                raise OgcError(400, "InvalidParameterValue", f"filter: {exc}") from None
        equals = {k: v for k, v in params.items() if k not in RESERVED}
        unknown = [k for k in equals if k not in c.properties]
        if unknown:
            raise OgcError(400, "InvalidParameterValue", f"unknown parameters {unknown}")
        features, matched = [], 0
        for fid, props, geometry in c.features(session, equals, area.bounds if area is not None else None):
            if area is not None and (geometry is None or not shape(geometry).intersects(area)):
                continue
            if interval and not _in_interval(props.get(c.time_property), *interval):
                continue
            if predicate and not predicate(props):
                continue
            matched += 1
            if offset < matched <= offset + limit:
                features.append(
                    {
                        "type": "Feature",
                        "id": fid,
                        "geometry": _out_geometry(geometry, crs),
                        "properties": props,
                    }
                )
        base = absolute_url(request, f"/ogc/collections/{c.id}/items")
        query = {k: v for k, v in params.items() if k not in ("offset", "f")}
        links = [
            _link(
                base + "?" + urlencode({**query, "offset": offset, "f": "json"}),
                "self",
                "application/geo+json",
            ),
            _link(base + "?" + urlencode({**query, "offset": offset, "f": "html"}), "alternate", "text/html"),
            _link(absolute_url(request, f"/ogc/collections/{c.id}"), "collection", "application/json"),
        ]
        if offset + limit < matched:
            links.append(
                _link(
                    base + "?" + urlencode({**query, "offset": offset + limit, "f": "json"}),
                    "next",
                    "application/geo+json",
                )
            )
        body = {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "links": links,
        }
        if c.dist is not None:
            usage.track(request, background, c.dist.dataset_id, usage.API, c.dist.id)
        if _wants_html(request):
            return _html(request, c.title, body)
        return JSONResponse(body, media_type="application/geo+json", headers={"Content-Crs": f"<{crs}>"})

    @router.get("/ogc/collections/{collection_id}/items/{feature_id}", tags=["ogcapi"])
    def item(
        collection_id: str, feature_id: str, request: Request, session: DbSession, background: BackgroundTasks
    ):
        """One feature."""
        c = _collection(session, collection_id)
        crs = _crs_param(request.query_params.get("crs"), "crs")
        for fid, props, geometry in _one(c, session, feature_id):
            if c.dist is not None:
                usage.track(request, background, c.dist.dataset_id, usage.API, c.dist.id)
            body = {
                "type": "Feature",
                "id": fid,
                "geometry": _out_geometry(geometry, crs),
                "properties": props,
                "links": [
                    _link(
                        absolute_url(request, f"/ogc/collections/{c.id}/items/{fid}"),
                        "self",
                        "application/geo+json",
                    ),
                    _link(
                        absolute_url(request, f"/ogc/collections/{c.id}"), "collection", "application/json"
                    ),
                ],
            }
            if _wants_html(request):
                return _html(request, f"{c.title}: {fid}", body)
            return JSONResponse(body, media_type="application/geo+json", headers={"Content-Crs": f"<{crs}>"})
        raise OgcError(404, "NotFound", f"feature {feature_id!r} not found")


def _one(c: Collection, session: Session, feature_id: str):
    if c.level:
        area = session.scalar(select(CityArea).where(CityArea.level == c.level, CityArea.code == feature_id))
        return [(area.code, _area_props(area), area.geometry)] if area else []
    if not feature_id.isdigit():
        return []
    row = session.execute(
        select(DataRow.rownum, DataRow.data, DataRow.geometry).where(
            DataRow.distribution_id == c.dist.id,
            DataRow.version == c.dist.version,
            DataRow.rownum == int(feature_id),
        )
    ).first()
    return [(str(row.rownum), row.data, row.geometry)] if row else []
