"""U4SSC benchmark scoring and the IST/SOLL traffic-light rule (pure functions)."""

from __future__ import annotations

import pytest

from gelsencloud.apps.cockpit.scoring import (
    band_label,
    category_score,
    compare,
    share_reached,
    status_for_points,
    target_for_year,
    u4ssc_points,
)


@pytest.mark.parametrize(
    ("share", "points"),
    [(0.0, 1), (0.329, 1), (0.33, 2), (0.5, 2), (0.659, 2), (0.66, 3), (0.9499, 3), (0.95, 4), (1.0, 4)],
)
def test_share_of_benchmark_gives_points_with_edges_in_the_higher_band(share, points):
    assert u4ssc_points(share) == points


def test_category_score_is_points_over_maximum_and_skips_unscored_kpis():
    # the worked example of the U4SSC factsheet: Education 1+3+4+1 = 9 of 16 = 56.25 %
    score = category_score([1, 3, 4, 1, None])
    assert (score.points, score.max_points, score.kpis_scored) == (9, 16, 4)
    assert score.score == pytest.approx(0.5625) and score.band == "33–66 %"
    assert category_score([None, None]).score is None
    assert band_label(0.95) == "95 %+" and band_label(0.2) == "0–33 %"
    with pytest.raises(ValueError):
        category_score([5])


def test_share_reached_follows_the_direction():
    assert share_reached(50, 100, "increase") == pytest.approx(0.5)
    assert share_reached(150, 100, "increase") == 1.0
    assert share_reached(20, 10, "decrease") == pytest.approx(0.5)  # twice the allowed level
    assert share_reached(8, 10, "decrease") == 1.0
    assert share_reached(0, 10, "decrease") == 1.0
    assert share_reached(5, 10, "target_range", 20) == pytest.approx(0.5)
    assert share_reached(15, 10, "target_range", 20) == 1.0
    assert share_reached(40, 10, "target_range", 20) == pytest.approx(0.5)
    assert share_reached(-5, 10, "increase") == 0.0
    with pytest.raises(ValueError):
        share_reached(1, 1, "sideways")


def test_status_is_derived_from_points():
    assert [status_for_points(p) for p in (None, 1, 2, 3, 4)] == [
        "no_data",
        "off_track",
        "off_track",
        "at_risk",
        "on_track",
    ]


def test_soll_is_explicit_interpolated_or_previous():
    targets = {2030: (80.0, None)}
    # baseline 40 in 2021, target 80 in 2030: SOLL 2024 = 40 + 40 * 3/9
    value, upper, how = target_for_year(2024, targets, (2021, 40.0))
    assert how == "interpolated" and value == pytest.approx(53.3333, rel=1e-4) and upper is None
    assert target_for_year(2030, targets, (2021, 40.0)) == (80.0, None, "explicit")
    assert target_for_year(2032, targets, (2021, 40.0)) == (80.0, None, "previous")
    # an explicit intermediate SOLL is the starting point of the interpolation
    value, _, _ = target_for_year(2027, {2025: (60.0, None), 2030: (80.0, None)}, (2021, 40.0))
    assert value == pytest.approx(68.0)
    assert target_for_year(2020, {}, (2019, 1.0)) is None


def test_compare_uses_newest_ist_against_its_soll():
    on_track = compare("k", "increase", [(2021, 40.0), (2024, 56.0)], {2030: (80.0, None)})
    assert on_track.ist == 56.0 and on_track.soll_kind == "interpolated"
    assert on_track.points == 4 and on_track.status == "on_track" and on_track.status_de == "im Plan"
    at_risk = compare("k", "increase", [(2021, 40.0), (2024, 45.0)], {2024: (60.0, None)})
    assert at_risk.share == pytest.approx(0.75) and at_risk.status == "at_risk"
    off = compare("k", "decrease", [(2023, 30.0)], {2023: (15.0, None)})
    assert off.share == pytest.approx(0.5) and off.points == 2 and off.status == "off_track"
    assert compare("k", "increase", [], {2030: (1.0, None)}).status == "no_data"
    assert compare("k", "increase", [(2024, 1.0)], {}).status == "no_data"
    assert compare("k", "increase", [(2024, 1.0)], {}).as_dict()["ist"] == 1.0
