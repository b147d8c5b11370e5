"""Importing the measure and KPI files into the database: idempotent, duplicates as findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from gelsencloud.apps.cockpit import service
from gelsencloud.apps.cockpit.catalog_file import DEFAULT_PATH as MEASURES_FILE
from gelsencloud.apps.cockpit.importer import import_catalogs
from gelsencloud.apps.cockpit.kpi_catalog_file import load_kpis
from gelsencloud.apps.cockpit.models import Finding, Kpi, Measure, MeasureChange
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.principal import SYSTEM

GP_DUPLICATES = {"gp-datasets-published", "gp-apps-built", "gp-dataset-usage", "gp-intersectoral-sources"}


@pytest.mark.usefixtures("backend")
def test_import_creates_catalogue_once_and_reports_duplicates(db, world):
    with db.transaction(SYSTEM) as session:
        first = import_catalogs(session)
    assert (first.measures_created, first.kpis_created) == (107, 132)
    assert set(first.duplicates_not_imported) == GP_DUPLICATES
    assert first.findings_created == 4
    with db.transaction(SYSTEM) as session:
        second = import_catalogs(session)
    assert (second.measures_created, second.measures_updated, second.measures_unchanged) == (0, 0, 107)
    assert (second.kpis_created, second.kpis_updated, second.findings_created) == (0, 0, 0)
    with db.transaction() as session:  # anonymous: the catalogue is public
        assert session.scalar(select(func.count()).select_from(Measure)) == 107
        assert session.scalar(select(func.count()).select_from(Kpi)) == 132
        codes = set(session.scalars(select(Kpi.code)))
        assert not codes & GP_DUPLICATES
        assert session.scalar(select(func.count()).select_from(MeasureChange)) == 0
        findings = service.list_findings(session)
    assert {f.subject for f in findings} == {
        "od-datasets-published",
        "od-apps-built",
        "od-dataset-usage",
        "od-intersectoral-sources",
    }
    usage = next(f for f in findings if f.subject == "od-dataset-usage")
    assert usage.kind == "duplicate_kpi" and usage.details["duplicate_ids"] == ["gp-dataset-usage"]
    assert "Gesundheit & Pflege" in usage.message_de


def test_catalogue_fields_follow_the_file(imported):
    with imported.transaction() as session:
        measure = service.get_measure(session, "1.4.1")
        kpi = service.get_kpi(session, "ti-household-internet")
        alias = service.get_kpi(session, "gp-apps-built")
    assert measure.leitthema == "4.1" and measure.handlungsfeld_title == "Urbane Datenplattform & Open Data"
    assert measure.status == "planned" and measure.classification == "public"
    assert kpi.frameworks[0]["code"] == "EC: ICT: ICT: 1C" and kpi.direction == "increase"
    assert service.u4ssc_category(kpi) == "EC: ICT: ICT"
    # a duplicate id of the document resolves to the canonical KPI instead of a copy
    assert alias.code == "od-apps-built" and alias.also_listed_as == ["gp-apps-built"]
    catalog = load_kpis()
    assert len(catalog) == 136


def test_reimport_keeps_staff_fields_and_records_catalogue_changes(
    imported, editor, city_viewer, tmp_path: Path
):
    with imported.transaction(editor) as session:
        service.update_measure(session, "1.4.1", status="running", responsible_unit="Referat 10")
    doc = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    for item in doc["measures"]:
        if item["number"] == "1.4.1":
            item["title"] = "Datendrehscheibe (neuer Titel)"
    doc["version"] = 2
    changed = tmp_path / "measures.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with imported.transaction(editor) as session:
        report = import_catalogs(session, measures_path=changed)
    assert report.measures_updated == 107  # catalog_version changed on every measure
    with imported.transaction() as session:  # the history names staff: internal
        assert service.measure_history(session, "1.4.1") == []
    with imported.transaction(city_viewer) as session:
        measure = service.get_measure(session, "1.4.1")
        history = service.measure_history(session, "1.4.1")
    assert measure.title == "Datendrehscheibe (neuer Titel)"
    assert (measure.status, measure.responsible_unit) == ("running", "Referat 10")
    title_change = next(h for h in history if h.field == "title")
    assert title_change.actor == "city.editor" and title_change.note == "Katalogimport Version 2"
    assert {h.field for h in history} >= {"status", "responsible_unit", "title", "catalog_version"}


def test_only_city_staff_may_import(db, world, outsider):
    with pytest.raises(PermissionDenied):
        with db.transaction(outsider) as session:
            import_catalogs(session)
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Measure)) == 0
        assert session.scalar(select(func.count()).select_from(Finding)) == 0
