"""Open data portal: DCAT-AP.de catalogue, CKAN API, data API, OGC API Features, charts."""

from __future__ import annotations

from gelsencloud.core.plugins import Plugin

plugin = Plugin(
    name="opendata",
    title_de="Offene Daten",
    title_en="Open data",
    description="Offene Daten der Stadt Gelsenkirchen und ihrer Gesellschaften.",
)
