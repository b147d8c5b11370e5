"""IST/SOLL comparison and U4SSC benchmark scoring, as pure functions.

U4SSC scoring (U4SSC factsheets 2020, see shared/reference/kpi-frameworks.md §2):

* share of the target (benchmark) reached -> points: 0–33 % = 1, 33–66 % = 2, 66–95 % = 3, 95 %+ = 4.
  The published bands share their edges; here an edge belongs to the higher band
  (33 % exactly gives 2 points, 95 % exactly gives 4).
* category score = sum of points / maximum possible points (4 per KPI); KPIs without a value
  or without a target are left out of both sums. Reported as a percentage and as the band
  ("0–33 %", "33–66 %", "66–95 %", "95 %+"), e.g. 1+3+4+1 = 9 of 16 = 56.25 % -> "33–66 %".

Share of target reached, by the KPI's direction:

* increase (higher is better): IST / SOLL; a SOLL of 0 or less counts as reached when IST >= SOLL.
* decrease (lower is better): SOLL / IST; an IST of 0 or less is reached.
* target_range (corridor [SOLL, upper]): 100 % inside; below: IST / SOLL; above: upper / IST.

The share is capped at 100 % and floored at 0 %.

Traffic light of a KPI (the cockpit's rule, documented on the KPI pages):

* The comparison uses the newest IST value (city-wide) and the SOLL for that value's year.
  When no SOLL is set for that year, the SOLL is interpolated linearly between the
  baseline (the oldest IST value) and the next SOLL after it; without a later SOLL the
  latest earlier SOLL applies.
* on track ("im Plan") = 4 U4SSC points (>= 95 % reached), at risk ("gefährdet") = 3 points
  (66–95 %), off track ("nicht im Plan") = 1–2 points (< 66 %). No IST value or no SOLL:
  "no data" ("keine Daten").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BANDS = ((0.95, 4), (0.66, 3), (0.33, 2))
BAND_LABELS = {1: "0–33 %", 2: "33–66 %", 3: "66–95 %", 4: "95 %+"}
STATUS_LABELS_DE = {
    "on_track": "im Plan",
    "at_risk": "gefährdet",
    "off_track": "nicht im Plan",
    "no_data": "keine Daten",
}


def share_reached(ist: float, soll: float, direction: str, upper: float | None = None) -> float:
    """Share (0..1) of the SOLL value that the IST value reaches, honouring the KPI direction."""
    if direction == "decrease":
        share = 1.0 if ist <= 0 or ist <= soll else soll / ist
    elif direction == "target_range":
        high = upper if upper is not None else soll
        if soll <= ist <= high:
            share = 1.0
        elif ist < soll:
            share = ist / soll if soll > 0 else 0.0
        else:
            share = high / ist if ist > 0 else 0.0
    elif direction == "increase":
        share = 1.0 if soll <= 0 and ist >= soll else (ist / soll if soll > 0 else 0.0)
    else:
        raise ValueError(f"unknown direction {direction!r}")
    return min(1.0, max(0.0, share))


def u4ssc_points(share: float) -> int:
    """U4SSC points (1–4) for a share of the benchmark reached."""
    for threshold, points in BANDS:
        if share >= threshold:
            return points
    return 1


def band_label(score: float) -> str:
    """The U4SSC band a category score (0..1) falls into."""
    return BAND_LABELS[u4ssc_points(score)]


def status_for_points(points: int | None) -> str:
    """Traffic-light status of a KPI from its U4SSC points (None = no data)."""
    if points is None:
        return "no_data"
    if points >= 4:
        return "on_track"
    if points == 3:
        return "at_risk"
    return "off_track"


@dataclass(frozen=True)
class CategoryScore:
    """Score of a group of KPIs (a U4SSC category, a Handlungsfeld…)."""

    points: int
    max_points: int
    kpis_scored: int

    @property
    def score(self) -> float | None:
        """Sum of points / maximum points, None when nothing was scored."""
        return self.points / self.max_points if self.max_points else None

    @property
    def band(self) -> str | None:
        """U4SSC band of the score."""
        return band_label(self.score) if self.score is not None else None


def category_score(points: Iterable[int | None]) -> CategoryScore:
    """Aggregate KPI points; None (no value or no benchmark) is left out of the denominator."""
    scored = [p for p in points if p is not None]
    for p in scored:
        if p not in (1, 2, 3, 4):
            raise ValueError(f"U4SSC points are 1 to 4, got {p!r}")
    return CategoryScore(points=sum(scored), max_points=4 * len(scored), kpis_scored=len(scored))


def target_for_year(
    year: int, targets: dict[int, tuple[float, float | None]], baseline: tuple[int, float] | None
) -> tuple[float, float | None, str] | None:
    """SOLL (value, upper, how) for ``year``: explicit, interpolated from the baseline, or the last one."""
    if year in targets:
        value, upper = targets[year]
        return value, upper, "explicit"
    later = sorted(y for y in targets if y > year)
    if later and baseline is not None and baseline[0] <= year:
        y1 = later[0]
        value1, upper1 = targets[y1]
        y0, value0 = baseline
        earlier = sorted(y for y in targets if y0 <= y < year)
        if earlier:  # interpolate from the previous SOLL, not from the baseline
            y0 = earlier[-1]
            value0 = targets[y0][0]
        fraction = (year - y0) / (y1 - y0) if y1 != y0 else 1.0
        value = value0 + (value1 - value0) * fraction
        upper = None if upper1 is None else upper1 + (value - value1)
        return value, upper, "interpolated"
    earlier = sorted(y for y in targets if y < year)
    if earlier:
        value, upper = targets[earlier[-1]]
        return value, upper, "previous"
    return None


@dataclass(frozen=True)
class Comparison:
    """IST/SOLL comparison of one KPI."""

    kpi_code: str
    direction: str
    ist: float | None
    ist_year: int | None
    soll: float | None
    soll_upper: float | None
    soll_kind: str | None
    share: float | None
    points: int | None
    status: str

    @property
    def status_de(self) -> str:
        """German label of the status."""
        return STATUS_LABELS_DE[self.status]

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return {
            "kpi": self.kpi_code,
            "direction": self.direction,
            "ist": self.ist,
            "ist_year": self.ist_year,
            "soll": self.soll,
            "soll_upper": self.soll_upper,
            "soll_kind": self.soll_kind,
            "share_reached": self.share,
            "u4ssc_points": self.points,
            "status": self.status,
            "status_de": self.status_de,
        }


def compare(
    kpi_code: str,
    direction: str,
    series: list[tuple[int, float]],
    targets: dict[int, tuple[float, float | None]],
) -> Comparison:
    """Compare the newest IST value of ``series`` ((year, value), any order) with its SOLL."""
    clean = sorted((y, v) for y, v in series if v is not None)
    if not clean or not targets:
        latest = clean[-1] if clean else (None, None)
        return Comparison(kpi_code, direction, latest[1], latest[0], None, None, None, None, None, "no_data")
    baseline = clean[0]
    year, ist = clean[-1]
    target = target_for_year(year, targets, baseline)
    if target is None:
        return Comparison(kpi_code, direction, ist, year, None, None, None, None, None, "no_data")
    soll, upper, how = target
    share = share_reached(ist, soll, direction, upper)
    points = u4ssc_points(share)
    return Comparison(
        kpi_code, direction, ist, year, soll, upper, how, share, points, status_for_points(points)
    )
