"""Column profiling for the chart recommender: each column's encoding type and table structure.

Thresholds follow CompassQL, Lux and Datawrapper (see docs/opendata.md, "Automatic charts"); the
German city additions (period labels, hour of day, age bands, AGS/ARS codes, rate columns) are
the project's own rules, each documented there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

TEMPORAL_NAMES = {"jahr", "monat", "datum", "stichtag", "zeit", "tag", "year", "month", "date", "day", "time"}
ID_NAME = re.compile(r"(^|_)(id|nr|nummer|schluessel|code|rowid)$", re.I)
LAT_NAMES = {"lat", "latitude", "breite", "breitengrad"}
LON_NAMES = {"lon", "lng", "longitude", "laenge", "länge", "laengengrad"}
# Cyclic time units are ordered categories, not a time line (Lux/reference rule B5: O + Q -> bar in order).
CYCLIC_NAMES = re.compile(r"^(stunde|uhrzeit|hour|wochentag|weekday|kalenderwoche|kw)$", re.I)
# Period labels that are not dates but are ordered in time: "2021-Q1", "Q1 2021", "2019/20", "2019/2020".
PERIOD = re.compile(r"^(\d{4}\s*-?\s*Q[1-4]|Q[1-4]\s*\d{4}|\d{4}/\d{2}(\d{2})?)$", re.I)
# Ordered bands: age groups "0-5", "6 - 17", "80+", "unter 18", "65 und älter".
BAND = re.compile(r"^(\d+\s*[-–]\s*\d+|\d+\s*\+|unter \d+|\d+ und (älter|mehr)|über \d+)(\s*jahre)?$", re.I)
# Official German area keys: 8-digit AGS, 12-digit ARS (kept as text because of the leading zero).
AREA_KEY_NAME = re.compile(r"^(ags|ars|gemeindeschluessel|regionalschluessel|kreisschluessel)$", re.I)
AREA_KEY = re.compile(r"^\d{8}$|^\d{12}$")
# Normalised measures: shares, rates, densities and means are compared as they are, never summed.
RATE_NAME = re.compile(
    r"(quote|anteil|prozent|percent|pct|rate|share|dichte|density|mittel|durchschnitt|average|_je_|_pro_)",
    re.I,
)
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


@dataclass
class ColumnProfile:
    """What the recommender knows about one column."""

    name: str
    kind: str  # quantitative | nominal | ordinal | temporal | key | geo-lat | geo-lon | geo-code
    distinct: int
    count: int
    time_unit: str | None = None  # "year" / "period": ordered labels on the axis
    skew: float = 0.0
    unevenness: float = 0.0
    unique: bool = False  # every row has its own value: one row per category or point in time
    data_order: bool = False  # ordinal whose order is the order of first appearance (bands)

    @property
    def rate(self) -> bool:
        """Whether the column is a normalised measure (share, rate, mean), aggregated by mean."""
        return bool(RATE_NAME.search(self.name))


def is_date(value: Any) -> bool:
    """Tell whether a value is a date or date-time (ISO or German notation)."""
    if isinstance(value, datetime | date):
        return True
    if not isinstance(value, str) or len(value) < 7:
        return False
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _skew(values: list[float]) -> float:
    n = len(values)
    if n < 3:
        return 0.0
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    if var == 0:
        return 0.0
    return abs(sum((v - mean) ** 3 for v in values) / n / var**1.5)


def _kind(
    name: str, values: list[Any], numeric: list[float], distinct: int, rows: int
) -> tuple[str, str | None]:
    lname = name.lower()
    count = len(values)
    texts = [str(v).strip() for v in values]
    if count == 0:
        return "key", None  # empty column: never encode
    if lname in LAT_NAMES and len(numeric) == count:
        return "geo-lat", None
    if lname in LON_NAMES and len(numeric) == count:
        return "geo-lon", None
    if AREA_KEY_NAME.match(lname) or (
        distinct > 1 and all(isinstance(v, str) and AREA_KEY.match(v) for v in values)
    ):
        return "geo-code", None  # area keys identify regions; the name column is the label to show
    if len(numeric) == count:
        ints = all(float(v).is_integer() for v in numeric)
        if ints and ("jahr" in lname or "year" in lname) and all(1800 <= v <= 2100 for v in numeric):
            return "temporal", "year"
        if ints and CYCLIC_NAMES.match(lname):
            return "ordinal", None
        if ID_NAME.search(lname) and distinct / count > 0.8:
            return "key", None
        if ints and distinct < 40 and distinct / max(rows, 1) < 0.05:
            return "ordinal", None  # CompassQL: few distinct integers are categories (kept in order)
        return "quantitative", None
    if sum(PERIOD.match(t) is not None for t in texts) >= 0.9 * count:
        return "temporal", "period"
    if sum(is_date(v) for v in values) >= 0.9 * count or lname in TEMPORAL_NAMES:
        return "temporal", None
    if CYCLIC_NAMES.match(lname):
        return "ordinal", None
    if sum(BAND.match(t) is not None for t in texts) >= 0.9 * count:
        return "ordinal", "bands"
    if ID_NAME.search(lname) and distinct / count > 0.8:
        return "key", None
    if distinct / max(count, 1) > 0.8 and count > 50:
        return "key", None  # CompassQL KEY: identifiers and free text are not encoded
    return "nominal", None


def profile_columns(rows: list[dict[str, Any]], columns: list[dict[str, str]]) -> list[ColumnProfile]:
    """Infer each column's encoding type and structure from a sample of rows."""
    profiles = []
    n = len(rows)
    for col in columns:
        name = col["name"]
        values = [r.get(name) for r in rows if r.get(name) is not None and r.get(name) != ""]
        distinct = len({str(v) for v in values})
        numeric = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        kind, unit = _kind(name, values, numeric, distinct, n)
        profile = ColumnProfile(name, kind, distinct, len(values))
        profile.unique = distinct == len(values) == n
        if unit == "bands":
            profile.data_order = True
        else:
            profile.time_unit = unit
        if kind == "quantitative":
            profile.skew = _skew(numeric)
        if kind in ("nominal", "ordinal"):
            counts: dict[str, int] = {}
            for v in values:
                counts[str(v)] = counts.get(str(v), 0) + 1
            mean = len(values) / max(distinct, 1)
            profile.unevenness = math.sqrt(
                sum((c - mean) ** 2 for c in counts.values()) / max(distinct, 1)
            ) / max(mean, 1)
        profiles.append(profile)
    return profiles


def series_split(
    rows: list[dict[str, Any]], time: ColumnProfile, nominals: list[ColumnProfile]
) -> ColumnProfile | None:
    """The nominal column that splits a table into one time series per value (panel data), if any.

    A table is a panel when (time, category) identifies each row; only categories with at most 7
    values qualify (CompassQL's good colour limit), the smallest first.
    """
    for candidate in sorted((p for p in nominals if p.distinct <= 7), key=lambda p: p.distinct):
        pairs = {(str(r.get(time.name)), str(r.get(candidate.name))) for r in rows}
        if len(pairs) == len(rows):
            return candidate
    return None


def area_level(
    profile: ColumnProfile, rows: list[dict[str, Any]], regions: dict[str, set[str]]
) -> str | None:
    """The city area level (e.g. "stadtteil") whose names the column's values are, if at least 80 % match."""
    if profile.kind != "nominal" or not regions:
        return None
    values = {str(r.get(profile.name)).strip().lower() for r in rows if r.get(profile.name) not in (None, "")}
    for level, names in regions.items():
        known = {n.lower() for n in names}
        if values and len(values & known) >= 0.8 * len(values):
            return level
    return None
