"""Automatic chart recommendation for tabular distributions (rules from the autoviz reference note).

Column profiling follows CompassQL/Lux/Datawrapper thresholds; candidate charts follow the
proposed GELSENcloud rule set (section 7 B), with Draco's hard constraints as validity rules
(bars start at zero, no aggregation of nominal fields, <= 20 colours, no > 50 categories on an
axis); ranking uses CompassQL mark scores and Lux-style interestingness as tie breaker.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TEMPORAL_NAMES = {"jahr", "monat", "datum", "stichtag", "zeit", "tag", "year", "month", "date", "day", "time"}
ID_NAME = re.compile(r"(^|_)(id|nr|nummer|schluessel|code|rowid)$", re.I)
LAT_NAMES = {"lat", "latitude", "breite", "breitengrad"}
LON_NAMES = {"lon", "lng", "longitude", "laenge", "länge", "laengengrad"}
MONTHS = ["jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the vendored vega-lite is 6.x
TOP_K = 15


@dataclass
class ColumnProfile:
    """What the recommender knows about one column."""

    name: str
    kind: str  # quantitative | nominal | ordinal | temporal | key | geo-lat | geo-lon
    distinct: int
    count: int
    time_unit: str | None = None
    skew: float = 0.0
    unevenness: float = 0.0


@dataclass
class Chart:
    """A recommended chart: a Vega-Lite spec with its cost (lower is better)."""

    title: str
    kind: str
    spec: dict[str, Any]
    cost: float
    fields: tuple[str, ...] = field(default_factory=tuple)


def _is_date(value: Any) -> bool:
    if isinstance(value, datetime | date):
        return True
    if not isinstance(value, str) or len(value) < 7:
        return False
    for fmt in ("%Y-%m-%d", "%Y-%m", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _skew(values: list[float]) -> float:
    n = len(values)
    if n < 3:
        return 0.0
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    if var == 0:
        return 0.0
    return abs(sum((v - mean) ** 3 for v in values) / n / var**1.5)


def profile_columns(rows: list[dict[str, Any]], columns: list[dict[str, str]]) -> list[ColumnProfile]:
    """Infer each column's encoding type from a sample of rows."""
    profiles = []
    n = len(rows)
    for col in columns:
        name = col["name"]
        values = [r.get(name) for r in rows if r.get(name) is not None and r.get(name) != ""]
        distinct = len({str(v) for v in values})
        count = len(values)
        lname = name.lower()
        numeric = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        kind = "nominal"
        time_unit = None
        if count == 0:
            kind = "key"  # empty column: never encode
        elif lname in LAT_NAMES and len(numeric) == count:
            kind = "geo-lat"
        elif lname in LON_NAMES and len(numeric) == count:
            kind = "geo-lon"
        elif len(numeric) == count:
            ints = all(float(v).is_integer() for v in numeric)
            if ints and ("jahr" in lname or "year" in lname) and all(1800 <= v <= 2100 for v in numeric):
                kind, time_unit = "temporal", "year"
            elif ID_NAME.search(lname) and distinct / count > 0.8:
                kind = "key"
            elif ints and distinct < 40 and distinct / max(n, 1) < 0.05:
                kind = "ordinal"  # CompassQL: few distinct integers are categories (kept in order)
            else:
                kind = "quantitative"
        elif sum(_is_date(v) for v in values) >= 0.9 * count or lname in TEMPORAL_NAMES:
            kind = "temporal"
        elif distinct / max(count, 1) > 0.8 and count > 50:
            kind = "key"  # CompassQL KEY: identifiers and free text are not encoded
        profile = ColumnProfile(name, kind, distinct, count, time_unit)
        if kind == "quantitative":
            profile.skew = _skew(numeric)
        if kind in ("nominal", "ordinal"):
            counts: dict[str, int] = {}
            for v in values:
                counts[str(v)] = counts.get(str(v), 0) + 1
            mean = count / max(distinct, 1)
            profile.unevenness = math.sqrt(
                sum((c - mean) ** 2 for c in counts.values()) / max(distinct, 1)
            ) / max(mean, 1)
        profiles.append(profile)
    return profiles


def _vl_type(p: ColumnProfile) -> str:
    return {"quantitative": "quantitative", "temporal": "temporal", "ordinal": "ordinal"}.get(
        p.kind, "nominal"
    )


def _base(title: str, data_url: str | None, values: list[dict[str, Any]] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"$schema": SCHEMA, "title": title, "width": "container", "height": 300}
    spec["data"] = {"url": data_url, "format": {"type": "json"}} if data_url else {"values": values or []}
    return spec


def _temporal_field(p: ColumnProfile) -> dict[str, Any]:
    enc: dict[str, Any] = {"field": p.name, "type": "temporal", "title": p.name}
    if p.time_unit == "year":
        enc = {"field": p.name, "type": "ordinal", "title": p.name}  # years as ordered labels
    return enc


def recommend(
    rows: list[dict[str, Any]],
    columns: list[dict[str, str]],
    *,
    data_url: str | None = None,
    limit: int = 5,
) -> list[Chart]:
    """Return up to ``limit`` valid charts, best first (a table view is always the page fallback)."""
    if not rows or not columns:
        return []
    profiles = [p for p in profile_columns(rows, columns) if p.kind != "key"]
    q = [p for p in profiles if p.kind == "quantitative"]
    n = [p for p in profiles if p.kind in ("nominal", "ordinal") and 1 < p.distinct]
    t = [p for p in profiles if p.kind == "temporal"]
    lat = next((p for p in profiles if p.kind == "geo-lat"), None)
    lon = next((p for p in profiles if p.kind == "geo-lon"), None)
    values = None if data_url else rows
    charts: list[Chart] = []

    def add(title: str, kind: str, spec_body: dict[str, Any], cost: float, fields: tuple[str, ...]) -> None:
        spec = _base(title, data_url, values)
        spec.update(spec_body)
        charts.append(Chart(title, kind, spec, cost, fields))

    # B4 / B8: time + measure -> line (column with few periods), coloured by a small nominal
    for tp in t:
        for qp in q:
            few = tp.distinct <= 12
            mark = "bar" if few else "line"
            x = _temporal_field(tp)
            enc = {
                "x": x,
                "y": {"field": qp.name, "type": "quantitative", "aggregate": "sum", "title": qp.name},
            }
            cost = 0.0 if mark == "line" else 0.2
            colour = next((c for c in n if c.distinct <= 7), None)
            if colour and mark == "line":
                enc["color"] = {"field": colour.name, "type": "nominal"}
                add(
                    f"{qp.name} nach {tp.name} und {colour.name}",
                    "multi-line",
                    {"mark": {"type": "line", "point": True}, "encoding": enc},
                    0.5,
                    (tp.name, qp.name, colour.name),
                )
                enc = dict(enc)
                enc.pop("color")
            add(
                f"{qp.name} nach {tp.name}",
                "line" if mark == "line" else "column",
                {"mark": {"type": mark, **({"point": True} if mark == "line" else {})}, "encoding": enc},
                cost,
                (tp.name, qp.name),
            )
    # B5: nominal + measure -> sorted horizontal bar of the sum (top-k), ordinal in natural order
    for np_ in n:
        for qp in q:
            if np_.distinct > 50:
                continue
            horizontal = np_.kind == "nominal"
            sort = "-x" if horizontal else None
            cat = {"field": np_.name, "type": _vl_type(np_), "title": np_.name}
            if sort:
                cat["sort"] = sort
            meas = {
                "field": qp.name,
                "type": "quantitative",
                "aggregate": "sum",
                "title": qp.name,
                "scale": {"zero": True},
            }
            enc = {"y": cat, "x": meas} if horizontal else {"x": cat, "y": meas}
            body: dict[str, Any] = {"mark": "bar", "encoding": enc}
            if np_.distinct > TOP_K:
                body["transform"] = [
                    {"aggregate": [{"op": "sum", "field": qp.name, "as": qp.name}], "groupby": [np_.name]},
                    {
                        "window": [{"op": "rank", "as": "_rang"}],
                        "sort": [{"field": qp.name, "order": "descending"}],
                    },
                    {"filter": f"datum._rang <= {TOP_K}"},
                ]
                meas["aggregate"] = "sum"
            add(
                f"{qp.name} nach {np_.name}",
                "bar",
                body,
                0.0 - 0.1 * min(np_.unevenness, 3),
                (np_.name, qp.name),
            )
    # B6 / B10: two measures -> scatter (binned heatmap for many rows), coloured by a small nominal
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
    # B1: one measure -> histogram (8-12 bins) when enough distinct values
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
    # B2 / B3: one nominal or temporal field -> bar of counts
    for np_ in n:
        if np_.distinct <= 50 and not q:
            cat = {"field": np_.name, "type": _vl_type(np_), "sort": "-x" if np_.kind == "nominal" else None}
            cat = {k: v for k, v in cat.items() if v is not None}
            enc = {
                "y": cat,
                "x": {
                    "aggregate": "count",
                    "type": "quantitative",
                    "title": "Anzahl",
                    "scale": {"zero": True},
                },
            }
            add(f"Anzahl nach {np_.name}", "bar", {"mark": "bar", "encoding": enc}, 1.2, (np_.name,))
    for tp in t:
        if not q:
            enc = {
                "x": _temporal_field(tp),
                "y": {"aggregate": "count", "type": "quantitative", "title": "Anzahl"},
            }
            add(f"Anzahl nach {tp.name}", "column", {"mark": "bar", "encoding": enc}, 1.2, (tp.name,))
    # B11: points on a map
    if lat and lon:
        enc = {
            "longitude": {"field": lon.name, "type": "quantitative"},
            "latitude": {"field": lat.name, "type": "quantitative"},
        }
        colour = next((c for c in n if c.distinct <= 10), None)
        if colour:
            enc["color"] = {"field": colour.name, "type": "nominal"}
        add(
            "Karte",
            "point-map",
            {"mark": "circle", "projection": {"type": "mercator"}, "encoding": enc},
            0.1,
            (lat.name, lon.name),
        )
    charts.sort(key=lambda c: c.cost)
    seen: set[tuple[str, ...]] = set()
    unique = []
    for chart in charts:
        key = (chart.kind, *chart.fields)
        if key not in seen:
            seen.add(key)
            unique.append(chart)
    return unique[:limit]


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
    return problems
