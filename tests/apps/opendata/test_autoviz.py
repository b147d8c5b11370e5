"""Automatic chart recommendation: profiling thresholds, chart rules, Vega-Lite validity, embed page."""

from __future__ import annotations

import json
import random
from importlib.util import find_spec

import pytest

from gelsencloud.apps.opendata.autoviz import hard_rule_violations, profile_columns, recommend


def _cols(rows):
    from gelsencloud.apps.opendata.tabular import ColumnProfiler

    profiler = ColumnProfiler()
    for row in rows:
        profiler.add(row)
    return profiler.columns()


def _schema_validator():
    if find_spec("altair") is None or find_spec("jsonschema") is None:
        return None
    from importlib.resources import files

    import jsonschema

    schema = json.loads(
        (files("altair") / "vegalite" / "v6" / "schema" / "vega-lite-schema.json").read_text()
    )
    return jsonschema.Draft7Validator(schema)


VALIDATOR = _schema_validator()


def _assert_valid(spec):
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert "mark" in spec and "encoding" in spec and "data" in spec
    assert hard_rule_violations(spec) == []
    if VALIDATOR is not None:
        errors = sorted(VALIDATOR.iter_errors(spec), key=str)
        assert not errors, errors[0].message


rng = random.Random(3)
TABLES = {
    "time_series": [
        {"jahr": y, "tonnen": rng.randint(100, 900), "art": a}
        for y in range(2010, 2025)
        for a in ("Rest", "Bio", "Papier")
    ],
    "by_category": [{"stadtteil": f"Teil {i}", "einwohner": rng.randint(1000, 30000)} for i in range(18)],
    "two_measures": [
        {"flaeche": rng.uniform(1, 20), "einwohner": rng.randint(1000, 30000), "bezirk": rng.choice("ABCDE")}
        for _ in range(80)
    ],
    "dates": [
        {"datum": f"2024-{m:02d}-{d:02d}", "wert": rng.uniform(0, 50)} for m in range(1, 13) for d in (1, 15)
    ],
    "points": [
        {
            "name": f"P{i}",
            "lat": 51.5 + rng.uniform(0, 0.1),
            "lon": 7.0 + rng.uniform(0, 0.1),
            "typ": rng.choice(["A", "B"]),
        }
        for i in range(60)
    ],
    "only_nominal": [{"baumart": rng.choice(["Linde", "Eiche", "Ahorn"])} for _ in range(100)],
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_recommendation_is_valid_vega_lite(name):
    rows = TABLES[name]
    charts = recommend(rows, _cols(rows))
    assert charts, name
    for chart in charts:
        _assert_valid(chart.spec)


def test_time_and_measure_give_a_line_over_time():
    rows = TABLES["time_series"]
    best = recommend(rows, _cols(rows))[0]
    assert best.kind in ("line", "multi-line")
    assert best.spec["encoding"]["x"]["field"] == "jahr"


def test_category_and_measure_give_a_sorted_bar_from_zero():
    rows = TABLES["by_category"]
    best = recommend(rows, _cols(rows))[0]
    assert best.kind == "bar" and best.spec["mark"] == "bar"
    assert best.spec["encoding"]["y"]["sort"] == "-x"  # horizontal, sorted by value
    assert best.spec["encoding"]["x"]["scale"]["zero"] is True
    assert any(t.get("filter") for t in best.spec["transform"])  # 18 categories > top 15


def test_two_measures_give_a_scatter_and_points_a_map():
    rows = TABLES["two_measures"]
    kinds = [c.kind for c in recommend(rows, _cols(rows))]
    assert "scatter" in kinds
    rows = TABLES["points"]
    assert recommend(rows, _cols(rows))[0].kind == "point-map"


def test_profiling_thresholds():
    rows = [
        {"id": i, "klasse": i % 3, "wert": i * 1.5, "jahr": 2000 + i % 20, "text": f"frei {i}"}
        for i in range(200)
    ]
    kinds = {p.name: p.kind for p in profile_columns(rows, _cols(rows))}
    assert kinds["id"] == "key"  # identifiers are never encoded
    assert kinds["klasse"] == "ordinal"  # few distinct integers (CompassQL: < 40 and < 5 %)
    assert kinds["wert"] == "quantitative"
    assert kinds["jahr"] == "temporal"  # 4-digit year with a "jahr" name
    assert kinds["text"] == "key"  # unique free text (> 80 % distinct, > 50 rows)


def test_hard_rules_catch_bad_specs():
    bad = {
        "mark": "bar",
        "encoding": {
            "x": {"field": "a", "type": "quantitative", "scale": {"zero": False}},
            "y": {"field": "a", "type": "quantitative"},
        },
    }
    problems = hard_rule_violations(bad)
    assert "same field on x and y" in problems and "bar/area must start at zero" in problems
    assert hard_rule_violations(
        {"mark": "point", "encoding": {"x": {"field": "n", "type": "nominal", "aggregate": "sum"}}}
    )


def test_empty_tables_give_no_charts():
    assert recommend([], []) == []


def test_chart_api_and_embed_page(client, catalog):
    ds = client.get("/api/v1/opendata/datasets/demo-abfallmengen-nach-abfallart").json()
    dist = ds["distributions"][0]
    charts = client.get(f"/api/v1/opendata/distributions/{dist['id']}/charts").json()["charts"]
    assert charts and charts[0]["spec"]["data"]["url"].endswith(
        f"/distributions/{dist['id']}/export.json?_chart=1"
    )
    for chart in charts:
        _assert_valid(chart["spec"])
    embed = client.get("/daten/demo-abfallmengen-nach-abfallart/diagramm/1")
    assert embed.status_code == 200
    assert "/static/core/vendor/vega-embed/vega-embed.min.js" in embed.text and "vegaEmbed(" in embed.text
    assert client.get("/static/core/vendor/vega-embed/vega-embed.min.js").status_code == 200
    assert client.get("/daten/demo-abfallmengen-nach-abfallart/diagramm/99").status_code == 404


def test_embedded_charts_have_stable_keys(client, catalog):
    import re

    from gelsencloud.apps.opendata.pages import chart_key

    name = "demo-abfallmengen-nach-abfallart"
    page = client.get(f"/daten/{name}").text
    keys = re.findall(rf'src="/daten/{name}/diagramm/([0-9]+-[a-z-]+-[0-9a-f]{{10}})"', page)
    assert len(keys) >= 2 and len(set(keys)) == len(keys)
    first = client.get(f"/daten/{name}/diagramm/{keys[0]}")
    assert first.status_code == 200 and "vegaEmbed(" in first.text
    # the key names the table, chart type and columns, not the rank
    dist_id, rest = keys[0].split("-", 1)
    kind = rest[:-11]  # "<dist>-<kind>-<10 hex digits>"; kinds may contain "-" (multi-line)
    charts = client.get(f"/api/v1/opendata/distributions/{dist_id}/charts").json()["charts"]
    assert any(c["kind"] == kind for c in charts)
    assert (
        chart_key(1, "bar", ("a", "b")) == chart_key(1, "bar", ("a", "b")) != chart_key(1, "bar", ("b", "a"))
    )
    wrong = f"{dist_id}-{kind}-0000000000"
    assert client.get(f"/daten/{name}/diagramm/{wrong}").status_code == 404
    assert client.get(f"/daten/{name}/diagramm/1").status_code == 200  # numbers still work
