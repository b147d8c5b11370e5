"""Air-quality KPI provider: annual and running annual means, days and hours over EU limits, EAQI.

``AirQualityKpis(loader)`` is registered by the sensor hub with a loader reading SensorThings
observations; ``loader(session, start, end)`` returns {district code or None: {pollutant: series}}
with None meaning the whole city. For windows longer than a day one load covers the window and
the 365 days before its end (for the running annual means); a one-day window loads that day and
gives only its EAQI. The computations themselves are the pure functions of ``air_quality``.

KPIs (provider ids; ``live.KPI_ID_MAP`` maps two of them onto catalogue KPIs):

* ``air-{pm10,pm25,no2}-annual-mean``: mean of the hourly values of the calendar year so far
  (PM10 lands on the catalogue KPI "Feinstaubbelastung");
* ``air-{pm10,pm25,no2}-rolling-annual-mean``: running mean over the 365 days before the end;
* ``air-pm10-days-over-50``: days with a PM10 daily mean > 50 µg/m³ (2008/50/EC, 35 allowed);
* ``air-no2-hours-over-200``: hours with NO2 > 200 µg/m³ (2008/50/EC, 18 allowed);
* ``air-eaqi-daily``: European Air Quality Index (2024 bands) of one day from the daily means of
  PM10, PM2.5 and NO2, worst sub-index; lands on the catalogue KPI "Air Quality Index" (daily);
* ``air-eaqi-days-poor``: days of the year so far with an EAQI of "Schlecht" (4) or worse.

Sensor values are indicative (low-cost sensors, no coverage minimum), so the values are drafts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import air_quality
from gelsencloud.core.plugins import KpiValue as ProvidedValue

SeriesLoader = Callable[[Session, datetime, datetime], Mapping[str | None, Mapping[str, air_quality.Series]]]
MEAN_IDS = {"pm10": "air-pm10-annual-mean", "pm25": "air-pm25-annual-mean", "no2": "air-no2-annual-mean"}
ROLLING_IDS = {
    "pm10": "air-pm10-rolling-annual-mean",
    "pm25": "air-pm25-rolling-annual-mean",
    "no2": "air-no2-rolling-annual-mean",
}
EAQI_POLLUTANTS = ("pm10", "pm25", "no2")  # what the city's stations measure
POOR_LEVEL = 4


def no_sensor_data(session: Session, start: datetime, end: datetime) -> dict:
    """Default loader until SensorThings air-quality data exist: no series."""
    return {}


def _within(series, start: datetime, end: datetime) -> list:
    return [(at, v) for at, v in series if start <= at < end]


class AirQualityKpis:
    """Air-quality KPIs per district and city-wide from sensor series (see the module docstring)."""

    kpi_ids = (
        *MEAN_IDS.values(),
        *ROLLING_IDS.values(),
        "air-pm10-days-over-50",
        "air-no2-hours-over-200",
        "air-eaqi-daily",
        "air-eaqi-days-poor",
    )
    publish = False  # sensor data are indicative until checked

    def __init__(self, loader: SeriesLoader = no_sensor_data, min_coverage: float = 0.0) -> None:
        self.loader = loader
        self.min_coverage = min_coverage

    def compute(self, session: Session, period_start, period_end) -> list[ProvidedValue]:
        """Compute the air-quality KPIs of the window for each district series (and the city).

        A window of one day (the daily KPI's window) gives the EAQI of that day only; longer
        windows give the annual and running means, the exceedances and the poor EAQI days.
        Keeping them apart spares the daily run a year of observations it would not use.
        """
        daily = period_end - period_start <= timedelta(days=1)
        since = period_start if daily else min(period_start, period_end - timedelta(days=365))
        result: list[ProvidedValue] = []
        for district, per_pollutant in self.loader(session, since, period_end).items():
            window = {p: _within(s, period_start, period_end) for p, s in per_pollutant.items()}
            context = (district, period_start, period_end)
            if daily:
                result += self._eaqi_day(context, window)
                continue
            full = {p: list(s) for p, s in per_pollutant.items()}
            result += self._means(context, window, full)
            result += self._exceedances(context, window)
            result += self._eaqi_days_poor(context, window)
        return result

    def _value(
        self, context, kpi_id: str, value: float, source: str, method: str, **details
    ) -> ProvidedValue:
        district, start, end = context
        return ProvidedValue(
            kpi_id=kpi_id,
            value=value,
            period_start=start,
            period_end=end,
            district_code=district,
            source=source,
            method=method,
            details=details,
        )

    def _means(self, context, window: dict, full: dict) -> list[ProvidedValue]:
        _, start, end = context
        values = []
        for pollutant, kpi_id in MEAN_IDS.items():
            series = window.get(pollutant) or []
            if not series:
                continue
            mean = air_quality.annual_mean(series, start.year, min_coverage=self.min_coverage)
            if mean.value is not None:
                values.append(
                    self._value(
                        context,
                        kpi_id,
                        round(mean.value, 2),
                        f"sensor:{pollutant}",
                        "Mittel der Stundenwerte (UTC+1) im Kalenderjahr bis zum Berechnungszeitpunkt",
                        hours=mean.hours,
                        coverage=round(mean.coverage, 4),
                        pollutant=pollutant,
                    )
                )
        for pollutant, kpi_id in ROLLING_IDS.items():
            series = full.get(pollutant) or []
            rolling = air_quality.rolling_annual_mean(series, end) if series else None
            if rolling is not None:
                values.append(
                    self._value(
                        context,
                        kpi_id,
                        round(rolling, 2),
                        f"sensor:{pollutant}",
                        "Gleitendes Jahresmittel: Mittel der Stundenwerte der 365 Tage vor dem Berechnungszeitpunkt",
                        pollutant=pollutant,
                        since=(end - timedelta(days=365)).isoformat(),
                    )
                )
        return values

    def _exceedances(self, context, window: dict) -> list[ProvidedValue]:
        _, start, _ = context
        values = []
        pm10 = window.get("pm10") or []
        if pm10:
            days = air_quality.days_over_limit(pm10, "pm10", start.year)
            values.append(
                self._value(
                    context,
                    "air-pm10-days-over-50",
                    float(days.count),
                    "sensor:pm10",
                    "Tage mit PM10-Tagesmittel > 50 µg/m³ (2008/50/EC, 35 zulässig), Tage mit ≥ 18 Stundenwerten",
                    valid_days=days.periods_evaluated,
                    allowed=days.limit.allowed_per_year,
                )
            )
        no2 = window.get("no2") or []
        if no2:
            hours = air_quality.hours_over_limit(no2, "no2", start.year)
            values.append(
                self._value(
                    context,
                    "air-no2-hours-over-200",
                    float(hours.count),
                    "sensor:no2",
                    "Stunden mit NO2-Stundenmittel > 200 µg/m³ (2008/50/EC, 18 zulässig)",
                    valid_hours=hours.periods_evaluated,
                    allowed=hours.limit.allowed_per_year,
                )
            )
        return values

    def _eaqi_days_poor(self, context, window: dict) -> list[ProvidedValue]:
        _, start, _ = context
        series = {p: window[p] for p in EAQI_POLLUTANTS if window.get(p)}
        if not series:
            return []
        version = air_quality.DEFAULT_EAQI_VERSION
        levels = air_quality.days_per_eaqi_level(series, start.year, version)
        return [
            self._value(
                context,
                "air-eaqi-days-poor",
                float(sum(n for level, n in levels.items() if level >= POOR_LEVEL)),
                "sensor:" + "+".join(sorted(series)),
                f"Tage mit Europäischem Luftqualitätsindex (EAQI {version}) „Schlecht“ oder schlechter, "
                "aus den Tagesmitteln (UTC+1, ≥ 18 Stundenwerte)",
                days_per_level={str(k): v for k, v in sorted(levels.items())},
                version=version,
            )
        ]

    def _eaqi_day(self, context, window: dict) -> list[ProvidedValue]:
        _, start, _ = context
        series = {p: window[p] for p in EAQI_POLLUTANTS if window.get(p)}
        if not series:
            return []
        version = air_quality.DEFAULT_EAQI_VERSION
        # The day of a daily window (midnight to midnight UTC) has the date of its start; its
        # daily mean is taken over the UTC+1 day of that date, like every EU daily value.
        day = start.astimezone(UTC).date()
        daily = {p: air_quality.daily_means(s).get(day) for p, s in series.items()}
        result = air_quality.eaqi(daily, version)
        if result is None:
            return []
        return [
            self._value(
                context,
                "air-eaqi-daily",
                float(result.level),
                "sensor:" + "+".join(sorted(p for p, v in daily.items() if v is not None)),
                f"Europäischer Luftqualitätsindex (EAQI {version}, 1 = gut … 6 = extrem schlecht) des "
                f"Tages {day.isoformat()} aus den Tagesmitteln; schlechtester Teilindex",
                day=day.isoformat(),
                level_de=result.label_de,
                dominant=result.dominant,
                sub_indices=result.sub_indices,
                version=version,
            )
        ]
