"""Live KPIs: run every plugin's KPI provider on a schedule and store the results as IST values.

Each result becomes an IST value with origin "live" and its provenance in ``details``
(plugin, provider, period, source, method, computed at). A provider id that is a catalogue
KPI code (or mapped to one in ``KPI_ID_MAP``) lands on that KPI; any other id is kept as a
"platform" KPI instead of being dropped. Re-running for the same period replaces the value.

Live values are drafts (internal) unless the provider declares ``publish = True``, which a
provider may only do when it computes from public data alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import service
from gelsencloud.apps.cockpit.air_kpis import AirQualityKpis, SeriesLoader, no_sensor_data  # noqa: F401 - re-exported
from gelsencloud.apps.cockpit.models import KpiValue
from gelsencloud.core.models import utcnow
from gelsencloud.core.plugins import KpiValue as ProvidedValue

LOGGER = logging.getLogger(__name__)

# Provider kpi_ids that measure a catalogue KPI under another name.
KPI_ID_MAP: dict[str, str] = {
    "opendata-dataset-usage": "od-dataset-usage",
    "air-pm10-annual-mean": "ru-particulate-matter",
    "air-eaqi-daily": "ru-air-quality-index",
    "maengelmelder-reports-received": "ss-defect-reports",
}


@dataclass
class LiveReport:
    """Outcome of one live-KPI run."""

    stored: int = 0
    platform_kpis_created: list[str] = field(default_factory=list)
    providers_failed: dict[str, str] = field(default_factory=dict)
    providers_run: int = 0

    def message(self) -> str:
        """One line for the job log."""
        parts = [f"{self.stored} live value(s) from {self.providers_run} provider(s)"]
        if self.platform_kpis_created:
            parts.append("new platform KPIs: " + ", ".join(self.platform_kpis_created))
        if self.providers_failed:
            parts.append("failed: " + "; ".join(f"{k}: {v}" for k, v in self.providers_failed.items()))
        return "; ".join(parts)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _is_midnight(value: Any) -> bool:
    return isinstance(value, datetime) and value.astimezone(UTC).time() == datetime.min.time()


def _provider_name(provider: Any) -> str:
    return f"{type(provider).__module__}.{type(provider).__qualname__}"


def catalog_code(session: Session, kpi_id: str) -> tuple[str, bool]:
    """(KPI code, created?) for a provider id; unknown ids become platform KPIs."""
    mapped = KPI_ID_MAP.get(kpi_id, kpi_id)
    try:
        return service.get_kpi(session, mapped).code, False
    except service.NotFound:
        return service.ensure_platform_kpi(session, kpi_id).code, True


def store_live_value(
    session: Session, provider: Any, item: ProvidedValue, computed_at: datetime
) -> tuple[KpiValue, bool]:
    """Insert or replace the live value of (KPI, period, district); return it and whether a KPI was created."""
    code, created = catalog_code(session, item.kpi_id)
    start, end = _as_date(item.period_start), _as_date(item.period_end)
    if _is_midnight(item.period_end) and end > start:
        end -= timedelta(days=1)  # windows end exclusively at midnight: the last day is the one before
    details = {
        "provider": _provider_name(provider),
        "provider_kpi_id": item.kpi_id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "computed_at": computed_at.isoformat(),
        **({"data": item.details} if item.details else {}),
    }
    published = bool(getattr(provider, "publish", False))
    existing = session.scalar(
        select(KpiValue).where(
            KpiValue.kpi_code == code,
            KpiValue.origin == "live",
            KpiValue.period_start == start,
            KpiValue.district_code.is_(None)
            if item.district_code is None
            else KpiValue.district_code == item.district_code,
            KpiValue.source == (item.source or ""),
        )
    )
    if existing is not None:
        existing.period_end, existing.value, existing.method = end, item.value, item.method or ""
        existing.details, existing.entered_at = details, computed_at
        existing.classification = "public" if published else existing.classification
        session.flush()
        return existing, created
    record = service.add_value(
        session,
        service.ValueInput(
            kpi_code=code,
            period_start=start,
            period_end=end,
            value=item.value,
            district_code=item.district_code,
            source=item.source or "",
            method=item.method or "",
            data_quality=1,  # computed from platform measurements and records
            published=published,
            details=details,
        ),
        origin="live",
    )
    return record, created


def windows(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Computation window per KPI period: year to date, last full quarter, month and day."""
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    month_end = datetime(now.year, now.month, 1, tzinfo=UTC)
    month_start = (month_end - timedelta(days=1)).replace(day=1)
    quarter_end = datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1, tzinfo=UTC)
    last_q = quarter_end - timedelta(days=1)
    quarter_start = datetime(last_q.year, 3 * ((last_q.month - 1) // 3) + 1, 1, tzinfo=UTC)
    day_end = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return {
        "annual": (year_start, now),
        "quarterly": (quarter_start, quarter_end),
        "monthly": (month_start, month_end),
        "daily": (day_end - timedelta(days=1), day_end),
    }


def _period_of(session: Session, kpi_id: str) -> str:
    """The reporting period of the KPI a provider id lands on (platform KPIs: annual)."""
    try:
        return service.get_kpi(session, KPI_ID_MAP.get(kpi_id, kpi_id)).period
    except service.NotFound:
        return "annual"


def run_live_kpis(session: Session, providers: Iterable[Any], *, now: datetime | None = None) -> LiveReport:
    """Compute every provider and store its values.

    The catalogue KPI's reporting period decides the window: annual KPIs (and platform KPIs)
    are computed for the year to date, monthly ones for the last full month, quarterly ones for
    the last full quarter, daily ones for yesterday. A provider is asked once per window its
    KPIs need; values for KPIs of another period are ignored in that window.
    """
    now = now or utcnow()
    spans = windows(now)
    report = LiveReport()
    for provider in providers:
        name = _provider_name(provider)
        try:
            with session.begin_nested():  # one broken provider must not spoil the others
                needed = {_period_of(session, kpi_id) for kpi_id in getattr(provider, "kpi_ids", ())} or {
                    "annual"
                }
                for period in sorted(needed):
                    start, end = spans[period]
                    for item in provider.compute(session, start, end):
                        if item.value is None or _period_of(session, item.kpi_id) != period:
                            continue
                        _, created = store_live_value(session, provider, item, now)
                        report.stored += 1
                        if created:
                            report.platform_kpis_created.append(item.kpi_id)
            report.providers_run += 1
        except Exception as exc:  # providers are other plugins' code; record and go on
            LOGGER.exception("KPI provider %s failed", name)
            report.providers_failed[name] = f"{type(exc).__name__}: {exc}"
    return report


def live_job(ctx) -> str:
    """Job body: collect the providers of all plugins and compute them as the system."""
    from gelsencloud.core.plugins import discover

    providers = discover(ctx.settings).kpi_providers()
    with ctx.transaction() as session:
        return run_live_kpis(session, providers).message()


# --- providers of the cockpit itself -------------------------------------------------------


def _has_table(session: Session, name: str) -> bool:
    return inspect(session.connection()).has_table(name)


class OpenDataKpis:
    """Open data portal: published datasets (count) and their usage, where the portal provides them.

    The count is read from the portal's table when it exists. Usage needs access counts the
    portal does not record yet: it is computed only once ``gelsencloud.apps.opendata.service``
    offers ``usage_count(session, start, end) -> int`` (accesses in the period); until then
    nothing is stored rather than an invented number.
    """

    kpi_ids = ("od-datasets-published-count", "opendata-dataset-usage")
    publish = True  # counts public catalogue entries and aggregate accesses only

    def compute(self, session: Session, period_start, period_end) -> list[ProvidedValue]:
        """Count public datasets issued up to the end of the period; nothing when the portal is absent."""
        if not _has_table(session, "opendata_datasets"):
            return []
        # Plain SQL: the portal's models belong to another plugin; only public rows are counted.
        count = session.execute(
            text("SELECT count(*) FROM opendata_datasets WHERE classification = 'public' AND issued <= :end"),
            {"end": period_end},
        ).scalar_one()
        values = [
            ProvidedValue(
                kpi_id="od-datasets-published-count",
                value=float(count),
                period_start=period_start,
                period_end=period_end,
                source="opendata_datasets",
                method="Anzahl der öffentlichen Datensätze im Open-Data-Portal am Ende des Zeitraums",
            )
        ]
        usage_count = _opendata_usage_hook()
        if usage_count is not None:
            values.append(
                ProvidedValue(
                    kpi_id="opendata-dataset-usage",
                    value=float(usage_count(session, period_start, period_end)),
                    period_start=period_start,
                    period_end=period_end,
                    source="opendata usage_count",
                    method="Zugriffe auf offene Datensätze im Zeitraum (Zählung des Open-Data-Portals)",
                )
            )
        return values


def _opendata_usage_hook():
    try:
        from gelsencloud.apps.opendata import service as opendata_service
    except ImportError:
        return None
    return getattr(opendata_service, "usage_count", None)
