"""Live datasets (registry, versioned snapshots, suppression) and the portal pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gelsencloud.apps.opendata import live
from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.core.principal import SYSTEM
from helpers import PASSWORD

AREAS = "stadtgebiet-bezirke-und-stadtteile"


def test_core_live_dataset_publishes_districts_and_quarters(client, catalog):
    ds = client.get(f"/api/v1/opendata/datasets/{AREAS}").json()
    [dist] = ds["distributions"]
    assert (
        dist["kind"] == "live" and dist["version"] == 1 and dist["row_count"] == 23
    )  # 5 districts + 18 quarters
    rows = client.get(
        f"/api/v1/opendata/distributions/{dist['id']}/rows", params={"ebene": "stadtteil"}
    ).json()
    assert rows["count"] == 18 and all(r["flaeche_km2"] > 0 for r in rows["rows"])
    assert dist["geo"] is True


@pytest.mark.usefixtures("backend")
def test_registered_generators_make_versioned_snapshots_with_suppression(client, db, catalog):
    counts = {"Altstadt": 40, "Buer": 3, "Horst": 12, "Erle": 25}
    spec = live.LiveDataset(
        name="demo-test-zaehlung",
        title="Demo: Zählung je Stadtteil",
        description="synthetisch",
        generate=lambda session: [({"stadtteil": k, "anzahl": v}, None) for k, v in counts.items()],
        counts_people=True,
        count_columns=("anzahl",),
    )
    live.register_live_dataset(spec)
    try:
        with db.transaction(SYSTEM) as session:
            assert live.publish(session, spec) == 1
        counts["Buer"] = 30
        with db.transaction(SYSTEM) as session:
            assert live.publish(session, spec) == 2
        assert "0 live dataset(s)" in live.run_due(db)  # nothing due within the interval
    finally:
        live._REGISTRY.pop(spec.name)
    ds = client.get("/api/v1/opendata/datasets/demo-test-zaehlung").json()
    dist_id = ds["distributions"][0]["id"]
    meta = client.get(f"/api/v1/opendata/distributions/{dist_id}").json()
    assert [v["version"] for v in meta["versions"]] == [2, 1]
    current = {
        r["stadtteil"]: r["anzahl"]
        for r in client.get(f"/api/v1/opendata/distributions/{dist_id}/rows").json()["rows"]
    }
    assert current == {"Altstadt": 40, "Buer": 30, "Horst": 12, "Erle": 25}
    old = client.get(f"/api/v1/opendata/distributions/{dist_id}/rows", params={"version": 1}).json()["rows"]
    first = {r["stadtteil"]: r["anzahl"] for r in old}
    assert first["Buer"] is None and first["Horst"] is None  # 3 < 5, and its complement
    assert first["Altstadt"] == 40
    assert (
        client.get(f"/api/v1/opendata/distributions/{dist_id}/rows", params={"version": 9}).status_code == 404
    )


def _login(client, username):
    response = client.post(
        "/anmelden", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code in (302, 303), response.text[:200]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_catalogue_page_search_and_facets(client, catalog):
    page = client.get("/daten")
    assert page.status_code == 200 and 'lang="de"' in page.text
    assert "Demo: Straßenbäume" in page.text and "Sanierungen" not in page.text
    assert "10 Treffer" in page.text
    searched = client.get("/daten", params={"q": "Wasser"})
    assert "Demo: Wasserverbrauch je Einwohner" in searched.text and "Demo: Straßenbäume" not in searched.text
    faceted = client.get("/daten", params={"organization": "gelsendienste"})
    assert "1 Treffer" in faceted.text and "Abfallmengen" in faceted.text
    english = client.get("/daten", params={"lang": "en"})
    assert "Open data" in english.text and "Demo: street trees" in english.text


def test_dataset_page_shows_distributions_preview_chart_and_apis(client, catalog):
    page = client.get("/daten/demo-abfallmengen-nach-abfallart")
    assert page.status_code == 200
    assert "<caption>abfallmengen.csv" in page.text  # preview table
    assert re.search(
        r'<iframe src="/daten/demo-abfallmengen-nach-abfallart/diagramm/\d+-[a-z-]+-[0-9a-f]{10}"', page.text
    )
    assert "Seitenaufrufe" in page.text  # usage figures
    assert "/dataset/demo-abfallmengen-nach-abfallart.ttl" in page.text and "package_show" in page.text
    assert client.get("/daten/demo-interne-planungsliste-sanierungen").status_code == 404


def test_staff_create_edit_and_upload(client, catalog):
    assert client.get("/daten/neu", follow_redirects=False).status_code == 401
    _login(client, "city.editor")
    form = client.get("/daten/neu")
    assert form.status_code == 200 and '<label for="title">' in form.text
    token = _csrf(form.text)
    refused = client.post("/daten/neu", data={"title": "Demo: X", "csrf": "forged"})
    assert refused.status_code == 403
    created = client.post(
        "/daten/neu",
        data={
            "title": "Demo: Radwege",
            "description": "synthetisch",
            "license_id": "cc-by/4.0",
            "license_attribution": "Stadt (Demo)",
            "themes": ["TRAN", "REGI"],
            "keywords": "Rad, Verkehr",
            "classification": "public",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/daten/demo-radwege"
    invalid = client.post("/daten/neu", data={"title": "Demo: Y", "license_id": "cc-by/4.0", "csrf": token})
    assert invalid.status_code == 400 and "attribution" in invalid.text
    uploaded = client.post(
        "/daten/demo-radwege/hochladen",
        data={"csrf": token, "title": "Radwege 2024"},
        files={"file": ("radwege.csv", b"stadtteil;km\nBuer;12,5\nHorst;8\n")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    page = client.get("/daten/demo-radwege")
    assert "Radwege 2024" in page.text and "Buer" in page.text and "Datensatz bearbeiten" in page.text
    edit = client.get("/daten/demo-radwege/bearbeiten")
    saved = client.post(
        "/daten/demo-radwege/bearbeiten",
        data={
            "title": "Demo: Radwege (neu)",
            "license_id": "dl-zero-de/2.0",
            "classification": "internal",
            "csrf": _csrf(edit.text),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with client.app.state.db.transaction(SYSTEM) as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "demo-radwege"))
        assert dataset.title == "Demo: Radwege (neu)" and dataset.classification == "internal"
        assert {d.classification for d in dataset.distributions} == {"internal"}


def test_viewers_cannot_use_staff_pages(client, catalog):
    _login(client, "city.viewer")
    assert client.get("/daten/neu").status_code == 403


def test_the_scheduled_job_publishes_live_datasets(db, world, settings, registry):
    from gelsencloud.core.city import cached_profile, sync_areas
    from gelsencloud.core.plugins import JobContext

    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
    job = next(j for j in registry.jobs() if j.name == "opendata.live")
    message = job.run(JobContext(db=db, settings=settings))
    assert AREAS in message and "v1" in message
    with db.transaction(SYSTEM) as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == AREAS))
        assert dataset.distributions[0].row_count == 23
    assert "0 live dataset(s)" in job.run(JobContext(db=db, settings=settings))  # not due again yet


def test_maengelmelder_generators_publish_suppressed_aggregates_and_points(
    client, db, world, settings, registry
):
    if "maengelmelder" not in registry.names():
        import pytest

        pytest.skip("Mängelmelder plugin not installed")
    from gelsencloud.core.city import cached_profile, sync_areas
    from gelsencloud.core.plugins import DemoContext

    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
    registry.get("maengelmelder").demo(
        DemoContext(db=db, settings=settings, days=30, seed=3, progress=lambda *a: None)
    )
    specs = {s.name: s for s in live.registered()}
    aggregate = specs["maengelmeldungen-je-bezirk-und-kategorie"]
    points = specs["maengelmeldungen-letzte-90-tage"]
    with db.transaction(SYSTEM) as session:
        live.publish(session, aggregate)
        live.publish(session, points)
    ds = client.get(f"/api/v1/opendata/datasets/{aggregate.name}").json()
    rows = client.get(
        f"/api/v1/opendata/distributions/{ds['distributions'][0]['id']}/rows", params={"_size": "max"}
    ).json()["rows"]
    assert rows, "the demo creates reports"
    visible = [r["anzahl"] for r in rows if r["anzahl"] is not None]
    assert all(v == 0 or v >= 5 for v in visible), "no small count is published"
    geo = client.get(f"/api/v1/opendata/datasets/{points.name}").json()["distributions"][0]
    assert geo["row_count"] > 0 and geo["geo"] is True
    items = client.get(f"/ogc/collections/{points.name}-{geo['id']}/items").json()
    assert items["numberMatched"] == geo["row_count"]
    assert "description" not in items["features"][0]["properties"]
