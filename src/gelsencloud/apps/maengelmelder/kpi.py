"""KPI provider: reports received through the Mängelmelder (per period, category and district)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gelsencloud.apps.maengelmelder.districts import DistrictLocator
from gelsencloud.apps.maengelmelder.models import Report
from gelsencloud.core.plugins import KpiValue

KPI_ID = "maengelmelder-reports-received"
LOCAL = ZoneInfo("Europe/Berlin")


def _bound(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=LOCAL)
    raise TypeError(f"period bound must be a date or datetime, got {value!r}")


class ReportKpis:
    """Counts reports received in a period: total, per category (details) and per district.

    The district is derived by point-in-polygon against the city's areas (shapely), so it
    follows imported official boundaries without re-processing stored reports.
    """

    kpi_ids = (KPI_ID,)

    def compute(self, session, period_start, period_end) -> list[KpiValue]:
        """Count readable reports with ``period_start <= requested_at < period_end``."""
        start, end = _bound(period_start), _bound(period_end)
        rows = session.execute(
            select(Report.service_name, Report.lat, Report.lon).where(
                Report.requested_at >= start, Report.requested_at < end
            )
        ).all()
        locator = DistrictLocator(session)
        per_district: Counter[str] = Counter()
        per_category: Counter[str] = Counter()
        per_district_category: dict[str, Counter[str]] = {}
        for name, lat, lon in rows:
            district = locator.locate(lat, lon).district_code or "unbekannt"
            per_district[district] += 1
            per_category[name] += 1
            per_district_category.setdefault(district, Counter())[name] += 1
        method = "count of reports by requested_at; district by point-in-polygon (shapely) on city_areas"
        values = [
            KpiValue(
                KPI_ID,
                float(len(rows)),
                period_start,
                period_end,
                source="mm_reports",
                method=method,
                details={"per_category": dict(per_category), "per_district": dict(per_district)},
            )
        ]
        for district, count in sorted(per_district.items()):
            values.append(
                KpiValue(
                    KPI_ID,
                    float(count),
                    period_start,
                    period_end,
                    district_code=district,
                    source="mm_reports",
                    method=method,
                    details={"per_category": dict(per_district_category[district])},
                )
            )
        return values
