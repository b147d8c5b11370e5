"""Air-quality computations on plain time series: means, exceedance days, EAQI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gelsencloud.apps.cockpit import air_quality as aq

CET = aq.REPORTING_TZ


def hourly(start: datetime, values: list[float]) -> list[tuple[datetime, float]]:
    return [(start + timedelta(hours=i), v) for i, v in enumerate(values)]


def test_daily_means_use_utc_plus_one_days_and_need_18_hours():
    # 00:00 CET on 2 Jan = 23:00 UTC on 1 Jan
    day2 = datetime(2025, 1, 1, 23, tzinfo=UTC)
    series = hourly(day2, [10.0] * 12 + [70.0] * 12)  # a full CET day, mean 40
    series += hourly(day2 + timedelta(days=1), [100.0] * 17)  # only 17 hours: not a valid day
    means = aq.daily_means(series)
    assert means == {date(2025, 1, 2): pytest.approx(40.0)}


def test_samples_within_an_hour_are_averaged_first():
    t = datetime(2025, 3, 1, 10, tzinfo=CET)
    series = [
        (t, 10.0),
        (t + timedelta(minutes=20), 20.0),
        (t + timedelta(minutes=40), 30.0),
        (t + timedelta(hours=1), 100.0),
    ]
    assert aq.hourly_means(series) == {t: 20.0, t + timedelta(hours=1): 100.0}


def test_pm10_exceedance_days_2008_and_2024_limits():
    start = datetime(2025, 1, 1, tzinfo=CET)
    days = [48.0] * 5 + [52.0] * 36 + [30.0] * 10  # 36 days above 50, 41 above 45
    series = [(start + timedelta(days=d, hours=h), v) for d, v in enumerate(days) for h in range(24)]
    old = aq.days_over_limit(series, "pm10", 2025, "2008/50/EC")
    assert (old.count, old.periods_evaluated, old.limit.allowed_per_year) == (36, 51, 35)
    assert old.breached
    new = aq.days_over_limit(series, "pm10", 2025, "2024/2881")
    assert new.count == 41 and new.limit.value == 45.0 and new.breached
    exactly = [(start + timedelta(hours=h), 50.0) for h in range(24)]
    assert aq.days_over_limit(exactly, "pm10", 2025).count == 0  # "above" is strict
    with pytest.raises(KeyError):
        aq.days_over_limit(series, "o3", 2025)


def test_no2_hourly_exceedances():
    start = datetime(2025, 6, 1, tzinfo=CET)
    series = hourly(start, [150.0] * 10 + [210.0] * 19)
    result = aq.hours_over_limit(series, "no2", 2025)
    assert result.count == 19 and result.breached  # 18 allowed


def test_annual_mean_reports_coverage_and_limits():
    start = datetime(2024, 1, 1, tzinfo=CET)
    full = hourly(start, [20.0, 30.0] * (366 * 12))  # 2024 is a leap year: 8784 hours
    mean = aq.annual_mean(full, 2024)
    assert mean.value == pytest.approx(25.0) and mean.hours == 8784 and mean.coverage == pytest.approx(1.0)
    sparse = hourly(start, [20.0] * 100)
    assert aq.annual_mean(sparse, 2024).value is None
    assert aq.annual_mean(sparse, 2024, min_coverage=0).value == pytest.approx(20.0)
    _, limit, exceeded = aq.annual_limit_check(full, "pm25", 2024, "2008/50/EC")
    assert limit.value == 25.0 and exceeded is False
    _, limit, exceeded = aq.annual_limit_check(full, "pm25", 2024, "2024/2881")
    assert limit.value == 10.0 and exceeded is True


def test_rolling_means():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    series = hourly(start, [10.0] * 24 + [34.0] * 24)
    rolled = aq.rolling_mean(series, timedelta(hours=24))
    assert rolled[0] == (start, 10.0)
    assert rolled[23][1] == pytest.approx(10.0)
    assert rolled[35][1] == pytest.approx((12 * 10 + 12 * 34) / 24)
    assert rolled[-1][1] == pytest.approx(34.0)
    assert aq.rolling_annual_mean(series, start + timedelta(hours=47)) == pytest.approx(22.0)
    with pytest.raises(ValueError):
        aq.rolling_mean([(datetime(2025, 1, 1), 1.0)])


@pytest.mark.parametrize(
    ("version", "pollutant", "value", "level"),
    [
        ("2024", "pm25", 4.9, 1),
        ("2024", "pm25", 5.0, 2),  # lower-inclusive bands
        ("2024", "pm25", 141.0, 6),
        ("2024", "no2", 60.0, 4),
        ("2021", "pm10", 40.0, 3),
        ("2021", "o3", 380.0, 6),
        ("2017", "so2", 600.0, 5),
    ],
)
def test_eaqi_bands(version, pollutant, value, level):
    assert aq.eaqi_level(pollutant, value, version) == level


def test_eaqi_overall_is_the_worst_sub_index():
    result = aq.eaqi({"pm10": 20.0, "no2": 70.0, "o3": 50.0, "so2": None})
    assert result.level == 4 and result.dominant == "no2" and result.label_de == "Schlecht"
    assert result.sub_indices == {"pm10": 2, "no2": 4, "o3": 1}
    assert aq.eaqi({}) is None


def test_eaqi_from_series_applies_pm_averaging_of_the_version():
    at = datetime(2025, 1, 2, 12, tzinfo=UTC)
    pm10 = hourly(at - timedelta(hours=23), [20.0] * 23 + [130.0])  # last hour spikes
    # 2024: hourly value 130 -> level 4 (120–195); 2021: 24-h running mean 24.6 -> level 2
    assert aq.eaqi_at({"pm10": pm10}, at, "2024").level == 4
    assert aq.eaqi_at({"pm10": pm10}, at, "2021").level == 2
    counts = aq.days_per_eaqi_level(
        {"pm10": hourly(datetime(2025, 1, 1, tzinfo=CET), [10.0] * 24 + [50.0] * 24)}, 2025
    )
    assert counts == {1: 1, 3: 1}
