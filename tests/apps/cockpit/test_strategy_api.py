"""The strategy API under /api/v1/strategy: anonymous reading of published entries, exports, what-if."""

from __future__ import annotations

import csv
import io

import pytest

from helpers import auth

API = "/api/v1/strategy"
COCKPIT = "/api/v1/cockpit"


@pytest.fixture
def keys(imported, world):
    return {name: auth(key) for name, key in world.keys.items()}


def _value(client, headers, kpi, year, value, published):
    response = client.post(
        f"{COCKPIT}/values",
        json={
            "kpi": kpi,
            "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31",
            "value": value,
            "source": "Test",
            "published": published,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.usefixtures("backend")
def test_measures_with_numbers_as_written_and_exports(client, keys):
    measures = client.get(f"{API}/measures").json()
    assert len(measures) == 107
    numbers = [m["number"] for m in measures]
    assert "4.3.4a" in numbers and numbers.index("4.3.4a") == numbers.index("4.3.4") + 1
    one = client.get(f"{API}/measures/4.3.4a").json()
    assert one["title"] == "Fahrgastinformationssystem im ÖPNV" and one["handlungsfeld"] == "4.4.3"
    assert one["period"] == {
        "text": "offen",
        "start": None,
        "end": None,
        "open_ended": False,
        "ongoing": False,
        "precision": "unknown",
    }
    assert one["sdg_goals"] == [
        {
            "number": 9,
            "title_de": "Industrie, Innovation und Infrastruktur",
            "title_en": "Industry, innovation and infrastructure",
        },
        {
            "number": 11,
            "title_de": "Nachhaltige Städte und Gemeinden",
            "title_en": "Sustainable cities and communities",
        },
    ]
    first = client.get(f"{API}/measures/1.1.1").json()
    assert first["period"]["start"] is not None or first["period"]["precision"] == "unknown"
    assert client.get(f"{API}/measures/9.9.9").status_code == 404
    by_sdg = client.get(f"{API}/measures", params={"sdg": 13}).json()
    assert by_sdg and all(13 in m["sdgs"] for m in by_sdg)
    assert client.get(f"{API}/measures", params={"sdg": 18}).status_code == 422
    exported = client.get(f"{API}/measures", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 107
    row = next(r for r in rows if r["number"] == "4.3.4a")
    assert row["sdgs"] == "9 11" and row["leitthema"] == "4.4" and row["status"] == "planned"
    assert client.get(f"{API}/measures", params={"format": "xml"}).status_code == 422


@pytest.mark.usefixtures("backend")
def test_kpis_and_values_anonymous_see_published_only(client, keys):
    editor = keys["city.editor"]
    _value(client, editor, "ti-fixed-broadband", 2023, 80.0, True)
    draft = _value(client, editor, "ti-fixed-broadband", 2024, 90.0, False)
    client.post(
        f"{COCKPIT}/targets", json={"kpi": "ti-fixed-broadband", "year": 2030, "value": 95.0}, headers=editor
    )
    kpis = client.get(f"{API}/kpis").json()
    assert len(kpis) == 132
    broadband = next(k for k in kpis if k["code"] == "ti-fixed-broadband")
    assert broadband["comparison"]["ist"] == 80.0 and broadband["comparison"]["ist_year"] == 2023
    one = client.get(f"{API}/kpis/ti-fixed-broadband").json()
    assert [v["value"] for v in one["values"]] == [80.0]  # the draft stays internal
    assert one["values"][0]["entered_by"] == "Stadt Gelsenkirchen"
    assert [t["value"] for t in one["targets"]] == [95.0]
    staff = client.get(f"{API}/kpis/ti-fixed-broadband", headers=keys["city.viewer"]).json()
    assert sorted(v["value"] for v in staff["values"]) == [80.0, 90.0]
    assert client.get(f"{API}/kpis/gp-dataset-usage").json()["code"] == "od-dataset-usage"
    assert client.get(f"{API}/kpis/nope").status_code == 404
    table = list(csv.DictReader(io.StringIO(client.get(f"{API}/kpis", params={"format": "csv"}).text)))
    assert len(table) == 132
    row = next(r for r in table if r["code"] == "ti-fixed-broadband")
    assert (
        row["ist"] == "80.0" and row["ist_year"] == "2023" and "U4SSC EC: ICT: ICT: 2C" in row["frameworks"]
    )
    values = client.get(f"{API}/values", params={"format": "csv"}).text
    assert values.count("\n") == 2 and ",80.0," in values and ",90.0," not in values
    assert len(client.get(f"{API}/values", headers=keys["city.viewer"]).json()) == 2
    assert all(v["id"] != draft for v in client.get(f"{API}/values", headers=keys["net.admin"]).json())


def test_sdgs_and_timeline(client, keys):
    sdgs = client.get(f"{API}/sdgs").json()
    assert [g["number"] for g in sdgs] == list(range(1, 18))
    assert sdgs[10]["title_de"] == "Nachhaltige Städte und Gemeinden"
    assert "4.3.4a" in sdgs[8]["measures"] and "4.3.4a" in sdgs[10]["measures"]
    total_links = sum(len(g["measures"]) for g in sdgs)
    measures = client.get(f"{API}/measures").json()
    assert total_links == sum(len(m["sdgs"]) for m in measures)
    timeline = client.get(f"{API}/timeline").json()
    rows = timeline["measures"]
    assert len(rows) == 107
    dated = [r for r in rows if r["start"]]
    assert [r["start"] for r in dated] == sorted(r["start"] for r in dated)
    assert rows[-1]["start"] is None and rows[-1]["end"] is None  # undated ones come last
    assert timeline["axis"]["start"] <= dated[0]["start"]


@pytest.mark.usefixtures("backend")
def test_what_if_ranking_shows_rank_changes(client, keys):
    editor = keys["city.editor"]
    for number, points in (("1.4.1", (5, 1, 3)), ("2.2.1", (1, 5, 3)), ("3.1.1", (3, 3, 3))):
        for key, p in zip(("machbarkeit", "wirtschaftlichkeit", "zielgenauigkeit"), points, strict=True):
            r = client.post(
                f"{COCKPIT}/scores", json={"measure": number, "criterion": key, "points": p}, headers=editor
            )
            assert r.status_code == 201, r.text
    # configured weights are equal: all three score 60 %, ties broken by number
    base = client.get(f"{API}/ranking", headers=keys["city.viewer"]).json()
    assert [(r["measure"], r["rank"], r["delta"]) for r in base["ranking"]] == [
        ("1.4.1", 1, 0),
        ("2.2.1", 2, 0),
        ("3.1.1", 3, 0),
    ]
    shifted = client.get(
        f"{API}/ranking", params={"weight_wirtschaftlichkeit": "3"}, headers=keys["city.viewer"]
    ).json()
    # 2.2.1: (1/5*1 + 5/5*3 + 3/5*1) / 5 = 76 %; 3.1.1: 60 %; 1.4.1: (1 + 0.2*3 + 0.6) / 5 = 44 %
    assert [
        (r["measure"], r["rank"], r["base_rank"], r["delta"], r["score_percent"]) for r in shifted["ranking"]
    ] == [
        ("2.2.1", 1, 2, 1, 76.0),
        ("3.1.1", 2, 3, 1, 60.0),
        ("1.4.1", 3, 1, -2, 44.0),
    ]
    assert {c["key"]: c["weight"] for c in shifted["criteria"]}["wirtschaftlichkeit"] == 3.0
    # nothing was saved
    criteria = client.get(f"{COCKPIT}/criteria", headers=keys["city.viewer"]).json()
    assert {c["key"]: c["weight"] for c in criteria}["wirtschaftlichkeit"] == 1.0
    bad = client.get(f"{API}/ranking", params={"weight_bogus": "2"}, headers=keys["city.viewer"])
    assert bad.status_code == 400 and "bogus" in bad.json()["error"]["message"]
    assert (
        client.get(
            f"{API}/ranking", params={"weight_machbarkeit": "viel"}, headers=keys["city.viewer"]
        ).status_code
        == 400
    )
    assert (
        client.get(
            f"{API}/ranking", params={"weight_machbarkeit": "-1"}, headers=keys["city.viewer"]
        ).status_code
        == 400
    )
    assert client.get(f"{API}/ranking").status_code == 401  # scores are internal
    outsider = client.get(f"{API}/ranking", headers=keys["net.admin"]).json()
    assert outsider == {"criteria": [], "ranking": []}


def test_cockpit_api_still_answers(client, keys):
    assert len(client.get(f"{COCKPIT}/measures").json()) == 107
    paths = {route.path for route in client.app.state.endpoints}  # every endpoint stays enumerable
    assert {f"{API}/measures", f"{API}/kpis", f"{COCKPIT}/measures", f"{COCKPIT}/kpis"} <= paths
    documented = client.get("/api/openapi.json").json()["paths"]
    assert {f"{API}/measures", f"{API}/measures/{{number}}", f"{API}/kpis/{{code}}", f"{API}/ranking"} <= set(
        documented
    )
