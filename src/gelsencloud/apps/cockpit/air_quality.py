"""Air-quality KPIs as pure functions over plain time series (no database).

A series is an iterable of ``(aware datetime, value in µg/m³)``, typically hourly values of
one station. The functions are meant to be fed from SensorThings observations later.

Conventions (see shared/reference/air-quality.md):

* Calendar days and years are taken in UTC+1 without daylight saving time, the time
  reference of European air-quality reporting, so a day is 00:00–24:00 CET.
* An hour counts once: several samples in one clock hour are averaged to an hourly value
  first (low-cost sensors report every few minutes).
* A daily mean needs >= 75 % valid hours (18 of 24); an annual mean reports its coverage
  (share of hours with data) and is None below ``min_coverage`` (default 0.9, the data-capture
  goal for fixed measurements; pass 0 for indicative sensor data).
* Exceedance means strictly above the limit value ("> 50 µg/m³").
* EAQI bands are lower-inclusive: [a, b). The 2021 table (6 levels) uses the 24-hour running
  mean for PM and hourly values for NO2, O3, SO2; the 2024 revision uses hourly values for all
  five pollutants. The overall index is the worst sub-index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

Series = Iterable[tuple[datetime, float]]

REPORTING_TZ = timezone(timedelta(hours=1), "UTC+1")
POLLUTANTS = ("pm10", "pm25", "no2", "o3", "so2")
DAILY_MIN_HOURS = 18


def _check(series: Series) -> list[tuple[datetime, float]]:
    points = []
    for at, value in series:
        if at.tzinfo is None:
            raise ValueError("naive datetime in series; use aware datetimes")
        if value is None or value != value:
            continue  # missing values are simply not data
        points.append((at, float(value)))
    points.sort(key=lambda p: p[0])
    return points


def hourly_means(series: Series, tz: timezone = REPORTING_TZ) -> dict[datetime, float]:
    """Average samples per clock hour (keys: start of the hour in ``tz``)."""
    buckets: dict[datetime, list[float]] = defaultdict(list)
    for at, value in _check(series):
        local = at.astimezone(tz)
        buckets[local.replace(minute=0, second=0, microsecond=0)].append(value)
    return {hour: sum(v) / len(v) for hour, v in sorted(buckets.items())}


def daily_means(
    series: Series, tz: timezone = REPORTING_TZ, min_hours: int = DAILY_MIN_HOURS
) -> dict[date, float]:
    """Calendar-day means of days with at least ``min_hours`` hourly values."""
    days: dict[date, list[float]] = defaultdict(list)
    for hour, value in hourly_means(series, tz).items():
        days[hour.date()].append(value)
    return {day: sum(v) / len(v) for day, v in sorted(days.items()) if len(v) >= min_hours}


@dataclass(frozen=True)
class AnnualMean:
    """Mean of one calendar year with its data coverage."""

    year: int
    value: float | None
    hours: int
    coverage: float


def _hours_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days * 24


def annual_mean(
    series: Series, year: int, tz: timezone = REPORTING_TZ, min_coverage: float = 0.9
) -> AnnualMean:
    """Annual mean of the hourly values of ``year``; value None when coverage < ``min_coverage``."""
    values = [v for hour, v in hourly_means(series, tz).items() if hour.year == year]
    coverage = len(values) / _hours_in_year(year)
    value = sum(values) / len(values) if values and coverage >= min_coverage else None
    return AnnualMean(year=year, value=value, hours=len(values), coverage=coverage)


def rolling_mean(
    series: Series, window: timedelta = timedelta(hours=24), min_count: int = 1
) -> list[tuple[datetime, float]]:
    """Trailing mean over ``window`` at every sample time (window (t - window, t])."""
    points = _check(series)
    result = []
    start, total = 0, 0.0
    for end, (at, value) in enumerate(points):
        total += value
        while points[start][0] <= at - window:
            total -= points[start][1]
            start += 1
        count = end - start + 1
        if count >= min_count:
            result.append((at, total / count))
    return result


def rolling_annual_mean(series: Series, at: datetime, min_coverage: float = 0.0) -> float | None:
    """Mean of the hourly values of the 365 days before ``at`` (a running annual mean)."""
    hourly = hourly_means(series)
    since = at - timedelta(days=365)
    values = [v for hour, v in hourly.items() if since < hour <= at]
    if not values or len(values) / (365 * 24) < min_coverage:
        return None
    return sum(values) / len(values)


# --- EU limit values -----------------------------------------------------------------------


@dataclass(frozen=True)
class LimitValue:
    """A limit value: averaging period, value in µg/m³, allowed exceedances per calendar year."""

    standard: str
    pollutant: str
    averaging: str  # "day" | "hour" | "year"
    value: float
    allowed_per_year: int | None
    verified: bool


LIMIT_VALUES: tuple[LimitValue, ...] = (
    # Directive 2008/50/EC
    LimitValue("2008/50/EC", "pm10", "day", 50.0, 35, True),
    LimitValue("2008/50/EC", "pm10", "year", 40.0, None, True),
    LimitValue("2008/50/EC", "pm25", "year", 25.0, None, True),
    LimitValue("2008/50/EC", "no2", "year", 40.0, None, True),
    LimitValue("2008/50/EC", "no2", "hour", 200.0, 18, False),
    LimitValue("2008/50/EC", "so2", "day", 125.0, 3, True),
    LimitValue("2008/50/EC", "so2", "hour", 350.0, 24, False),
    # Directive (EU) 2024/2881, limit values to be met by 2030 (daily values: secondary source)
    LimitValue("2024/2881", "pm10", "day", 45.0, 18, False),
    LimitValue("2024/2881", "pm25", "day", 25.0, 18, False),
    LimitValue("2024/2881", "no2", "day", 50.0, 18, False),
    LimitValue("2024/2881", "so2", "day", 50.0, 18, False),
    LimitValue("2024/2881", "pm25", "year", 10.0, None, False),
    LimitValue("2024/2881", "no2", "year", 20.0, None, False),
)
STANDARDS = ("2008/50/EC", "2024/2881")


def limit_value(standard: str, pollutant: str, averaging: str) -> LimitValue:
    """Look up a limit value; KeyError when the directive sets none."""
    for limit in LIMIT_VALUES:
        if (limit.standard, limit.pollutant, limit.averaging) == (standard, pollutant, averaging):
            return limit
    raise KeyError(f"{standard} sets no {averaging} limit value for {pollutant}")


@dataclass(frozen=True)
class Exceedances:
    """Days (or hours) of a year above a limit value, compared with the allowed number."""

    limit: LimitValue
    year: int
    count: int
    periods_evaluated: int

    @property
    def breached(self) -> bool:
        """More exceedances than the directive allows."""
        allowed = self.limit.allowed_per_year or 0
        return self.count > allowed


def days_over_limit(
    series: Series, pollutant: str, year: int, standard: str = "2008/50/EC", tz: timezone = REPORTING_TZ
) -> Exceedances:
    """Count valid days of ``year`` whose daily mean is above the daily limit value."""
    limit = limit_value(standard, pollutant, "day")
    days = {d: v for d, v in daily_means(series, tz).items() if d.year == year}
    return Exceedances(limit, year, sum(1 for v in days.values() if v > limit.value), len(days))


def hours_over_limit(
    series: Series, pollutant: str, year: int, standard: str = "2008/50/EC", tz: timezone = REPORTING_TZ
) -> Exceedances:
    """Count hours of ``year`` whose hourly mean is above the hourly limit value."""
    limit = limit_value(standard, pollutant, "hour")
    hours = {h: v for h, v in hourly_means(series, tz).items() if h.year == year}
    return Exceedances(limit, year, sum(1 for v in hours.values() if v > limit.value), len(hours))


def annual_limit_check(
    series: Series, pollutant: str, year: int, standard: str = "2008/50/EC", min_coverage: float = 0.9
) -> tuple[AnnualMean, LimitValue, bool | None]:
    """Annual mean against the annual limit value: (mean, limit, exceeded or None if no valid mean)."""
    limit = limit_value(standard, pollutant, "year")
    mean = annual_mean(series, year, min_coverage=min_coverage)
    return mean, limit, None if mean.value is None else mean.value > limit.value


# --- European Air Quality Index ------------------------------------------------------------

EAQI_LABELS_EN = ("Good", "Fair", "Moderate", "Poor", "Very poor", "Extremely poor")
EAQI_LABELS_DE = ("Gut", "Mäßig", "Mittel", "Schlecht", "Sehr schlecht", "Extrem schlecht")

# Upper bounds of levels 1..5 (level 6 is everything above); lower-inclusive bands [a, b).
EAQI_BANDS: dict[str, dict[str, tuple[float, ...]]] = {
    "2017": {  # five levels
        "pm25": (10, 20, 25, 50),
        "pm10": (20, 35, 50, 100),
        "no2": (40, 100, 200, 400),
        "o3": (80, 120, 180, 240),
        "so2": (100, 200, 350, 500),
    },
    "2021": {
        "pm25": (10, 20, 25, 50, 75),
        "pm10": (20, 40, 50, 100, 150),
        "no2": (40, 90, 120, 230, 340),
        "o3": (50, 100, 130, 240, 380),
        "so2": (100, 200, 350, 500, 750),
    },
    "2024": {
        "pm25": (5, 15, 50, 90, 140),
        "pm10": (15, 45, 120, 195, 270),
        "no2": (10, 25, 60, 100, 150),
        "o3": (60, 100, 120, 160, 180),
        "so2": (20, 40, 125, 190, 275),
    },
}
# Which versions average PM over 24 hours instead of using the hourly value.
EAQI_PM_RUNNING_24H = {"2017": False, "2021": True, "2024": False}
DEFAULT_EAQI_VERSION = "2024"


def eaqi_level(pollutant: str, concentration: float, version: str = DEFAULT_EAQI_VERSION) -> int:
    """EAQI level (1 = good … 6 = extremely poor; 2017: 1..5) of one pollutant concentration."""
    if concentration < 0:
        raise ValueError("concentration must not be negative")
    bounds = EAQI_BANDS[version][pollutant]
    for level, upper in enumerate(bounds, start=1):
        if concentration < upper:
            return level
    return len(bounds) + 1


@dataclass(frozen=True)
class EaqiResult:
    """Overall EAQI: the worst sub-index, the pollutant driving it, and every sub-index."""

    level: int
    dominant: str
    sub_indices: dict[str, int]
    version: str

    @property
    def label_de(self) -> str:
        """German label of the level."""
        return EAQI_LABELS_DE[self.level - 1]

    @property
    def label_en(self) -> str:
        """English label of the level."""
        return EAQI_LABELS_EN[self.level - 1]


def eaqi(
    concentrations: Mapping[str, float | None], version: str = DEFAULT_EAQI_VERSION
) -> EaqiResult | None:
    """Overall index from concentrations already averaged as the version prescribes."""
    subs = {
        p: eaqi_level(p, c, version) for p, c in concentrations.items() if c is not None and p in POLLUTANTS
    }
    if not subs:
        return None
    dominant = max(subs, key=lambda p: (subs[p], -POLLUTANTS.index(p)))
    return EaqiResult(level=subs[dominant], dominant=dominant, sub_indices=subs, version=version)


def eaqi_at(
    series_by_pollutant: Mapping[str, Series], at: datetime, version: str = DEFAULT_EAQI_VERSION
) -> EaqiResult | None:
    """EAQI for the hour ending at ``at`` from raw series (applies the version's PM averaging)."""
    concentrations: dict[str, float | None] = {}
    for pollutant, series in series_by_pollutant.items():
        points = _check(series)
        if pollutant in ("pm10", "pm25") and EAQI_PM_RUNNING_24H[version]:
            window = [v for t, v in points if at - timedelta(hours=24) < t <= at]
            # a running 24-h mean needs 75 % of the hours as well
            hours = {
                t.replace(minute=0, second=0, microsecond=0)
                for t, _ in points
                if at - timedelta(hours=24) < t <= at
            }
            concentrations[pollutant] = sum(window) / len(window) if len(hours) >= DAILY_MIN_HOURS else None
        else:
            window = [v for t, v in points if at - timedelta(hours=1) < t <= at]
            concentrations[pollutant] = sum(window) / len(window) if window else None
    return eaqi(concentrations, version)


def days_per_eaqi_level(
    series_by_pollutant: Mapping[str, Series], year: int, version: str = DEFAULT_EAQI_VERSION
) -> dict[int, int]:
    """Number of days of ``year`` per overall level, using daily means of each pollutant."""
    daily = {
        p: {d: v for d, v in daily_means(s).items() if d.year == year} for p, s in series_by_pollutant.items()
    }
    all_days = sorted({d for per in daily.values() for d in per})
    counts: dict[int, int] = defaultdict(int)
    for day in all_days:
        result = eaqi({p: per.get(day) for p, per in daily.items()}, version)
        if result is not None:
            counts[result.level] += 1
    return dict(counts)
