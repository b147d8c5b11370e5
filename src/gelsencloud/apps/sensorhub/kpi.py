"""KPI providers computed from the device registry (strategy section 8.2 KPI ids where they exist)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from gelsencloud.apps.sensorhub.models import Device
from gelsencloud.apps.sensorhub.service import latest_inventory
from gelsencloud.core.plugins import KpiValue

SOURCE = "sensorhub_devices"


def _count(session: Session, category: str, at: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Device)
        .where(Device.category == category, Device.active.is_(True), Device.created_at <= at)
    )
    return session.scalar(stmt) or 0


def _value(kpi_id: str, value: float | None, start, end, method: str, **details) -> KpiValue:
    return KpiValue(kpi_id, value, start, end, source=SOURCE, method=method, details=details)


def _share(
    session: Session, kpi_id: str, monitored: int, inventory_category: str, start, end, what: str
) -> KpiValue:
    total = latest_inventory(session, inventory_category, end)
    if not total:
        # Without a denominator a share would be invented: report it as missing, with the reason.
        return _value(
            kpi_id, None, start, end, f"no inventory of {inventory_category} recorded", monitored=monitored
        )
    return _value(
        kpi_id,
        round(100.0 * monitored / total, 2),
        start,
        end,
        f"{what} with sensor / all {what} (inventory '{inventory_category}') × 100",
        monitored=monitored,
        total=total,
    )


class InfrastructureKpis:
    """Counts and coverage of sensor-equipped infrastructure, from the registry and the inventory."""

    kpi_ids = (
        "ti-public-wifi-hotspots",
        "rv-smart-water-meters",
        "rv-smart-electricity-meters",
        "mi-ev-charge-points",
        "am-fill-level-sensors",
        "iv-parking-ict-monitoring",
        "platform-city-buildings-metered-share",
    )

    def compute(self, session: Session, period_start: datetime, period_end: datetime) -> list[KpiValue]:
        """Compute the registry KPIs as of the end of the period (the session decides what is visible)."""
        end, start = period_end, period_start
        values = [
            _value(
                "ti-public-wifi-hotspots",
                _count(session, "wifi_hotspot", end),
                start,
                end,
                "active Wi-Fi hotspots in the device registry",
            ),
            _value(
                "rv-smart-water-meters",
                _count(session, "water_meter", end),
                start,
                end,
                "active smart water meters in the device registry",
            ),
            _value(
                "rv-smart-electricity-meters",
                _count(session, "electricity_meter", end),
                start,
                end,
                "active smart electricity meters in the device registry",
            ),
            _value(
                "mi-ev-charge-points",
                _count(session, "ev_charger", end),
                start,
                end,
                "registered EV charging points",
            ),
            _share(
                session,
                "am-fill-level-sensors",
                _count(session, "waste_container", end),
                "waste_container",
                start,
                end,
                "containers",
            ),
            _share(
                session,
                "iv-parking-ict-monitoring",
                _count(session, "parking_space", end),
                "public_parking_space",
                start,
                end,
                "public parking spaces",
            ),
        ]
        metered_sites = (
            session.scalar(
                select(func.count(distinct(Device.site))).where(
                    Device.category.in_(("water_meter", "electricity_meter", "heat_meter")),
                    Device.active.is_(True),
                    Device.site.is_not(None),
                    Device.created_at <= end,
                )
            )
            or 0
        )
        values.append(
            _share(
                session,
                "platform-city-buildings-metered-share",
                metered_sites,
                "city_building",
                start,
                end,
                "city buildings",
            )
        )
        return values
