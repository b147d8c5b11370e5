"""Service layer of the strategy cockpit: API, pages, CLI, jobs and demo all call these.

Everything belongs to the city tenant (stadt-gelsenkirchen): the catalogue and published
values are public, drafts and evaluation scores internal. The session enforces who may read
and write; these functions add the domain rules (valid keys, statuses, ranges).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import scoring
from gelsencloud.apps.cockpit.importer import city_tenant_id
from gelsencloud.apps.cockpit.models import (
    MEASURE_STATUSES,
    Finding,
    Kpi,
    KpiTarget,
    KpiValue,
    Measure,
    MeasureChange,
    MeasureKpi,
)
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import CityArea, utcnow

STATUS_LABELS_DE = {
    "planned": "geplant",
    "running": "in Umsetzung",
    "done": "abgeschlossen",
    "paused": "pausiert",
    "dropped": "verworfen",
}
# U4SSC verification template (VM 2022 p.163): data-quality choices of an IST value.
DATA_QUALITY_DE = {
    1: "Beruht auf genauen Messungen",
    2: "Hochgerechnet aus einer Befragung der Einwohnerschaft",
    3: "Abgeleitet aus Daten einer höheren Ebene",
    4: "Schätzung auf Grundlage bestimmter Annahmen",
    5: "Persönliche Schätzung",
    6: "Methode unbekannt, nicht nachvollziehbar",
}
ORIGINS = ("manual", "csv", "live", "demo")
EDITABLE_MEASURE_FIELDS = ("status", "responsible_unit", "platform_module", "datasets")


def _actor(session: Session) -> str:
    return principal_of(session).name


def sees_staff_names(session: Session) -> bool:
    """Whether the caller belongs to the city (staff names are shown to colleagues only)."""
    principal = principal_of(session)
    if principal.is_system:
        return True
    try:
        return principal.tenant_id is not None and principal.tenant_id == city_tenant_id(session)
    except NotFound:
        return False


PUBLIC_AUTHOR = "Stadt Gelsenkirchen"


def _require_city_writer(session: Session) -> int:
    tenant_id = city_tenant_id(session)
    if not principal_of(session).can_write(tenant_id):
        raise PermissionDenied("only staff of the city may change the strategy cockpit")
    return tenant_id


# --- measures ------------------------------------------------------------------------------


def list_measures(
    session: Session,
    *,
    leitthema: str | None = None,
    handlungsfeld: str | None = None,
    status: str | None = None,
    query: str | None = None,
) -> list[Measure]:
    """Measures the caller may read, in catalogue order, optionally filtered."""
    stmt = select(Measure)
    if leitthema:
        stmt = stmt.where(Measure.leitthema == leitthema)
    if handlungsfeld:
        stmt = stmt.where(Measure.handlungsfeld == handlungsfeld)
    if status:
        stmt = stmt.where(Measure.status == status)
    measures = list(session.scalars(stmt))
    if query:
        needle = query.casefold()
        measures = [m for m in measures if needle in m.title.casefold() or needle in m.number]
    return sorted(measures, key=lambda m: _number_key(m.number))


def _number_key(number: str) -> tuple:
    parts = []
    for part in number.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append((int(digits) if digits else 0, part))
    return tuple(parts)


def get_measure(session: Session, number: str) -> Measure:
    """One readable measure by its number."""
    measure = session.scalar(select(Measure).where(Measure.number == number))
    if measure is None:
        raise NotFound(f"measure {number!r} not found")
    return measure


def update_measure(session: Session, number: str, note: str = "", **changes: Any) -> Measure:
    """Change staff-maintained fields of a measure, writing one history row per changed field."""
    measure = get_measure(session, number)
    _require_city_writer(session)
    unknown = set(changes) - set(EDITABLE_MEASURE_FIELDS)
    if unknown:
        raise InvalidInput(f"fields not editable: {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in MEASURE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(MEASURE_STATUSES)}")
    if "datasets" in changes:
        datasets = changes["datasets"]
        if isinstance(datasets, str):
            datasets = [d.strip() for d in datasets.replace("\n", ",").split(",")]
        changes["datasets"] = [str(d).strip() for d in datasets if str(d).strip()]
    for key in ("responsible_unit", "platform_module"):
        if key in changes:
            changes[key] = str(changes[key] or "").strip()[:200]
    for key, value in changes.items():
        old = getattr(measure, key)
        if old == value:
            continue
        session.add(
            MeasureChange(
                tenant_id=measure.tenant_id,
                classification="internal",  # names staff: not for the public
                measure_number=measure.number,
                actor=_actor(session),
                field=key,
                old_value=", ".join(old) if isinstance(old, list) else str(old),
                new_value=", ".join(value) if isinstance(value, list) else str(value),
                note=note,
            )
        )
        setattr(measure, key, value)
        measure.updated_at = utcnow()
    session.flush()
    return measure


def measure_history(session: Session, number: str) -> list[MeasureChange]:
    """Changes of a measure, newest first."""
    return list(
        session.scalars(
            select(MeasureChange)
            .where(MeasureChange.measure_number == number)
            .order_by(MeasureChange.at.desc(), MeasureChange.id.desc())
        )
    )


# --- KPIs ----------------------------------------------------------------------------------


def list_kpis(
    session: Session, *, leitthema: str | None = None, kind: str | None = None, query: str | None = None
) -> list[Kpi]:
    """KPIs the caller may read (catalogue order = id order of the import)."""
    stmt = select(Kpi).order_by(Kpi.id)
    if leitthema:
        stmt = stmt.where(Kpi.leitthema == leitthema)
    if kind:
        stmt = stmt.where(Kpi.kind == kind)
    kpis = list(session.scalars(stmt))
    if query:
        needle = query.casefold()
        kpis = [k for k in kpis if needle in k.name_de.casefold() or needle in k.code]
    return kpis


def get_kpi(session: Session, code: str) -> Kpi:
    """One readable KPI by its code; a duplicate id of the catalogue resolves to its canonical KPI."""
    kpi = session.scalar(select(Kpi).where(Kpi.code == code))
    if kpi is None:
        for candidate in session.scalars(select(Kpi).where(Kpi.kind == "catalog")):
            if code in (candidate.also_listed_as or []):
                return candidate
        raise NotFound(f"KPI {code!r} not found")
    return kpi


def ensure_platform_kpi(session: Session, code: str, name: str = "") -> Kpi:
    """Return the KPI ``code``, creating a public "platform" KPI for ids not in the catalogue."""
    try:
        return get_kpi(session, code)
    except NotFound:
        pass
    tenant_id = _require_city_writer(session)
    kpi = Kpi(
        tenant_id=tenant_id,
        classification="public",
        code=code,
        kind="platform",
        name_de=name or code,
        definition_de="Von einer Anwendung der Plattform berechnete Kennzahl (nicht Teil von Abschnitt 8.2).",
        data_source="GELSENcloud",
        frameworks=[],
        also_listed_as=[],
    )
    session.add(kpi)
    session.flush()
    return kpi


def u4ssc_category(kpi: Kpi) -> str | None:
    """U4SSC category code of a KPI ("EC: ICT: ICT: 1C" -> "EC: ICT: ICT"), if mapped."""
    for ref in kpi.frameworks or []:
        if ref.get("framework") == "U4SSC" and ref.get("code"):
            parts = [p.strip() for p in ref["code"].split(":")]
            if len(parts) >= 4:
                return ": ".join(parts[:3])
    return None


# --- findings ------------------------------------------------------------------------------


def list_findings(session: Session, *, include_resolved: bool = True) -> list[Finding]:
    """Data-quality findings the caller may read."""
    stmt = select(Finding).order_by(Finding.id)
    if not include_resolved:
        stmt = stmt.where(Finding.resolved.is_(False))
    return list(session.scalars(stmt))


# --- values --------------------------------------------------------------------------------


def district_codes(session: Session) -> set[str]:
    """Codes of the city's districts and quarters (CityArea)."""
    return set(session.scalars(select(CityArea.code)))


@dataclass
class ValueInput:
    """An IST value to record (from a form, the API, a CSV row or a provider)."""

    kpi_code: str
    period_start: date
    period_end: date
    value: float | None
    district_code: str | None = None
    source: str = ""
    method: str = ""
    data_quality: int | None = None
    published: bool = False
    details: dict[str, Any] | None = None


def validate_value(session: Session, item: ValueInput, districts: set[str] | None = None) -> Kpi:
    """Check one value; raise InvalidInput with a message naming the problem."""
    kpi = get_kpi(session, item.kpi_code)
    if item.period_end < item.period_start:
        raise InvalidInput("period_end is before period_start")
    if item.data_quality is not None and item.data_quality not in DATA_QUALITY_DE:
        raise InvalidInput("data_quality must be 1 to 6 (U4SSC data-quality choices)")
    if item.value is not None and item.value != item.value:  # NaN
        raise InvalidInput("value must be a number")
    if item.district_code:
        known = districts if districts is not None else district_codes(session)
        if item.district_code not in known:
            raise InvalidInput(f"unknown district code {item.district_code!r}")
    return kpi


def add_value(
    session: Session, item: ValueInput, *, origin: str = "manual", districts: set[str] | None = None
) -> KpiValue:
    """Record an IST value (public when published, internal as a draft)."""
    tenant_id = _require_city_writer(session)
    if origin not in ORIGINS:
        raise InvalidInput(f"origin must be one of {', '.join(ORIGINS)}")
    kpi = validate_value(session, item, districts)
    record = KpiValue(
        tenant_id=tenant_id,
        classification="public" if item.published else "internal",
        kpi_code=kpi.code,
        period_start=item.period_start,
        period_end=item.period_end,
        district_code=item.district_code or None,
        value=item.value,
        source=item.source.strip(),
        method=item.method.strip(),
        data_quality=item.data_quality,
        origin=origin,
        entered_by=_actor(session),
        details=item.details or {},
    )
    session.add(record)
    if item.district_code and not kpi.spatial:
        kpi.spatial = True
    session.flush()
    return record


def get_value(session: Session, value_id: int) -> KpiValue:
    """One readable IST value."""
    record = session.scalar(select(KpiValue).where(KpiValue.id == value_id))
    if record is None:
        raise NotFound(f"value {value_id} not found")
    return record


def set_value_published(session: Session, value_id: int, published: bool) -> KpiValue:
    """Publish a draft value or withdraw a published one."""
    record = get_value(session, value_id)
    _require_city_writer(session)
    record.classification = "public" if published else "internal"
    session.flush()
    return record


def delete_value(session: Session, value_id: int) -> None:
    """Delete an IST value."""
    record = get_value(session, value_id)
    _require_city_writer(session)
    session.delete(record)
    session.flush()


def list_values(
    session: Session,
    *,
    kpi_code: str | None = None,
    district_code: str | None = None,
    city_wide: bool | None = None,
    origin: str | None = None,
) -> list[KpiValue]:
    """IST values the caller may read, oldest period first."""
    stmt = select(KpiValue).order_by(KpiValue.kpi_code, KpiValue.period_start, KpiValue.id)
    if kpi_code:
        stmt = stmt.where(KpiValue.kpi_code == get_kpi(session, kpi_code).code)
    if district_code:
        stmt = stmt.where(KpiValue.district_code == district_code)
    elif city_wide:
        stmt = stmt.where(KpiValue.district_code.is_(None))
    if origin:
        stmt = stmt.where(KpiValue.origin == origin)
    return list(session.scalars(stmt))


def annual_series(values: list[KpiValue]) -> list[tuple[int, float]]:
    """One city-wide value per year: the one with the latest period end (newest entry wins)."""
    best: dict[int, KpiValue] = {}
    for v in values:
        if v.district_code is not None or v.value is None:
            continue
        year = v.period_end.year
        current = best.get(year)
        if current is None or (v.period_end, v.id) >= (current.period_end, current.id):
            best[year] = v
    return sorted((year, v.value) for year, v in best.items())


# --- targets -------------------------------------------------------------------------------


def set_target(
    session: Session,
    kpi_code: str,
    year: int,
    value: float,
    *,
    value_upper: float | None = None,
    basis: str = "",
    published: bool = True,
) -> KpiTarget:
    """Set the SOLL of a KPI for a year (city-wide), replacing an existing one."""
    tenant_id = _require_city_writer(session)
    kpi = get_kpi(session, kpi_code)
    if not 2000 <= year <= 2100:
        raise InvalidInput("year must be between 2000 and 2100")
    if value != value:
        raise InvalidInput("value must be a number")
    if value_upper is not None and value_upper < value:
        raise InvalidInput("value_upper must not be below value")
    if kpi.direction == "target_range" and value_upper is None:
        value_upper = value
    target = session.scalar(
        select(KpiTarget).where(
            KpiTarget.kpi_code == kpi.code, KpiTarget.year == year, KpiTarget.district_code.is_(None)
        )
    )
    if target is None:
        target = KpiTarget(tenant_id=tenant_id, kpi_code=kpi.code, year=year)
        session.add(target)
    target.value, target.value_upper, target.basis = value, value_upper, basis.strip()
    target.classification = "public" if published else "internal"
    target.entered_by, target.entered_at = _actor(session), utcnow()
    session.flush()
    return target


def list_targets(session: Session, kpi_code: str | None = None) -> list[KpiTarget]:
    """SOLL values the caller may read."""
    stmt = select(KpiTarget).order_by(KpiTarget.kpi_code, KpiTarget.year)
    if kpi_code:
        stmt = stmt.where(KpiTarget.kpi_code == get_kpi(session, kpi_code).code)
    return list(session.scalars(stmt))


def delete_target(session: Session, target_id: int) -> None:
    """Delete a SOLL value."""
    target = session.scalar(select(KpiTarget).where(KpiTarget.id == target_id))
    if target is None:
        raise NotFound(f"target {target_id} not found")
    _require_city_writer(session)
    session.delete(target)
    session.flush()


# --- measure-KPI links ---------------------------------------------------------------------


def link_measure_kpi(
    session: Session,
    number: str,
    kpi_code: str,
    *,
    expected_contribution: str = "",
    expected_delta: float | None = None,
) -> MeasureKpi:
    """Link a measure to a KPI with its expected contribution (updates an existing link)."""
    tenant_id = _require_city_writer(session)
    measure = get_measure(session, number)
    kpi = get_kpi(session, kpi_code)
    link = session.scalar(
        select(MeasureKpi).where(MeasureKpi.measure_number == measure.number, MeasureKpi.kpi_code == kpi.code)
    )
    if link is None:
        link = MeasureKpi(tenant_id=tenant_id, classification="public", measure_number=measure.number)
        link.kpi_code = kpi.code
        session.add(link)
    link.expected_contribution = expected_contribution.strip()
    link.expected_delta = expected_delta
    session.flush()
    return link


def links_of_measure(session: Session, number: str) -> list[MeasureKpi]:
    """KPIs linked to a measure."""
    return list(session.scalars(select(MeasureKpi).where(MeasureKpi.measure_number == number)))


def links_of_kpi(session: Session, code: str) -> list[MeasureKpi]:
    """Measures linked to a KPI."""
    return list(session.scalars(select(MeasureKpi).where(MeasureKpi.kpi_code == code)))


# --- comparison and scoring ----------------------------------------------------------------


def _targets_by_kpi(
    session: Session, public_only: bool = False
) -> dict[str, dict[int, tuple[float, float | None]]]:
    result: dict[str, dict[int, tuple[float, float | None]]] = defaultdict(dict)
    stmt = select(KpiTarget).where(KpiTarget.district_code.is_(None))
    if public_only:
        stmt = stmt.where(KpiTarget.classification == "public")
    for t in session.scalars(stmt):
        result[t.kpi_code][t.year] = (t.value, t.value_upper)
    return result


def _values_by_kpi(session: Session, public_only: bool = False) -> dict[str, list[KpiValue]]:
    result: dict[str, list[KpiValue]] = defaultdict(list)
    stmt = select(KpiValue).where(KpiValue.district_code.is_(None))
    if public_only:
        stmt = stmt.where(KpiValue.classification == "public")
    for v in session.scalars(stmt):
        result[v.kpi_code].append(v)
    return result


def compare_kpi(session: Session, code: str) -> scoring.Comparison:
    """IST/SOLL comparison of one KPI from the values and targets the caller may read."""
    kpi = get_kpi(session, code)
    values = list_values(session, kpi_code=kpi.code, city_wide=True)
    targets = {
        t.year: (t.value, t.value_upper) for t in list_targets(session, kpi.code) if not t.district_code
    }
    return scoring.compare(kpi.code, kpi.direction, annual_series(values), targets)


def comparisons(session: Session, *, public_only: bool = False) -> list[tuple[Kpi, scoring.Comparison]]:
    """Comparison of every readable KPI (no data where values or targets are missing).

    ``public_only`` uses published values and targets even when the caller could read drafts
    (transparency page, council report).
    """
    targets = _targets_by_kpi(session, public_only)
    values = _values_by_kpi(session, public_only)
    kpis = [k for k in list_kpis(session) if not public_only or k.classification == "public"]
    return [
        (kpi, scoring.compare(kpi.code, kpi.direction, annual_series(values[kpi.code]), targets[kpi.code]))
        for kpi in kpis
    ]


def public_values(session: Session, kpi_code: str | None = None) -> list[KpiValue]:
    """Published IST values only, whoever asks."""
    return [v for v in list_values(session, kpi_code=kpi_code) if v.classification == "public"]


def public_measures(session: Session) -> list[Measure]:
    """Public measures only, whoever asks."""
    return [m for m in list_measures(session) if m.classification == "public"]


@dataclass(frozen=True)
class GroupScore:
    """U4SSC-style score of a group of KPIs with its status counts."""

    key: str
    title: str
    score: scoring.CategoryScore
    status_counts: dict[str, int]
    kpis: int


def _group(rows: list[tuple[Kpi, scoring.Comparison]], key_of) -> list[GroupScore]:
    groups: dict[str, list[tuple[Kpi, scoring.Comparison]]] = defaultdict(list)
    for kpi, comp in rows:
        key = key_of(kpi)
        if key:
            groups[key].append((kpi, comp))
    result = []
    for key, members in groups.items():
        counts = {s: 0 for s in scoring.STATUS_LABELS_DE}
        for _, comp in members:
            counts[comp.status] += 1
        result.append(
            GroupScore(
                key=key,
                title=key,
                score=scoring.category_score(c.points for _, c in members),
                status_counts=counts,
                kpis=len(members),
            )
        )
    return result


def u4ssc_scores(session: Session) -> list[GroupScore]:
    """Category scores over U4SSC categories (sum of points / maximum points)."""
    return sorted(_group(comparisons(session), u4ssc_category), key=lambda g: g.key)


def handlungsfeld_scores(session: Session) -> list[GroupScore]:
    """The same scoring per Leitthema / Handlungsfeld of the strategy, in catalogue order."""
    return _group(
        comparisons(session), lambda k: f"{k.leitthema} / {k.handlungsfeld}" if k.leitthema else None
    )


def measure_progress(session: Session) -> list[dict[str, Any]]:
    """Measures per Leitthema and Handlungsfeld with their status counts."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for m in list_measures(session):
        key = (m.leitthema, m.handlungsfeld)
        row = rows.setdefault(
            key,
            {
                "leitthema": m.leitthema,
                "leitthema_title": m.leitthema_title,
                "handlungsfeld": m.handlungsfeld,
                "handlungsfeld_title": m.handlungsfeld_title,
                "total": 0,
                **{s: 0 for s in MEASURE_STATUSES},
            },
        )
        row["total"] += 1
        row[m.status] += 1
    result = list(rows.values())
    for row in result:
        active = row["total"] - row["dropped"]
        row["done_share"] = row["done"] / active if active else None
    return result
