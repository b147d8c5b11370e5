"""Automatic chart recommendation for tabular distributions (rules documented in docs/opendata.md).

Column profiling (autoviz_profile) follows CompassQL/Lux/Datawrapper thresholds plus German city
rules. Candidate charts follow the rule set B of the autoviz reference note, with Draco's hard
constraints as validity rules (bars start at zero, no aggregation of nominal fields, <= 20
colours, no > 50 categories on an axis). Ranking is a cost (lower is better) built from CompassQL
mark scores, Draco's "prefer no aggregation" soft rule, and Lux-style interestingness as tie breaker.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gelsencloud.apps.opendata.autoviz_profile import (
    ColumnProfile,
    area_level,
    profile_columns,
    series_split,
)

__all__ = ["Chart", "ColumnProfile", "hard_rule_violations", "profile_columns", "recommend"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the vendored vega-lite is 6.x
TOP_K = 15
# Costs of the rules (lower ranks first); docs/opendata.md lists them with their reasons.
COST_MAP = -0.5  # located data: the map is what people look for first
COST_SERIES = -0.1  # panel data: one line per series
COST_LOOKUP_BAR = -0.2  # one row per category: a sorted bar compares exactly
COST_AGGREGATED_BAR = 0.3  # Draco: prefer no aggregation; an aggregate hides the rows behind it
COST_RATE_BONUS = 0.05  # normalised measures (shares, rates) are what comparisons need
COST_REGION_MAP = 0.0  # area names: a choropleth, after the bar
COST_LINE, COST_COLUMN = 0.0, 0.2  # CompassQL: line 0 > bar -0.2 for time
COST_SUMMED_SERIES = 0.1  # a single line summing several series comes after the split lines


@dataclass
class Chart:
    """A recommended chart: a Vega-Lite spec with its cost (lower is better)."""

    title: str
    kind: str
    spec: dict[str, Any]
    cost: float
    fields: tuple[str, ...] = field(default_factory=tuple)


def _vl_type(p: ColumnProfile) -> str:
    return {"quantitative": "quantitative", "temporal": "temporal", "ordinal": "ordinal"}.get(
        p.kind, "nominal"
    )


def _base(title: str, data_url: str | None, values: list[dict[str, Any]] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"$schema": SCHEMA, "title": title, "width": "container", "height": 300}
    spec["data"] = {"url": data_url, "format": {"type": "json"}} if data_url else {"values": values or []}
    return spec


def _temporal_field(p: ColumnProfile) -> dict[str, Any]:
    if p.time_unit in ("year", "period"):
        return {"field": p.name, "type": "ordinal", "title": p.name}  # years and periods as ordered labels
    return {"field": p.name, "type": "temporal", "title": p.name}


def _category(p: ColumnProfile, horizontal: bool) -> dict[str, Any]:
    cat: dict[str, Any] = {"field": p.name, "type": _vl_type(p), "title": p.name}
    if horizontal:
        cat["sort"] = "-x"
    elif p.data_order:
        cat["sort"] = None  # bands keep the order of the table ("0-5", "6-17", …, "80+")
    return cat


def _measure(p: ColumnProfile, title: str | None = None) -> dict[str, Any]:
    return {
        "field": p.name,
        "type": "quantitative",
        "aggregate": "mean" if p.rate else "sum",  # reference B5: sum amounts, average rates
        "title": title or p.name,
        "scale": {"zero": True},
    }


def _features(url: str) -> dict[str, Any]:
    return {"url": url, "format": {"type": "json", "property": "features"}}


def recommend(
    rows: list[dict[str, Any]],
    columns: list[dict[str, str]],
    *,
    data_url: str | None = None,
    limit: int = 5,
    geometry: str | None = None,
    geojson_url: str | None = None,
    regions: dict[str, Iterable[str]] | None = None,
    areas_url: str | None = None,
) -> list[Chart]:
    """Return up to ``limit`` valid charts, best first (a table view is always the page fallback).

    ``geometry`` is the distribution's dominant GeoJSON geometry type and ``geojson_url`` where its
    features are; ``regions`` maps a city area level to its area names and ``areas_url`` (with a
    ``{level}`` placeholder) serves those areas as GeoJSON, for choropleths by area name.
    """
    if not rows or not columns:
        return []
    profiles = [p for p in profile_columns(rows, columns) if p.kind not in ("key", "geo-code")]
    q = [p for p in profiles if p.kind == "quantitative"]
    n = [p for p in profiles if p.kind in ("nominal", "ordinal") and 1 < p.distinct]
    t = [p for p in profiles if p.kind == "temporal"]
    lat = next((p for p in profiles if p.kind == "geo-lat"), None)
    lon = next((p for p in profiles if p.kind == "geo-lon"), None)
    values = None if data_url else rows
    charts: list[Chart] = []

    def add(title: str, kind: str, body: dict[str, Any], cost: float, fields: tuple[str, ...]) -> None:
        spec = _base(title, data_url, values)
        spec.update(body)
        charts.append(Chart(title, kind, spec, cost, fields))

    _time_charts(rows, t, q, n, add)
    _bar_charts(n, q, add)
    _map_charts(rows, q, n, lat, lon, geometry, geojson_url, regions, areas_url, add)
    _distribution_charts(rows, q, n, t, add)
    charts.sort(key=lambda c: c.cost)
    seen: set[tuple[str, ...]] = set()
    unique = []
    for chart in charts:
        key = (chart.kind, *chart.fields)
        if key not in seen:
            seen.add(key)
            unique.append(chart)
    return unique[:limit]


def _time_charts(rows, t, q, n, add) -> None:
    """B4 / B8: a time series -> line (column with <= 12 periods); panel data -> one line per series.

    Only tables that *are* time series qualify: each point in time appears once, or once per
    series. In a table of things (trees with a planting year) time is an attribute; summing a
    measure per year would be meaningless there, so such tables get counts per period instead.
    """
    for tp in t:
        split = series_split(rows, tp, n) if not tp.unique else None
        if not (tp.unique or split):
            continue
        for qp in q:
            x = _temporal_field(tp)
            y = _measure(qp)
            y.pop("scale")
            if split is not None and tp.distinct >= 3:
                enc = {"x": x, "y": y, "color": {"field": split.name, "type": "nominal", "title": split.name}}
                add(
                    f"{qp.name} nach {tp.name} und {split.name}",
                    "multi-line",
                    {"mark": {"type": "line", "point": True}, "encoding": enc},
                    COST_SERIES - (COST_RATE_BONUS if qp.rate else 0),
                    (tp.name, qp.name, split.name),
                )
            few = tp.distinct <= 12
            cost = (COST_COLUMN if few else COST_LINE) + (COST_SUMMED_SERIES if split is not None else 0)
            if few:
                y["scale"] = {"zero": True}
            add(
                f"{qp.name} nach {tp.name}",
                "column" if few else "line",
                {
                    "mark": {"type": "bar"} if few else {"type": "line", "point": True},
                    "encoding": {"x": x, "y": y},
                },
                cost,
                (tp.name, qp.name),
            )


def _bar_charts(n, q, add) -> None:
    """B5: category + measure -> bar; horizontal and sorted for nominal, in order for ordinal.

    A table with one row per category (a lookup table) is shown as it is; where each category
    has many rows the bar shows an aggregate and ranks lower (Draco: prefer no aggregation).
    """
    for np_ in n:
        if np_.distinct > 50:
            continue
        for qp in q:
            horizontal = np_.kind == "nominal"
            cat = _category(np_, horizontal)
            meas = _measure(qp)
            body: dict[str, Any] = {
                "mark": "bar",
                "encoding": {"y": cat, "x": meas} if horizontal else {"x": cat, "y": meas},
            }
            if np_.distinct > TOP_K:
                op = meas["aggregate"]
                body["transform"] = [
                    {"aggregate": [{"op": op, "field": qp.name, "as": qp.name}], "groupby": [np_.name]},
                    {
                        "window": [{"op": "rank", "as": "_rang"}],
                        "sort": [{"field": qp.name, "order": "descending"}],
                    },
                    {"filter": f"datum._rang <= {TOP_K}"},
                ]
            cost = COST_LOOKUP_BAR if np_.unique else COST_AGGREGATED_BAR - 0.1 * min(np_.unevenness, 3)
            add(
                f"{qp.name} nach {np_.name}",
                "bar",
                body,
                cost - (COST_RATE_BONUS if qp.rate else 0),
                (np_.name, qp.name),
            )


def _map_charts(rows, q, n, lat, lon, geometry, geojson_url, regions, areas_url, add) -> None:
    """B11: points -> point map; areas -> choropleth (area geometries, or area names looked up)."""
    colour = next((c for c in n if c.distinct <= 10), None)
    if lat and lon:
        enc: dict[str, Any] = {
            "longitude": {"field": lon.name, "type": "quantitative"},
            "latitude": {"field": lat.name, "type": "quantitative"},
        }
        if colour:
            enc["color"] = {"field": colour.name, "type": "nominal"}
        add(
            "Karte",
            "point-map",
            {"mark": "circle", "projection": {"type": "mercator"}, "encoding": enc},
            COST_MAP,
            (lat.name, lon.name),
        )
    elif geometry in ("Point", "MultiPoint") and geojson_url:
        enc = (
            {"color": {"field": f"properties.{colour.name}", "type": "nominal", "title": colour.name}}
            if colour
            else {}
        )
        add(
            "Karte",
            "point-map",
            {
                "data": _features(geojson_url),
                "mark": {"type": "geoshape"},
                "projection": {"type": "mercator"},
                "encoding": enc,
            },
            COST_MAP,
            (),
        )
    if geometry in ("Polygon", "MultiPolygon") and geojson_url:
        for qp in q:
            enc = {"color": {"field": f"properties.{qp.name}", "type": "quantitative", "title": qp.name}}
            add(
                f"{qp.name} (Karte)",
                "choropleth",
                {
                    "data": _features(geojson_url),
                    "mark": {"type": "geoshape", "stroke": "white"},
                    "projection": {"type": "mercator"},
                    "encoding": enc,
                },
                COST_MAP - (COST_RATE_BONUS if qp.rate else 0),
                (qp.name,),
            )
    if not (regions and areas_url):
        return
    names = {level: set(values) for level, values in regions.items()}
    for np_ in n:
        level = area_level(np_, rows, names)
        if level is None or not np_.unique:
            continue
        for qp in q:
            lookup = {
                "lookup": np_.name,
                "from": {"data": _features(areas_url.format(level=level)), "key": "properties.name"},
                "as": "geo",
            }
            enc = {
                "shape": {"field": "geo", "type": "geojson"},
                "color": {"field": qp.name, "type": "quantitative", "title": qp.name},
                "tooltip": [
                    {"field": np_.name, "type": "nominal"},
                    {"field": qp.name, "type": "quantitative"},
                ],
            }
            add(
                f"{qp.name} nach {np_.name} (Karte)",
                "choropleth",
                {
                    "transform": [lookup],
                    "mark": {"type": "geoshape", "stroke": "white"},
                    "projection": {"type": "mercator"},
                    "encoding": enc,
                },
                COST_REGION_MAP - (COST_RATE_BONUS if qp.rate else 0),
                (np_.name, qp.name),
            )


def _distribution_charts(rows, q, n, t, add) -> None:
    """B6/B10 scatter of two measures, B1 histograms, B2/B3 counts per category or period."""
    if len(q) >= 2:
        a, b = q[0], q[1]
        if len(rows) > 5000:
            enc = {
                "x": {"field": a.name, "type": "quantitative", "bin": {"maxbins": 20}},
                "y": {"field": b.name, "type": "quantitative", "bin": {"maxbins": 20}},
                "color": {"aggregate": "count", "type": "quantitative"},
            }
            add(
                f"{b.name} gegen {a.name}",
                "heatmap",
                {"mark": "rect", "encoding": enc},
                0.3,
                (a.name, b.name),
            )
        else:
            enc = {
                "x": {"field": a.name, "type": "quantitative"},
                "y": {"field": b.name, "type": "quantitative"},
            }
            colour = next((c for c in n if c.distinct <= 10), None)
            if colour:
                enc["color"] = {"field": colour.name, "type": "nominal"}
            corr = _pearson(rows, a.name, b.name)
            add(
                f"{b.name} gegen {a.name}",
                "scatter",
                {"mark": "point", "encoding": enc},
                0.4 - 0.3 * abs(corr),
                (a.name, b.name),
            )
    for qp in q:
        if qp.distinct >= 15:
            enc = {
                "x": {"field": qp.name, "type": "quantitative", "bin": {"maxbins": 10}, "title": qp.name},
                "y": {
                    "aggregate": "count",
                    "type": "quantitative",
                    "title": "Anzahl",
                    "scale": {"zero": True},
                },
            }
            add(
                f"Verteilung von {qp.name}",
                "histogram",
                {"mark": "bar", "encoding": enc},
                1.0 - 0.1 * min(qp.skew, 3),
                (qp.name,),
            )
    for np_ in n:
        if np_.distinct <= 50 and not np_.unique:
            enc = {
                "y": _category(np_, np_.kind == "nominal"),
                "x": {
                    "aggregate": "count",
                    "type": "quantitative",
                    "title": "Anzahl",
                    "scale": {"zero": True},
                },
            }
            add(
                f"Anzahl nach {np_.name}",
                "bar",
                {"mark": "bar", "encoding": enc},
                1.2 if q else 0.5,
                (np_.name,),
            )
    for tp in t:
        if not tp.unique:
            enc = {
                "x": _temporal_field(tp),
                "y": {
                    "aggregate": "count",
                    "type": "quantitative",
                    "title": "Anzahl",
                    "scale": {"zero": True},
                },
            }
            add(f"Anzahl nach {tp.name}", "column", {"mark": "bar", "encoding": enc}, 1.2, (tp.name,))


def _pearson(rows: list[dict[str, Any]], a: str, b: str) -> float:
    pairs = [
        (float(r[a]), float(r[b]))
        for r in rows
        if isinstance(r.get(a), int | float) and isinstance(r.get(b), int | float)
    ]
    if len(pairs) < 3:
        return 0.0
    xs, ys = zip(*pairs, strict=True)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in pairs)
    vx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    vy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (vx * vy) if vx and vy else 0.0


def hard_rule_violations(spec: dict[str, Any]) -> list[str]:
    """Check a spec against the Draco hard constraints used here; return the violations."""
    problems = []
    mark = spec.get("mark")
    mark = mark.get("type") if isinstance(mark, dict) else mark
    enc = spec.get("encoding", {})
    x, y = enc.get("x", {}), enc.get("y", {})
    for channel, e in enc.items():
        if not isinstance(e, dict):
            continue  # tooltip lists
        if e.get("aggregate") not in (None, "count") and e.get("type") == "nominal":
            problems.append(f"{channel}: nominal field aggregated")
        if e.get("bin") and e.get("type") not in ("quantitative", "ordinal"):
            problems.append(f"{channel}: bin on non-quantitative field")
        if e.get("bin") and e.get("aggregate") not in (None, "count"):
            problems.append(f"{channel}: bin and aggregate together")
    if x.get("field") and x.get("field") == y.get("field"):
        problems.append("same field on x and y")
    if mark in ("bar", "area"):
        for e in (x, y):
            if e.get("type") == "quantitative" and e.get("scale", {}).get("zero") is False:
                problems.append("bar/area must start at zero")
        if (
            x.get("type") == "quantitative"
            and y.get("type") == "quantitative"
            and not (x.get("bin") or y.get("bin") or x.get("aggregate") or y.get("aggregate"))
        ):
            problems.append("bar with both axes continuous")
    if mark == "line" and not (x and y):
        problems.append("line needs x and y")
    if mark == "geoshape" and "shape" not in enc and "property" not in spec.get("data", {}).get("format", {}):
        problems.append("geoshape needs GeoJSON features or a shape channel")
    return problems
