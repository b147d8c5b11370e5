"""Vega-Lite specification of a KPI chart: IST time series (line) and SOLL values (points)."""

from __future__ import annotations

from typing import Any

from gelsencloud.apps.cockpit.models import Kpi, KpiTarget, KpiValue

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def kpi_chart_spec(kpi: Kpi, values: list[KpiValue], targets: list[KpiTarget]) -> dict[str, Any] | None:
    """Build the chart of city-wide values and targets; None when there is nothing to draw."""
    rows: list[dict[str, Any]] = [
        {
            "datum": v.period_end.isoformat(),
            "wert": v.value,
            "reihe": "IST (Entwurf)"
            if v.classification != "public"
            else ("IST (live)" if v.origin == "live" else "IST"),
        }
        for v in values
        if v.district_code is None and v.value is not None
    ]
    rows += [
        {"datum": f"{t.year}-12-31", "wert": t.value, "reihe": "SOLL"}
        for t in targets
        if t.district_code is None
    ]
    if not rows:
        return None
    unit = kpi.unit or ""
    return {
        "$schema": SCHEMA,
        "description": f"Zeitreihe der Kennzahl {kpi.name_de}: IST-Werte und SOLL-Werte ({unit}).",
        "width": "container",
        "height": 260,
        "data": {"values": rows},
        "mark": {"type": "line", "point": {"size": 70, "filled": True}},
        "encoding": {
            "x": {"field": "datum", "type": "temporal", "title": "Zeitraum (Ende)"},
            "y": {"field": "wert", "type": "quantitative", "title": unit or "Wert"},
            "color": {
                "field": "reihe",
                "type": "nominal",
                "title": "Reihe",
                "scale": {
                    "domain": ["IST", "IST (live)", "IST (Entwurf)", "SOLL"],
                    "range": ["#00549f", "#2e7d32", "#767676", "#b3261e"],
                },
            },
            "strokeDash": {
                "field": "reihe",
                "type": "nominal",
                "legend": None,
                "scale": {
                    "domain": ["IST", "IST (live)", "IST (Entwurf)", "SOLL"],
                    "range": [[1, 0], [1, 0], [4, 2], [6, 4]],
                },
            },
            "tooltip": [
                {"field": "reihe", "title": "Reihe"},
                {"field": "datum", "type": "temporal", "title": "Zeitraum (Ende)"},
                {"field": "wert", "type": "quantitative", "title": unit or "Wert"},
            ],
        },
    }
