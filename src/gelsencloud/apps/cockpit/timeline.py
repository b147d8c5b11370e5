"""Timeline of the measures: parsed implementation periods placed on a common year axis (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gelsencloud.apps.cockpit.models import Measure
from gelsencloud.apps.cockpit.periods import parse_period


@dataclass(frozen=True)
class Axis:
    """Year axis of a timeline: first day of ``first_year`` to the last day of ``last_year``."""

    first_year: int
    last_year: int

    @property
    def start(self) -> date:
        """First day on the axis."""
        return date(self.first_year, 1, 1)

    @property
    def end(self) -> date:
        """Last day on the axis."""
        return date(self.last_year, 12, 31)

    @property
    def years(self) -> list[int]:
        """Every year on the axis."""
        return list(range(self.first_year, self.last_year + 1))

    def ticks(self, most: int = 8) -> list[tuple[int, float]]:
        """Labelled years (at most ``most``, evenly stepped) with their place on the axis in percent."""
        step = max(1, -(-len(self.years) // most))
        return [(y, self.position(date(y, 1, 1))) for y in self.years if (y - self.first_year) % step == 0]

    def position(self, day: date) -> float:
        """Place of a day on the axis in percent (0 = axis start, 100 = axis end), clamped."""
        span = (self.end - self.start).days + 1
        share = ((day - self.start).days) / span
        return round(100 * min(1.0, max(0.0, share)), 2)


@dataclass(frozen=True)
class TimelineRow:
    """One measure on the timeline."""

    measure: Measure
    start: date | None
    end: date | None
    open_ended: bool
    ongoing: bool
    precision: str
    left: float | None  # percent of the axis; None = not placeable (no dates known)
    width: float | None

    @property
    def placed(self) -> bool:
        """Whether the period could be drawn."""
        return self.left is not None


def axis_for(measures: list[Measure], today: date) -> Axis:
    """An axis covering every known start and end, and today."""
    years = [today.year]
    for m in measures:
        years += [d.year for d in (m.period_start, m.period_end) if d is not None]
    return Axis(min(years), max(years))


def build_timeline(
    measures: list[Measure], today: date, axis: Axis | None = None
) -> tuple[Axis, list[TimelineRow]]:
    """Rows ordered by start (unknown starts last); open-ended periods run to the axis end.

    A period with only an end ("bis Q3. 2021") is drawn from the axis start, marked as such by
    ``start`` None; a period without any date is listed but not drawn.
    """
    axis = axis or axis_for(measures, today)
    rows = []
    for m in measures:
        period = parse_period(m.period_text)
        start, end = m.period_start, m.period_end
        if start is None and end is None:
            left = width = None
        else:
            first = axis.position(start or axis.start)
            last_day = end or axis.end
            one_day = 100 / ((axis.end - axis.start).days + 1)
            width = min(100 - first, max(0.8, round(axis.position(last_day) - first + one_day, 2)))
            left = first
        rows.append(
            TimelineRow(m, start, end, period.open_ended, period.ongoing, period.precision, left, width)
        )
    rows.sort(
        key=lambda r: (r.start is None and r.end is None, r.start or r.end or date.max, r.measure.number)
    )
    return axis, rows
