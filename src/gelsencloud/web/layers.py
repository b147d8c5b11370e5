"""Layers of the city map (/karte) and its background.

The map page needs no JavaScript of a plugin: it reads the layers plugins declare in
``Plugin.map_layers`` (each a same-origin GeoJSON URL) and draws them with the vendored Leaflet.
Without a tile server the map shows the districts on a plain background; production sets
``GELSENCLOUD_MAP_TILE_URL`` (``{z}/{x}/{y}`` template) and ``GELSENCLOUD_MAP_TILE_ATTRIBUTION``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gelsencloud.core.plugins import PluginRegistry
from gelsencloud.core.settings import Settings


@dataclass(frozen=True)
class TileSettings:
    """The background tiles: none by default (plain background, works offline)."""

    url: str | None
    attribution: str
    max_zoom: int


def tile_settings(settings: Settings) -> TileSettings:
    """Return the tile server settings (GELSENCLOUD_MAP_TILE_*)."""
    return TileSettings(
        url=(settings.map_tile_url or "").strip() or None,
        attribution=settings.map_tile_attribution.strip(),
        max_zoom=settings.map_tile_max_zoom,
    )


def map_config(registry: PluginRegistry, settings: Settings, city, lang: str) -> dict:
    """Return what map.js needs: extent, background and the layers with labels in the language."""
    tiles = tile_settings(settings)
    min_lon, min_lat, max_lon, max_lat = city.bbox
    return {
        "bounds": [[min_lat, min_lon], [max_lat, max_lon]],
        "tiles": asdict(tiles) if tiles.url else None,
        "layers": [
            {
                "id": layer.id,
                "url": layer.url,
                "label": layer.label_de if lang == "de" else layer.label_en,
                "visible": layer.visible,
                "style": {
                    "color": layer.color,
                    "weight": layer.weight,
                    "fillOpacity": layer.fill_opacity,
                },
            }
            for layer in registry.map_layers()
        ],
        "messages": {
            "loaded": "Kartenebenen geladen." if lang == "de" else "Map layers loaded.",
            "failed": "Ebene konnte nicht geladen werden:" if lang == "de" else "Layer could not be loaded:",
        },
    }
