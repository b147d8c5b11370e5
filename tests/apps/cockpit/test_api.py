"""JSON API under /api/v1/cockpit: public catalogue, staff writes, drafts and scores internal."""

from __future__ import annotations

import pytest

from helpers import auth

API = "/api/v1/cockpit"


@pytest.fixture
def keys(imported, world):
    return {name: auth(key) for name, key in world.keys.items()}


def test_catalogue_is_public(client, keys):
    measures = client.get(f"{API}/measures").json()
    assert len(measures) == 107 and measures[0]["number"] == "1.1.1"
    assert {m["leitthema"] for m in client.get(f"{API}/measures", params={"leitthema": "4.2"}).json()} == {
        "4.2"
    }
    one = client.get(f"{API}/measures/1.4.1").json()
    assert one["handlungsfeld_title"] == "Urbane Datenplattform & Open Data" and one["history"] == []
    assert one["scores"] == {}
    assert client.get(f"{API}/measures/9.9.9").status_code == 404
    kpis = client.get(f"{API}/kpis").json()
    assert len(kpis) == 132
    kpi = client.get(f"{API}/kpis/gp-dataset-usage").json()  # duplicate id resolves to the canonical KPI
    assert kpi["code"] == "od-dataset-usage" and kpi["also_listed_as"] == ["gp-dataset-usage"]
    assert kpi["comparison"]["status"] == "no_data"
    findings = client.get(f"{API}/findings").json()
    assert len(findings) == 4 and {f["kind"] for f in findings} == {"duplicate_kpi"}
    assert client.get(f"{API}/criteria").json() == []  # the evaluation matrix is internal
    assert len(client.get(f"{API}/criteria", headers=keys["city.viewer"]).json()) == 5


def test_measure_edits_need_city_staff_and_are_recorded(client, keys):
    body = {"status": "running", "responsible_unit": "Referat Digitalisierung", "note": "Start"}
    assert client.patch(f"{API}/measures/1.4.1", json=body).status_code == 401
    assert client.patch(f"{API}/measures/1.4.1", json=body, headers=keys["city.viewer"]).status_code == 403
    assert client.patch(f"{API}/measures/1.4.1", json=body, headers=keys["net.admin"]).status_code == 403
    assert (
        client.patch(
            f"{API}/measures/1.4.1", json={"status": "bogus"}, headers=keys["city.editor"]
        ).status_code
        == 422
    )
    ok = client.patch(f"{API}/measures/1.4.1", json=body, headers=keys["city.editor"])
    assert ok.status_code == 200 and ok.json()["status"] == "running"
    history = client.get(f"{API}/measures/1.4.1", headers=keys["city.viewer"]).json()["history"]
    assert [(h["field"], h["old"], h["new"], h["note"]) for h in history][-1] == (
        "status",
        "planned",
        "running",
        "Start",
    )
    assert client.get(f"{API}/measures/1.4.1").json()["history"] == []
    progress = {row["handlungsfeld"]: row for row in client.get(f"{API}/progress").json()}
    assert progress["4.1.4"]["running"] == 1


@pytest.mark.usefixtures("backend")
def test_values_targets_and_comparison(client, keys):
    editor = keys["city.editor"]
    for year, value, published in ((2022, 20.0, True), (2023, 25.0, True), (2024, 27.0, False)):
        response = client.post(
            f"{API}/values",
            json={
                "kpi": "od-datasets-published",
                "period_start": f"{year}-01-01",
                "period_end": f"{year}-12-31",
                "value": value,
                "source": "Portal",
                "method": "Zählung",
                "data_quality": 1,
                "published": published,
            },
            headers=editor,
        )
        assert response.status_code == 201, response.text
    draft_id = response.json()["id"]
    assert response.json()["published"] is False and response.json()["entered_by"].endswith(":city.editor")
    bad = client.post(
        f"{API}/values", json={"kpi": "nope", "period_start": "2024-01-01", "value": 1}, headers=editor
    )
    assert bad.status_code == 404
    anonymous = client.get(f"{API}/values", params={"kpi": "od-datasets-published"}).json()
    assert [v["value"] for v in anonymous] == [20.0, 25.0]
    assert {v["entered_by"] for v in anonymous} == {"Stadt Gelsenkirchen"}  # staff names stay internal
    assert client.get(f"{API}/values/{draft_id}").status_code == 404
    staff = client.get(
        f"{API}/values", params={"kpi": "od-datasets-published"}, headers=keys["city.viewer"]
    ).json()
    assert len(staff) == 3
    csv = client.get(f"{API}/values", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") == 3
    target = client.post(
        f"{API}/targets", json={"kpi": "od-datasets-published", "year": 2023, "value": 50.0}, headers=editor
    )
    assert target.status_code == 201
    comparison = client.get(f"{API}/comparisons/od-datasets-published").json()
    assert comparison["ist"] == 25.0 and comparison["share_reached"] == 0.5
    assert comparison["u4ssc_points"] == 2 and comparison["status"] == "off_track"
    # the draft of 2024 counts for the city's staff only
    staff_view = client.get(f"{API}/comparisons/od-datasets-published", headers=keys["city.viewer"]).json()
    assert staff_view["ist"] == 27.0 and staff_view["soll_kind"] == "previous"
    scored = [row for row in client.get(f"{API}/u4ssc").json() if row["kpis_scored"]]
    assert scored == [
        {
            "group": "EC: ICT: PS",
            "kpis": scored[0]["kpis"],
            "kpis_scored": 1,
            "points": 2,
            "max_points": 4,
            "score": 0.5,
            "band": "33–66 %",
            "status_counts": scored[0]["status_counts"],
        }
    ]
    assert client.patch(f"{API}/values/{draft_id}", json={"published": True}, headers=editor).json()[
        "published"
    ]
    assert client.delete(f"{API}/values/{draft_id}", headers=keys["net.admin"]).status_code == 403
    assert client.delete(f"{API}/values/{draft_id}", headers=editor).status_code == 204
    assert (
        client.get(f"{API}/comparisons", params={"with_data_only": True}).json()[0]["kpi"]
        == "od-datasets-published"
    )


def test_csv_upload_reports_row_errors(client, keys):
    headers = {**keys["city.editor"], "Content-Type": "text/csv"}
    bad = "kpi,period_start,value\nti-fixed-broadband,2023,80\nti-fixed-broadband,2023,achtzig\n"
    response = client.post(f"{API}/values/csv", content=bad.encode(), headers=headers)
    assert response.status_code == 400
    assert "row 3" in response.json()["error"]["message"]
    assert client.get(f"{API}/values", headers=keys["city.viewer"]).json() == []
    good = "kpi,period_start,value,published\nti-fixed-broadband,2023,80,ja\n"
    response = client.post(f"{API}/values/csv", content=good.encode(), headers=headers)
    assert response.status_code == 201 and response.json()["imported"] == 1
    assert (
        client.post(
            f"{API}/values/csv", content=good.encode(), headers={"Content-Type": "text/csv"}
        ).status_code
        == 401
    )


@pytest.mark.usefixtures("backend")
def test_evaluation_scores_are_internal_and_ranked(client, keys):
    editor = keys["city.editor"]
    for number, points in (("1.4.1", (5, 4, 5)), ("2.2.1", (2, 3, 1)), ("3.1.1", (5, 5, 5))):
        for key, p in zip(("machbarkeit", "wirtschaftlichkeit", "zielgenauigkeit"), points, strict=True):
            response = client.post(
                f"{API}/scores", json={"measure": number, "criterion": key, "points": p}, headers=editor
            )
            assert response.status_code == 201, response.text
    too_many = client.post(
        f"{API}/scores", json={"measure": "1.4.1", "criterion": "machbarkeit", "points": 9}, headers=editor
    )
    assert too_many.status_code == 400
    weighted = client.patch(f"{API}/criteria/zielgenauigkeit", json={"weight": 2}, headers=editor)
    assert weighted.json()["weight"] == 2.0
    ranking = client.get(f"{API}/scores", headers=keys["city.viewer"]).json()
    assert [(r["rank"], r["measure"], r["score_percent"]) for r in ranking] == [
        (1, "3.1.1", 100.0),
        (2, "1.4.1", 95.0),  # (5/5 + 4/5 + 2 * 5/5) / 4
        (3, "2.2.1", 35.0),  # (2/5 + 3/5 + 2 * 1/5) / 4
    ]
    assert client.get(f"{API}/scores").json() == []  # anonymous: scores are internal
    csv = client.get(f"{API}/scores", params={"format": "csv"}, headers=keys["city.viewer"]).text
    assert csv.splitlines()[1].startswith("1,3.1.1,") and csv.splitlines()[1].endswith(",100.00,ja")
    assert (
        client.get(f"{API}/measures/1.4.1", headers=keys["city.viewer"]).json()["scores"]["machbarkeit"] == 5
    )
