"""Services as data, the KPI provider, the anonymised open-data view and the demo generator."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import SEED_FILE
from gelsencloud.apps.maengelmelder.kpi import KPI_ID, ReportKpis
from gelsencloud.apps.maengelmelder.models import Report, Service
from gelsencloud.apps.maengelmelder.opendata import FIELDS, public_report_view
from gelsencloud.core.models import utcnow
from gelsencloud.core.plugins import DemoContext
from gelsencloud.core.principal import SYSTEM


def test_services_come_from_the_seed_file_and_reseeding_updates_them(
    db, world, city_id, tmp_path, monkeypatch
):
    with db.transaction() as session:
        codes = [s.code for s in svc.list_services(session, city_id)]
    raw = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    assert codes == [s["code"] for s in raw["services"]]
    assert {"ablagerung", "sperrmuell", "baum-gruen"} <= set(codes)  # defects plus other municipal services
    with db.transaction() as session:
        dumping = svc.get_service(session, city_id, "ablagerung")
        assert any(a["code"] == "menge" and a["required"] for a in dumping.attributes)  # quantity
    raw["services"].append(
        {"code": "winterdienst", "name": "Winterdienst", "department": "strassen", "attributes": []}
    )
    raw["services"][0]["name"] = "Wilder Müll"
    changed = tmp_path / "services.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_SEED_FILE", str(changed))
    with db.transaction(SYSTEM) as session:
        assert svc.seed_services(session, city_id) == 2
        assert svc.seed_services(session, city_id) == 0  # idempotent
        assert svc.get_service(session, city_id, "ablagerung").name == "Wilder Müll"
        assert session.scalar(select(func.count()).select_from(Service)) == len(codes) + 1


def test_invalid_datatypes_in_the_seed_are_refused(db, world, city_id, tmp_path, monkeypatch):
    raw = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    raw["services"][0]["attributes"][0]["datatype"] = "colour"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_SEED_FILE", str(bad))
    with pytest.raises(svc.InvalidInput):
        with db.transaction(SYSTEM) as session:
            svc.seed_services(session, city_id)


def _report(session, city_id, code, lat, lon, days_ago=1):
    service = svc.get_service(session, city_id, code)
    attrs = {"ablagerung": {"menge": "klein"}, "beleuchtung": {"fehler": "aus"}}[code]
    new = svc.NewReport(
        service=service, lat=lat, lon=lon, attributes=attrs, requested_at=utcnow() - timedelta(days=days_ago)
    )
    return svc.create_report(session, new)


@pytest.mark.usefixtures("backend")
def test_kpi_counts_per_period_category_and_district(db, world, city_id, registry):
    assert any(KPI_ID in p.kpi_ids for p in registry.kpi_providers())
    with db.transaction(SYSTEM) as session:
        _report(session, city_id, "ablagerung", 51.577, 7.057)  # Buer (nord)
        _report(session, city_id, "ablagerung", 51.516, 7.095)  # mitte
        _report(session, city_id, "beleuchtung", 51.5165, 7.0955)  # mitte
        _report(session, city_id, "ablagerung", 51.516, 7.095, days_ago=40)  # outside the period
    end = utcnow()
    with db.transaction() as session:
        values = ReportKpis().compute(session, end - timedelta(days=7), end)
    total = next(v for v in values if v.district_code is None)
    assert total.value == 3.0
    assert total.details["per_category"] == {"Illegale Müllablagerung": 2, "Defekte Straßenbeleuchtung": 1}
    per_district = {v.district_code: v.value for v in values if v.district_code}
    assert per_district == {"nord": 1.0, "mitte": 2.0}
    mitte = next(v for v in values if v.district_code == "mitte")
    assert mitte.details["per_category"] == {"Illegale Müllablagerung": 1, "Defekte Straßenbeleuchtung": 1}


def test_open_data_view_is_anonymised(db, world, city_id, client):
    with db.transaction(SYSTEM) as session:
        public = _report(session, city_id, "ablagerung", 51.516123, 7.095456)
        public.description = "Demo: Name Mustermann steht hier"
        hidden = _report(session, city_id, "beleuchtung", 51.52, 7.09)
        svc.moderate_report(session, hidden, approve=False, reason="test")
    with db.transaction(SYSTEM) as session:  # even the system gets only public reports
        rows = public_report_view(session)
    assert len(rows) == 1
    [row] = rows
    assert tuple(row) == FIELDS
    assert (
        row["category_code"] == "ablagerung"
        and row["district"] == "Gelsenkirchen-Mitte"
        and row["status"] == "open"
    )
    assert row["date"] == public.requested_at.date().isoformat()
    assert abs(row["lat"] - 51.516123) < 0.0009 and abs(row["lon"] - 7.095456) < 0.0015
    assert (row["lat"], row["lon"]) != (51.516123, 7.095456)
    near = public_report_view.__globals__["round_to_grid"](51.51615, 7.09549)
    assert near == (row["lat"], row["lon"])  # points in the same ~100 m cell collapse
    api = client.get("/api/v1/maengelmelder/open-data").json()
    assert api == rows and "Mustermann" not in str(api)


def test_demo_creates_about_200_labelled_synthetic_reports(db, world, settings):
    ctx = DemoContext(db=db, settings=settings, days=30, seed=7, progress=lambda *a: None)
    from gelsencloud.apps.maengelmelder.demo import generate

    generate(ctx)
    with db.transaction(SYSTEM) as session:
        reports = list(session.scalars(select(Report)))
    assert len(reports) == 200
    assert all(r.synthetic and "synthetisch" in r.description for r in reports)
    share = Counter(r.service_code for r in reports)["ablagerung"] / len(reports)
    assert 0.55 < share < 0.78
    assert len({r.district_code for r in reports}) == 5 and None not in {r.district_code for r in reports}
    assert min(r.requested_at for r in reports) > utcnow() - timedelta(days=31)
    assert {"fixed", "acknowledged", "in_progress"} <= {r.status for r in reports}
