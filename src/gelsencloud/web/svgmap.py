"""Draw GeoJSON areas as an accessible inline SVG: a map that needs no tile server."""

from __future__ import annotations

import math
from html import escape
from typing import Any


def _project(lon: float, lat: float, bbox, width: float, height: float) -> tuple[float, float]:
    # Equirectangular with the latitude's cosine: exact enough at city scale.
    min_lon, min_lat, max_lon, max_lat = bbox
    x = (lon - min_lon) / (max_lon - min_lon) * width
    y = (max_lat - lat) / (max_lat - min_lat) * height
    return round(x, 1), round(y, 1)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def render_areas_svg(
    collection: dict[str, Any], bbox, width: int = 600, title: str = "Karte der Stadtteile"
) -> str:
    """Return an SVG of the areas with a title per area, sized to the city's extent."""
    min_lon, min_lat, max_lon, max_lat = bbox
    aspect = (max_lat - min_lat) / ((max_lon - min_lon) * math.cos(math.radians((min_lat + max_lat) / 2)))
    height = round(width * aspect)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="map-title" class="areamap" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="map-title">{escape(title)}</title>'
    ]
    for feature in collection["features"]:
        geometry = feature.get("geometry")
        if not geometry:
            continue
        path = " ".join(
            "M"
            + " L".join(f"{x},{y}" for x, y in (_project(lon, lat, bbox, width, height) for lon, lat in ring))
            + " Z"
            for ring in _rings(geometry)
        )
        name = escape(feature["properties"]["name"])
        parts.append(f'<path d="{path}" class="area"><title>{name}</title></path>')
    for feature in collection["features"]:
        geometry = feature.get("geometry")
        if not geometry:
            continue
        ring = _rings(geometry)[0]
        lon = sum(p[0] for p in ring) / len(ring)
        lat = sum(p[1] for p in ring) / len(ring)
        x, y = _project(lon, lat, bbox, width, height)
        parts.append(
            f'<text x="{x}" y="{y}" class="label" aria-hidden="true">{escape(feature["properties"]["name"])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
