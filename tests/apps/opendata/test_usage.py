"""Usage statistics per dataset: views, downloads, API calls; robots excluded; the cockpit KPI."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import ckanapi
import pytest
from sqlalchemy import inspect, select

from gelsencloud.apps.cockpit.importer import import_catalogs
from gelsencloud.apps.cockpit.live import OpenDataKpis, run_live_kpis
from gelsencloud.apps.cockpit.models import KpiValue
from gelsencloud.apps.opendata import service, usage
from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.core.principal import SYSTEM

TREES = "demo-strassenbaeume"
INTERNAL = "demo-interne-planungsliste-sanierungen"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"}
ROBOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; YandexSpider/3.0)",
    "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "Some-Crawler/1.0",
)


def _usage(client, name: str) -> dict:
    response = client.get(f"/api/v1/opendata/datasets/{name}/usage", headers=BROWSER)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("backend")
def test_views_downloads_and_api_calls_are_counted_and_robots_are_not(client, catalog):
    ds = client.get(f"/api/v1/opendata/datasets/{TREES}", headers=BROWSER).json()  # 1 API call
    dist = next(d for d in ds["distributions"] if d["geo"])  # the GeoJSON file (the other is a link)
    before = _usage(client, TREES)
    assert before["api_calls"] == {"total": 1, "recent": 1} and before["views"]["total"] == 0

    for _ in range(3):
        assert client.get(f"/daten/{TREES}", headers=BROWSER).status_code == 200
    for agent in ROBOTS:
        assert client.get(f"/daten/{TREES}", headers={"User-Agent": agent}).status_code == 200
        assert (
            client.get(
                f"/api/v1/opendata/distributions/{dist['id']}/export.csv", headers={"User-Agent": agent}
            ).status_code
            == 200
        )
    # downloads: the original file and two exports; a chart's or map's data fetch is not a download
    assert client.get(f"/api/v1/opendata/distributions/{dist['id']}/file", headers=BROWSER).status_code == 200
    for fmt in ("csv", "geojson"):
        assert (
            client.get(
                f"/api/v1/opendata/distributions/{dist['id']}/export.{fmt}", headers=BROWSER
            ).status_code
            == 200
        )
    assert (
        client.get(
            f"/api/v1/opendata/distributions/{dist['id']}/export.json?_chart=1", headers=BROWSER
        ).status_code
        == 200
    )
    # API calls: data API, CKAN package_show and resource_show, OGC API items and one item
    assert client.get(f"/api/v1/opendata/distributions/{dist['id']}/rows", headers=BROWSER).status_code == 200
    assert client.get("/api/3/action/package_show", params={"id": TREES}, headers=BROWSER).status_code == 200
    assert (
        client.get(
            "/api/3/action/resource_show", params={"id": dist["identifier"]}, headers=BROWSER
        ).status_code
        == 200
    )
    collection = f"/ogc/collections/{TREES}-{dist['id']}"
    assert client.get(collection + "/items", params={"limit": 5}, headers=BROWSER).status_code == 200
    assert client.get(collection + "/items/1", headers=BROWSER).status_code == 200
    # failed requests are not counted
    assert (
        client.get(
            f"/api/v1/opendata/distributions/{dist['id']}/rows?nosuchcolumn=1", headers=BROWSER
        ).status_code
        == 400
    )
    assert client.get(collection + "/items/999999", headers=BROWSER).status_code == 404

    figures = _usage(client, TREES)
    assert figures["views"] == {"total": 3, "recent": 3}
    assert figures["downloads"] == {"total": 3, "recent": 3}
    assert figures["api_calls"] == {"total": 1 + 1 + 2 + 2, "recent": 6}
    today = figures["daily"][-1]
    assert today == {"date": usage.today().isoformat(), "views": 3, "downloads": 3, "api_calls": 6}
    assert len(figures["daily"]) == 30 and all(d["views"] == 0 for d in figures["daily"][:-1])

    # CKAN's tracking_summary: page views of the package, downloads of each resource
    package = client.get("/api/3/action/package_show", params={"id": TREES}, headers=BROWSER).json()["result"]
    assert package["tracking_summary"] == {"total": 3, "recent": 3}
    resources = {r["id"]: r["tracking_summary"] for r in package["resources"]}
    assert resources[dist["identifier"]] == {"total": 3, "recent": 3}
    assert sorted(resources.values(), key=lambda t: t["total"])[0] == {"total": 0, "recent": 0}  # the link
    assert package["usage"]["api_calls"]["total"] == 6  # counted after this response was built

    page = client.get(f"/daten/{TREES}", headers=BROWSER).text
    assert "Seitenaufrufe</th><td>3</td>" in page and "Downloads</th><td>3</td>" in page
    assert "API-Abrufe</th><td>7</td>" in page


@pytest.mark.usefixtures("backend")
def test_counters_keep_no_request_data_and_internal_usage_stays_internal(client, db, catalog):
    columns = {c["name"] for c in inspect(db.engine).get_columns("opendata_usage")}
    assert columns == {"id", "dataset_id", "distribution_id", "day", "kind", "count"}  # no IP, agent, time
    assert client.get(f"/api/v1/opendata/datasets/{INTERNAL}/usage").status_code == 404
    assert client.get("/api/v1/opendata/datasets/does-not-exist/usage").status_code == 404
    assert client.get(f"/api/v1/opendata/datasets/{TREES}/usage?days=0").status_code == 400
    assert client.get(f"/api/v1/opendata/datasets/{TREES}/usage?days=400").status_code == 400


def test_ckanapi_calls_are_api_calls(served, db):
    ckan = ckanapi.RemoteCKAN(served)  # user agent "ckanapi/…": a program, not a robot
    package = ckan.action.package_show(id=TREES)
    ckan.action.resource_show(id=package["resources"][0]["id"])
    # the server counts after sending the response, so the second count may land a moment later
    deadline = time.monotonic() + 10
    while True:
        with db.transaction(SYSTEM) as session:
            dataset = service.get_dataset(session, TREES)
            total = usage.dataset_usage(session, dataset.id)["api_calls"]["total"]
        if total >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert total == 2


def _seed_counts(db) -> None:
    with db.transaction(SYSTEM) as session:
        public = session.scalar(select(Dataset).where(Dataset.name == TREES)).id
        internal = session.scalar(select(Dataset).where(Dataset.name == INTERNAL)).id
    may_first, may_last = date(2026, 5, 1), date(2026, 5, 31)
    usage.count(db.engine, public, usage.VIEW, day=date(2026, 4, 30), n=1000)  # before the month
    usage.count(db.engine, public, usage.VIEW, day=may_first, n=7)
    usage.count(db.engine, public, usage.DOWNLOAD, 3, day=may_first, n=5)
    usage.count(db.engine, public, usage.DOWNLOAD, 3, day=may_first, n=2)  # upsert adds to the row
    usage.count(db.engine, public, usage.API, day=may_last, n=11)
    usage.count(db.engine, internal, usage.VIEW, day=date(2026, 5, 15), n=500)  # not open data
    usage.count(db.engine, public, usage.API, day=date(2026, 6, 1), n=2000)  # after the month


@pytest.mark.usefixtures("backend")
def test_usage_count_is_the_half_open_period_of_public_datasets(db, catalog):
    _seed_counts(db)
    with db.transaction(SYSTEM) as session:
        may = service.usage_count(session, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
        assert may == 7 + 5 + 2 + 11
        assert service.usage_count(session, date(2026, 5, 1), date(2026, 5, 31)) == 7 + 7  # end excluded
        # a day belongs to a period when its UTC midnight does; an end "now" includes today so far
        assert (
            service.usage_count(
                session, datetime(2026, 5, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 5, 31, 9, tzinfo=UTC)
            )
            == 11
        )
        assert (
            service.usage_count(session, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
            == 1000 + 25 + 2000
        )
        assert service.usage_count(session, date(2027, 1, 1), date(2028, 1, 1)) == 0


@pytest.mark.usefixtures("backend")
def test_cockpit_kpi_opendata_dataset_usage_gets_the_last_full_month(db, catalog):
    _seed_counts(db)
    with db.transaction(SYSTEM) as session:
        import_catalogs(session)  # the KPI catalogue says od-dataset-usage is monthly
    with db.transaction(SYSTEM) as session:
        report = run_live_kpis(session, [OpenDataKpis()], now=datetime(2026, 6, 30, 12, tzinfo=UTC))
    assert not report.providers_failed, report.providers_failed
    with db.transaction(SYSTEM) as session:
        value = session.scalar(select(KpiValue).where(KpiValue.kpi_code == "od-dataset-usage"))
    assert value is not None and value.value == 7 + 5 + 2 + 11
    assert (value.period_start, value.period_end) == (date(2026, 5, 1), date(2026, 5, 31))
    assert value.classification == "public" and value.source == "opendata usage_count"


def test_is_bot_matches_the_robot_markers_only():
    assert all(usage.is_bot(agent) for agent in ROBOTS)
    assert (
        not usage.is_bot(BROWSER["User-Agent"]) and not usage.is_bot("ckanapi/4.7") and not usage.is_bot(None)
    )
    with pytest.raises(ValueError):
        usage.count(None, 1, "like")
