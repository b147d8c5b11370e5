"""GE-meldet: the defect reporter as a multi-service platform, with Open311 GeoReport v2."""

from __future__ import annotations

from gelsencloud.core.plugins import Plugin

plugin = Plugin(
    name="maengelmelder",
    title_de="GE-meldet",
    title_en="GE-meldet (report a problem)",
    description="Mängel melden und städtische Dienste anfragen.",
)
