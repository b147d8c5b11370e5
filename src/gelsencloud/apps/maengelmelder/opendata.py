"""Anonymised public view of reports for the open-data portal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apps.maengelmelder.districts import DistrictLocator
from gelsencloud.apps.maengelmelder.models import Report
from gelsencloud.apps.maengelmelder.service import round_to_grid
from gelsencloud.apps.maengelmelder.workflow import STATUSES
from gelsencloud.core.models import utcnow

FIELDS = (
    "category_code",
    "category",
    "district_code",
    "district",
    "date",
    "status",
    "detailed_status",
    "lat",
    "lon",
)


def public_report_view(session: Session, *, days: int = 90) -> list[dict[str, Any]]:
    """Return public reports as category, district, date, status and a location rounded to ~100 m.

    Only published reports, whoever calls (staff sessions see internal ones, so filter explicitly);
    no description, address, photos, notes or ids that could identify a reporter.
    """
    since = utcnow() - timedelta(days=days)
    stmt = (
        select(Report)
        .where(Report.classification == "public", Report.requested_at >= since)
        .order_by(Report.requested_at, Report.id)
    )
    locator = DistrictLocator(session)
    rows = []
    for report in session.scalars(stmt):
        lat = lon = None
        if report.lat is not None and report.lon is not None:
            lat, lon = round_to_grid(report.lat, report.lon, 100.0)
        rows.append(
            {
                "category_code": report.service_code,
                "category": report.service_name,
                "district_code": report.district_code,
                "district": locator.name(report.district_code),
                "date": report.requested_at.date().isoformat(),
                "status": STATUSES[report.status].open311,
                "detailed_status": report.status,
                "lat": lat,
                "lon": lon,
            }
        )
    return rows
