"""Live KPIs: every plugin's providers computed on a schedule, stored as IST values with provenance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gelsencloud.apps.cockpit import service
from gelsencloud.apps.cockpit.live import AirQualityKpis, OpenDataKpis, run_live_kpis, windows
from gelsencloud.apps.cockpit.models import Kpi, KpiValue
from gelsencloud.apps.example.models import Notice
from gelsencloud.core.jobs import run_job
from gelsencloud.core.plugins import JobContext
from gelsencloud.core.plugins import KpiValue as ProvidedValue
from gelsencloud.core.principal import SYSTEM

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


class Broken:
    kpi_ids = ("broken",)

    def compute(self, session, start, end):
        raise RuntimeError("source down")


class CatalogProvider:
    kpi_ids = ("kf-heritage-expenditure",)

    def __init__(self, value: float) -> None:
        self.value = value

    def compute(self, session, start, end):
        return [
            ProvidedValue(
                "kf-heritage-expenditure", self.value, start, end, source="test-provider", method="count"
            )
        ]


@pytest.mark.usefixtures("backend")
def test_providers_of_all_plugins_are_collected_and_stored_with_provenance(imported, world, registry):
    providers = registry.kpi_providers()
    assert {type(p).__name__ for p in providers} >= {"NoticeKpis", "OpenDataKpis", "AirQualityKpis"}
    with imported.transaction(SYSTEM) as session:
        for i in range(2):
            session.add(Notice(tenant_id=world.tenants["gelsen-net"], title=f"n{i}", classification="public"))
    with imported.transaction(SYSTEM) as session:
        report = run_live_kpis(session, [*providers, Broken(), CatalogProvider(42.0)], now=NOW)
    assert report.providers_failed and "source down" in next(iter(report.providers_failed.values()))
    assert "example-public-notices" in report.platform_kpis_created
    with imported.transaction(SYSTEM) as session:
        platform = session.scalar(select(Kpi).where(Kpi.code == "example-public-notices"))
        notices = session.scalar(select(KpiValue).where(KpiValue.kpi_code == "example-public-notices"))
        wifi = session.scalar(
            select(KpiValue).where(
                KpiValue.kpi_code == "kf-heritage-expenditure", KpiValue.source == "test-provider"
            )
        )
    assert platform.kind == "platform" and platform.classification == "public"
    assert notices.value == 2.0 and notices.origin == "live" and notices.classification == "internal"
    assert notices.details["provider"] == "gelsencloud.apps.example.kpi.NoticeKpis"
    assert notices.details["period_start"] == "2026-01-01" and notices.details["period_end"] == "2026-06-30"
    assert notices.details["computed_at"].startswith("2026-06-30T12:00")
    assert notices.source == "example_notices" and notices.method.startswith("count")
    assert wifi.value == 42.0 and wifi.origin == "live"
    # running again for the same period replaces the value instead of adding one
    with imported.transaction(SYSTEM) as session:
        again = run_live_kpis(session, [CatalogProvider(43.0)], now=NOW + timedelta(hours=6))
    assert again.stored == 1 and not again.platform_kpis_created
    with imported.transaction(SYSTEM) as session:
        values = list(
            session.scalars(
                select(KpiValue).where(
                    KpiValue.kpi_code == "kf-heritage-expenditure", KpiValue.source == "test-provider"
                )
            )
        )
    assert [(v.value, v.period_end.isoformat()) for v in values] == [(43.0, "2026-06-30")]


def test_live_job_runs_through_the_scheduler_contract(imported, settings, registry):
    job = next(j for j in registry.jobs() if j.name == "cockpit.live_kpis")
    run = run_job(JobContext(db=imported, settings=settings), job)
    assert run.status == "ok" and "live value(s)" in run.message
    with imported.transaction(SYSTEM) as session:
        assert service.get_kpi(session, "example-public-notices").kind == "platform"


def test_open_data_provider_counts_public_datasets_and_usage_when_offered(imported, world, monkeypatch):
    from gelsencloud.apps.opendata import service as opendata_service
    from gelsencloud.apps.opendata.models import Dataset

    city = world.tenants["stadt-gelsenkirchen"]
    with imported.transaction(SYSTEM) as session:
        for level in ("public", "public", "internal"):
            session.add(Dataset.sample(tenant_id=city, classification=level, marker="x"))
    provider = OpenDataKpis()
    # without the portal's usage hook nothing is invented for the usage KPI
    monkeypatch.delattr(opendata_service, "usage_count", raising=False)
    with imported.transaction(SYSTEM) as session:
        values = provider.compute(session, datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert [(v.kpi_id, v.value) for v in values] == [("od-datasets-published-count", 2.0)]
    calls = []

    def usage_count(session, start, end):
        calls.append((start, end))
        return 1234

    monkeypatch.setattr(opendata_service, "usage_count", usage_count, raising=False)
    with imported.transaction(SYSTEM) as session:
        report = run_live_kpis(session, [provider], now=NOW)
        usage = session.scalar(select(KpiValue).where(KpiValue.kpi_code == "od-dataset-usage"))
    assert report.stored == 2
    # od-dataset-usage is a monthly KPI: its value is the last full month's, the count is year to date
    assert (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)) in calls
    assert usage.value == 1234.0 and usage.classification == "public"
    assert (usage.period_start.isoformat(), usage.period_end.isoformat()) == ("2026-05-01", "2026-05-31")


def test_windows_follow_the_kpi_period():
    spans = windows(datetime(2026, 2, 10, 8, tzinfo=UTC))
    assert spans["annual"] == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 10, 8, tzinfo=UTC))
    assert spans["monthly"] == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert spans["quarterly"] == (datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert spans["daily"] == (datetime(2026, 2, 9, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC))


@pytest.mark.usefixtures("backend")
def test_reports_of_the_maengelmelder_land_on_the_monthly_catalogue_kpi(imported):
    class Reports:
        kpi_ids = ("maengelmelder-reports-received",)

        def compute(self, session, start, end):
            return [
                ProvidedValue(
                    "maengelmelder-reports-received", 31.0, start, end, district_code="nord", source="mm"
                )
            ]

    with imported.transaction(SYSTEM) as session:
        run_live_kpis(session, [Reports()], now=NOW)
        value = session.scalar(select(KpiValue).where(KpiValue.kpi_code == "ss-defect-reports"))
    assert (value.period_start.isoformat(), value.period_end.isoformat()) == ("2026-05-01", "2026-05-31")
    assert value.district_code == "nord" and value.value == 31.0


def test_air_quality_provider_computes_from_series(imported):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    hours = [(start + timedelta(hours=h), 60.0 if h < 24 * 3 else 20.0) for h in range(24 * 10)]

    def loader(session, period_start, period_end):
        return {"buer": {"pm10": hours, "no2": [(t, 30.0) for t, _ in hours]}, None: {}}

    provider = AirQualityKpis(loader)
    with imported.transaction(SYSTEM) as session:
        values = {v.kpi_id: v for v in provider.compute(session, start, NOW)}
        report = run_live_kpis(session, [provider], now=NOW)
    assert values["air-pm10-annual-mean"].value == 32.0  # 3 days at 60, 7 days at 20
    assert values["air-pm10-days-over-50"].value == 3.0  # CET days 1-3 at 60 µg/m³
    assert (
        values["air-no2-annual-mean"].value == 30.0 and values["air-no2-annual-mean"].district_code == "buer"
    )
    # annual window: 2 annual means, 2 running annual means, PM10 days, NO2 hours, EAQI poor days;
    # the daily window (yesterday) has no data, so no EAQI day value
    assert report.stored == 7
    with imported.transaction(SYSTEM) as session:
        pm = session.scalar(select(KpiValue).where(KpiValue.kpi_code == "ru-particulate-matter"))
    assert pm.district_code == "buer" and pm.details["provider_kpi_id"] == "air-pm10-annual-mean"
    assert AirQualityKpis().compute(None, start, NOW) == []  # no sensor data yet: nothing invented


def test_air_quality_provider_eaqi_running_mean_and_no2_hours_on_known_data(imported):
    now = datetime(2026, 3, 2, 6, tzinfo=UTC)
    day = datetime(2026, 2, 28, 23, tzinfo=UTC)  # 00:00 UTC+1 on 1 March
    december = datetime(2025, 12, 1, tzinfo=UTC)
    pm10 = [(december + timedelta(hours=h), 40.0) for h in range(48)]
    pm10 += [(day + timedelta(hours=h), 130.0) for h in range(24)]
    no2 = [(day + timedelta(hours=h), 250.0 if h < 20 else 30.0) for h in range(24)]
    pm25 = [(day + timedelta(hours=h), 10.0) for h in range(24)]
    calls = []

    def loader(session, start, end):
        calls.append((start, end))
        pick = lambda series: [(t, v) for t, v in series if start <= t < end]  # noqa: E731
        return {None: {"pm10": pick(pm10), "no2": pick(no2), "pm25": pick(pm25)}}

    provider = AirQualityKpis(loader)
    with imported.transaction(SYSTEM) as session:
        year = {v.kpi_id: v for v in provider.compute(session, datetime(2026, 1, 1, tzinfo=UTC), now)}
    assert calls[0] == (now - timedelta(days=365), now)  # one load covers the running year too
    assert year["air-pm10-annual-mean"].value == 130.0  # 2026 only
    assert year["air-pm10-rolling-annual-mean"].value == 70.0  # (48 * 40 + 24 * 130) / 72
    assert year["air-pm10-days-over-50"].value == 1.0
    assert (
        year["air-no2-hours-over-200"].value == 20.0
        and year["air-no2-hours-over-200"].details["allowed"] == 18
    )
    assert year["air-eaqi-days-poor"].value == 1.0
    assert year["air-eaqi-days-poor"].details["days_per_level"] == {"6": 1}  # NO2 mean 213 µg/m³
    with imported.transaction(SYSTEM) as session:
        one_day = provider.compute(
            session, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
        )
    assert calls[-1] == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))  # no year loaded
    assert [v.kpi_id for v in one_day] == ["air-eaqi-daily"]
    with imported.transaction(SYSTEM) as session:
        report = run_live_kpis(session, [provider], now=now)
        stored = {
            v.kpi_code: v
            for v in session.scalars(select(KpiValue).where(KpiValue.origin == "live"))
            if v.district_code is None
        }
    assert not report.providers_failed
    eaqi = stored["ru-air-quality-index"]  # the catalogue's daily "Air Quality Index"
    assert (eaqi.period_start.isoformat(), eaqi.period_end.isoformat()) == ("2026-03-01", "2026-03-01")
    # 1 March in the daily window: PM10 130 -> 4, PM2.5 10 -> 2, NO2 (19 x 250 + 4 x 30) / 23 = 212 -> 6
    assert eaqi.value == 6.0
    data = eaqi.details["data"]
    assert data["dominant"] == "no2" and data["sub_indices"] == {"pm10": 4, "pm25": 2, "no2": 6}
    assert data["level_de"] == "Extrem schlecht" and data["version"] == "2024"
    assert eaqi.classification == "internal"  # indicative sensor data stay drafts
    assert stored["air-pm10-rolling-annual-mean"].value == 70.0
