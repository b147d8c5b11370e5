"""The city profile: name, official keys, extent, districts and quarters with their geometry."""

from __future__ import annotations

import json
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyproj
import shapely
from shapely import MultiPoint, Point, Polygon, voronoi_polygons
from shapely.geometry import mapping, shape
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.core.models import CityArea

APPROXIMATE_SOURCE = "approximate demo geometry (Voronoi cells of seed points), not official"


class CityProfileError(ValueError):
    """Raised when a city profile or boundary file is unusable."""


@dataclass(frozen=True)
class Quarter:
    """A Stadtteil."""

    code: str
    name: str
    seed: tuple[float, float]


@dataclass(frozen=True)
class District:
    """A Stadtbezirk and its Stadtteile."""

    code: str
    name: str
    quarters: tuple[Quarter, ...]


@dataclass(frozen=True)
class CityProfile:
    """Everything the platform needs to know about its city."""

    name: str
    official_name: str
    ags: str
    ars: str
    state: str
    region: str
    population: int
    timezone: str
    centre: tuple[float, float]
    bbox: tuple[float, float, float, float]
    default_zoom: int
    outline: tuple[tuple[float, float], ...]
    districts: tuple[District, ...]

    @property
    def quarters(self) -> list[Quarter]:
        """Return all Stadtteile."""
        return [q for d in self.districts for q in d.quarters]


def load_profile(name_or_path: str) -> CityProfile:
    """Load a city profile by shipped name (``gelsenkirchen``) or from a TOML file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise CityProfileError(f"city profile file not found: {path}")
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    else:
        resource = files("gelsencloud.cities") / f"{name_or_path}.toml"
        if not resource.is_file():
            raise CityProfileError(f"no shipped city profile named {name_or_path!r}")
        raw = tomllib.loads(resource.read_text(encoding="utf-8"))
    return _parse(raw)


@lru_cache
def cached_profile(name_or_path: str) -> CityProfile:
    """Load a profile once per process."""
    return load_profile(name_or_path)


def _parse(raw: dict[str, Any]) -> CityProfile:
    try:
        districts = tuple(
            District(
                code=d["code"],
                name=d["name"],
                quarters=tuple(Quarter(q["code"], q["name"], tuple(q["seed"])) for q in d["quarters"]),
            )
            for d in raw["districts"]
        )
        profile = CityProfile(
            name=raw["name"],
            official_name=raw.get("official_name", raw["name"]),
            ags=str(raw["ags"]),
            ars=str(raw.get("ars", "")),
            state=raw.get("state", ""),
            region=raw.get("region", ""),
            population=int(raw.get("population", 0)),
            timezone=raw.get("timezone", "Europe/Berlin"),
            centre=tuple(raw["centre"]),
            bbox=tuple(raw["bbox"]),
            default_zoom=int(raw.get("default_zoom", 12)),
            outline=tuple(tuple(p) for p in raw["outline"]),
            districts=districts,
        )
    except KeyError as exc:
        raise CityProfileError(f"city profile lacks the key {exc.args[0]!r}") from None
    codes = [d.code for d in districts] + [q.code for q in profile.quarters]
    if len(codes) != len(set(codes)):
        raise CityProfileError("district and quarter codes must be unique")
    if len(profile.ags) != 8 or not profile.ags.isdigit():
        raise CityProfileError(f"AGS must have 8 digits, got {profile.ags!r}")
    return profile


def approximate_geometries(profile: CityProfile) -> dict[str, Any]:
    """Derive approximate polygons: Voronoi cells of the quarter seeds, clipped to the outline."""
    outline = Polygon(profile.outline)
    seeds = {q.code: q.seed for q in profile.quarters}
    cells = voronoi_polygons(MultiPoint(list(seeds.values())), extend_to=outline.buffer(0.1))
    result: dict[str, Any] = {}
    for code, seed in seeds.items():
        cell = next(c for c in cells.geoms if c.contains(Point(seed)))
        result[code] = cell.intersection(outline)
    for district in profile.districts:
        result[district.code] = unary_union([result[q.code] for q in district.quarters])
    return result


_GEOD = pyproj.Geod(ellps="WGS84")


def area_km2(geom) -> float:
    """Return the geodesic area of a lon/lat geometry in square kilometres."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def sync_areas(session: Session, profile: CityProfile) -> int:
    """Create missing districts and quarters with approximate geometry; keep imported ones."""
    existing = {a.code: a for a in session.scalars(select(CityArea))}
    geoms = approximate_geometries(profile)
    created = 0
    rows = [("stadtbezirk", d.code, d.name, None) for d in profile.districts] + [
        ("stadtteil", q.code, q.name, d.code) for d in profile.districts for q in d.quarters
    ]
    for level, code, name, parent in rows:
        if code in existing:
            continue
        geom = geoms[code]
        session.add(
            CityArea(
                level=level,
                code=code,
                name=name,
                parent_code=parent,
                geometry=mapping(geom),
                geometry_source=APPROXIMATE_SOURCE,
                approximate=True,
                area_km2=round(area_km2(geom), 3),
            )
        )
        created += 1
    session.flush()
    return created


def _normalise(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss"))
    return "".join(ch for ch in folded if ch.isalnum())


def _source_crs(collection: dict[str, Any], crs: str | None) -> pyproj.CRS:
    if crs:
        return pyproj.CRS.from_user_input(crs)
    named = (collection.get("crs") or {}).get("properties", {}).get("name")
    return pyproj.CRS.from_user_input(named) if named else pyproj.CRS.from_epsg(4326)


def import_areas(
    session: Session,
    geojson_path: Path,
    *,
    level: str,
    name_property: str,
    crs: str | None = None,
) -> list[str]:
    """Replace area geometry from an official GeoJSON file (EPSG:4326 or e.g. EPSG:25832).

    Features are matched to areas by name. District geometry is rebuilt from its quarters when
    quarters are imported. Returns the codes updated; raises if a feature matches no area.
    """
    if level not in ("stadtbezirk", "stadtteil"):
        raise CityProfileError("level must be 'stadtbezirk' or 'stadtteil'")
    try:
        collection = json.loads(Path(geojson_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CityProfileError(f"cannot read {geojson_path}: {exc}") from None
    if collection.get("type") != "FeatureCollection":
        raise CityProfileError("boundary file must be a GeoJSON FeatureCollection")
    source = _source_crs(collection, crs)
    to_wgs84 = pyproj.Transformer.from_crs(source, pyproj.CRS.from_epsg(4326), always_xy=True).transform
    areas = {_normalise(a.name): a for a in session.scalars(select(CityArea).where(CityArea.level == level))}
    updated: list[str] = []
    unmatched: list[str] = []
    for feature in collection.get("features", []):
        name = str((feature.get("properties") or {}).get(name_property, ""))
        area = areas.get(_normalise(name))
        if area is None:
            unmatched.append(name or "(no name)")
            continue
        geom = shapely.transform(shape(feature["geometry"]), to_wgs84, interleaved=False)
        if not geom.is_valid:
            geom = geom.buffer(0)
        area.geometry = mapping(geom)
        area.geometry_source = f"imported from {Path(geojson_path).name} ({source.to_string()})"
        area.approximate = False
        area.area_km2 = round(area_km2(geom), 3)
        updated.append(area.code)
    if unmatched:
        raise CityProfileError(
            f"{len(unmatched)} feature(s) match no {level}: {', '.join(unmatched[:10])}; "
            f"check --name-property (known names: {', '.join(sorted(a.name for a in areas.values()))})"
        )
    if level == "stadtteil":
        _rebuild_districts(session)
    session.flush()
    return updated


def _rebuild_districts(session: Session) -> None:
    quarters = list(session.scalars(select(CityArea).where(CityArea.level == "stadtteil")))
    for district in session.scalars(select(CityArea).where(CityArea.level == "stadtbezirk")):
        members = [q for q in quarters if q.parent_code == district.code and q.geometry]
        if not members or any(q.approximate for q in members):
            continue
        geom = unary_union([shape(q.geometry) for q in members])
        district.geometry = mapping(geom)
        district.geometry_source = "union of imported quarters"
        district.approximate = False
        district.area_km2 = round(area_km2(geom), 3)


def areas_feature_collection(session: Session, level: str | None = None) -> dict[str, Any]:
    """Return districts and/or quarters as a GeoJSON FeatureCollection."""
    stmt = select(CityArea).order_by(CityArea.level, CityArea.name)
    if level:
        stmt = stmt.where(CityArea.level == level)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.code,
                "geometry": a.geometry,
                "properties": {
                    "code": a.code,
                    "name": a.name,
                    "level": a.level,
                    "parent": a.parent_code,
                    "area_km2": a.area_km2,
                    "approximate": a.approximate,
                    "source": a.geometry_source,
                },
            }
            for a in session.scalars(stmt)
        ],
    }
