"""Strategy cockpit: the 107 measures, the KPI catalogue, targets, live KPIs and evaluation."""

from __future__ import annotations

from gelsencloud.core.plugins import Plugin

plugin = Plugin(
    name="cockpit",
    title_de="Strategie-Cockpit",
    title_en="Strategy cockpit",
    description="Maßnahmen und Kennzahlen der Strategie Vernetzte Stadt.",
)
