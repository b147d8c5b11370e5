"""IST values, SOLL targets, measure editing, links, comparisons and CSV import/export."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from gelsencloud.apps.cockpit import csv_io, service
from gelsencloud.apps.cockpit.models import KpiValue
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.identity import InvalidInput
from gelsencloud.core.principal import SYSTEM


def _value(kpi: str, year: int, value: float, **kw) -> service.ValueInput:
    return service.ValueInput(kpi, date(year, 1, 1), date(year, 12, 31), value, **kw)


@pytest.mark.usefixtures("backend")
def test_measure_status_change_is_validated_and_kept_in_history(imported, editor, city_viewer):
    with imported.transaction(editor) as session:
        service.update_measure(session, "2.2.1", status="running", datasets="luftdaten, pegel\nwetter")
        service.update_measure(session, "2.2.1", status="done", note="abgenommen")
        with pytest.raises(InvalidInput):
            service.update_measure(session, "2.2.1", status="finished")
        with pytest.raises(InvalidInput):
            service.update_measure(session, "2.2.1", title="Neu")
    with pytest.raises(PermissionDenied):
        with imported.transaction(city_viewer) as session:
            service.update_measure(session, "2.2.1", status="paused")
    with imported.transaction() as session:
        assert service.measure_history(session, "2.2.1") == []  # names staff: internal only
    with imported.transaction(city_viewer) as session:
        measure = service.get_measure(session, "2.2.1")
        history = service.measure_history(session, "2.2.1")
    assert measure.status == "done" and measure.datasets == ["luftdaten", "pegel", "wetter"]
    assert [(h.field, h.old_value, h.new_value) for h in history if h.field == "status"] == [
        ("status", "running", "done"),
        ("status", "planned", "running"),
    ]
    assert history[0].actor == "city.editor" and history[0].note == "abgenommen"


@pytest.mark.usefixtures("backend")
def test_values_carry_provenance_and_drafts_stay_internal(imported, editor, outsider):
    with imported.transaction(editor) as session:
        published = service.add_value(
            session,
            _value(
                "ti-household-internet",
                2023,
                91.5,
                source="Zensus",
                method="Befragung",
                data_quality=2,
                published=True,
            ),
        )
        draft = service.add_value(session, _value("ti-household-internet", 2024, 93.0))
        district = service.add_value(
            session, _value("ru-green-area-share", 2024, 31.0, district_code="buer", published=True)
        )
        with pytest.raises(InvalidInput, match="district"):
            service.add_value(session, _value("ru-green-area-share", 2024, 1.0, district_code="atlantis"))
        with pytest.raises(InvalidInput, match="data_quality"):
            service.add_value(session, _value("ru-green-area-share", 2024, 1.0, data_quality=9))
        with pytest.raises(InvalidInput, match="before"):
            service.add_value(
                session, service.ValueInput("ru-green-area-share", date(2024, 2, 1), date(2024, 1, 1), 1.0)
            )
    assert published.entered_by == "city.editor" and published.origin == "manual"
    with pytest.raises(PermissionDenied):
        with imported.transaction(outsider) as session:
            service.add_value(session, _value("ti-household-internet", 2024, 1.0, published=True))
    with imported.transaction() as session:  # anonymous sees published values only
        assert [v.id for v in service.list_values(session, kpi_code="ti-household-internet")] == [
            published.id
        ]
        assert service.get_kpi(session, "ru-green-area-share").spatial
        assert [v.id for v in service.list_values(session, district_code="buer")] == [district.id]
    with imported.transaction(editor) as session:
        assert len(service.list_values(session, kpi_code="ti-household-internet")) == 2
        service.set_value_published(session, draft.id, True)
    with imported.transaction() as session:
        assert len(service.list_values(session, kpi_code="ti-household-internet")) == 2


@pytest.mark.usefixtures("backend")
def test_targets_and_comparison(imported, editor):
    with imported.transaction(editor) as session:
        for year, value in ((2021, 80.0), (2022, 84.0), (2023, 88.0)):
            service.add_value(session, _value("ti-household-internet", year, value, published=True))
        service.set_target(session, "ti-household-internet", 2030, 98.0)
        service.set_target(
            session, "ti-household-internet", 2030, 100.0, basis="Gigabitstrategie"
        )  # replaces
        for year, value in ((2022, 40.0), (2023, 38.0)):
            service.add_value(session, _value("iv-traffic-fatalities", year, value, published=True))
        service.set_target(session, "iv-traffic-fatalities", 2023, 20.0)
        with pytest.raises(InvalidInput):
            service.set_target(session, "iv-traffic-fatalities", 1999, 1.0)
        service.link_measure_kpi(
            session,
            "1.3.1",
            "ti-household-internet",
            expected_contribution="+5 Prozentpunkte",
            expected_delta=5,
        )
    with imported.transaction() as session:
        targets = service.list_targets(session, "ti-household-internet")
        internet = service.compare_kpi(session, "ti-household-internet")
        fatalities = service.compare_kpi(session, "iv-traffic-fatalities")
        links = service.links_of_kpi(session, "ti-household-internet")
        scores = {g.key: g for g in service.u4ssc_scores(session)}
    assert [(t.year, t.value, t.basis) for t in targets] == [(2030, 100.0, "Gigabitstrategie")]
    # SOLL 2023 = 80 + 20 * 2/9 = 84.44 -> IST 88 is above -> on track
    assert internet.soll == pytest.approx(84.444, rel=1e-3) and internet.status == "on_track"
    # lower is better: 20 / 38 = 52.6 % -> 2 points -> off track
    assert fatalities.points == 2 and fatalities.status == "off_track"
    assert [(link.measure_number, link.expected_delta) for link in links] == [("1.3.1", 5.0)]
    assert scores["EC: ICT: ICT"].score.points == 4 and scores["EC: ICT: ICT"].score.max_points == 4
    assert scores["SC: SH: SA"].score.score == pytest.approx(0.5)


CSV_OK = """kpi;period_start;period_end;district;value;source;method;data_quality;published
ti-household-internet;2022;;;85,5;Zensus;Befragung;2;ja
ru-green-area-share;2023-01-01;2023-12-31;buer;30,25;Grünflächenkataster;GIS;1;nein
"""


@pytest.mark.usefixtures("backend")
def test_csv_import_is_all_or_nothing_with_row_errors(imported, editor):
    bad = (
        CSV_OK
        + "ti-household-internet;2023;;;viel;;;;ja\nunknown-kpi;2023;;;1;;;;ja\nti-fixed-broadband;2023;;mars;1;;;;ja\n"
    )
    with pytest.raises(csv_io.CsvImportError) as caught:
        with imported.transaction(editor) as session:
            csv_io.import_values(session, bad)
    errors = caught.value.errors
    assert len(errors) == 3
    assert errors[0].startswith("row 4:") and "viel" in errors[0]
    assert errors[1].startswith("row 5:") and "unknown-kpi" in errors[1]
    assert errors[2].startswith("row 6:") and "mars" in errors[2]
    with imported.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(KpiValue)) == 0
    with imported.transaction(editor) as session:
        records = csv_io.import_values(session, CSV_OK)
    assert [(r.value, r.classification, r.origin, r.period_end) for r in records] == [
        (85.5, "public", "csv", date(2022, 12, 31)),
        (30.25, "internal", "csv", date(2023, 12, 31)),
    ]
    with imported.transaction(editor) as session:
        exported = csv_io.export_values(service.list_values(session))
    assert exported.splitlines()[0].startswith("id,kpi,period_start")
    assert (
        "ti-household-internet,2022-01-01,2022-12-31,,85.5,Zensus,Befragung,2,ja,csv,city.editor" in exported
    )
    # an exported file can be imported again as it is
    with imported.transaction(editor) as session:
        assert len(csv_io.import_values(session, exported)) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("kpi,value\nx,1\n", "missing column(s) period_start"),
        ("kpi,period_start,value,colour\n", "unknown column(s) colour"),
        ("kpi,period_start,value\n", "no data rows"),
        ("kpi,period_start,value,published\nti-fixed-broadband,2023,1,vielleicht\n", "published"),
    ],
)
def test_csv_header_and_content_errors(imported, editor, text, message):
    with pytest.raises(csv_io.CsvImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        with imported.transaction(editor) as session:
            csv_io.import_values(session, text)
