"""JSON API of the strategy cockpit under /api/v1/cockpit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gelsencloud.apps.cockpit import csv_io, evaluation, service
from gelsencloud.apps.cockpit.models import MEASURE_STATUSES, Kpi, KpiTarget, KpiValue, Measure
from gelsencloud.core.auth import DbSession, LoggedIn

PREFIX = "/api/v1/cockpit"


def measure_json(m: Measure, *, full: bool = False) -> dict[str, Any]:
    """A measure as JSON."""
    data = {
        "number": m.number,
        "title": m.title,
        "leitthema": m.leitthema,
        "leitthema_title": m.leitthema_title,
        "handlungsfeld": m.handlungsfeld,
        "handlungsfeld_title": m.handlungsfeld_title,
        "status": m.status,
        "status_de": service.STATUS_LABELS_DE.get(m.status, m.status),
        "responsible_unit": m.responsible_unit,
        "platform_module": m.platform_module,
        "datasets": m.datasets,
        "period_text": m.period_text,
        "period_start": m.period_start,
        "period_end": m.period_end,
        "sdgs": m.sdgs,
        "updated_at": m.updated_at,
    }
    if full:
        data.update(
            {"description": m.description, "financing": m.financing, "catalog_version": m.catalog_version}
        )
    return data


def kpi_json(k: Kpi) -> dict[str, Any]:
    """A KPI as JSON."""
    return {
        "code": k.code,
        "kind": k.kind,
        "name_de": k.name_de,
        "leitthema": k.leitthema,
        "handlungsfeld": k.handlungsfeld,
        "definition_de": k.definition_de,
        "formula": {"numerator": k.numerator, "denominator": k.denominator},
        "unit": k.unit,
        "normalisation": k.normalisation,
        "direction": k.direction,
        "period": k.period,
        "data_source": k.data_source,
        "frameworks": k.frameworks,
        "u4ssc_category": service.u4ssc_category(k),
        "also_listed_as": k.also_listed_as,
        "spatial": k.spatial,
        "notes": k.notes,
    }


def value_json(v: KpiValue, staff_names: bool = True) -> dict[str, Any]:
    """An IST value as JSON."""
    return {
        "id": v.id,
        "kpi": v.kpi_code,
        "period_start": v.period_start,
        "period_end": v.period_end,
        "district": v.district_code,
        "value": v.value,
        "source": v.source,
        "method": v.method,
        "data_quality": v.data_quality,
        "data_quality_de": service.DATA_QUALITY_DE.get(v.data_quality) if v.data_quality else None,
        "origin": v.origin,
        "live": v.origin == "live",
        "published": v.classification == "public",
        "entered_by": v.entered_by if staff_names else service.PUBLIC_AUTHOR,
        "entered_at": v.entered_at,
        "details": v.details,
    }


def target_json(t: KpiTarget, staff_names: bool = True) -> dict[str, Any]:
    """A SOLL value as JSON."""
    return {
        "id": t.id,
        "kpi": t.kpi_code,
        "year": t.year,
        "value": t.value,
        "value_upper": t.value_upper,
        "basis": t.basis,
        "published": t.classification == "public",
        "entered_by": t.entered_by if staff_names else service.PUBLIC_AUTHOR,
        "entered_at": t.entered_at,
    }


class MeasurePatch(BaseModel):
    """Staff-maintained fields of a measure."""

    status: Literal[MEASURE_STATUSES] | None = None  # type: ignore[valid-type]
    responsible_unit: str | None = Field(None, max_length=200)
    platform_module: str | None = Field(None, max_length=100)
    datasets: list[str] | None = None
    note: str = ""


class ValueIn(BaseModel):
    """An IST value to record."""

    kpi: str
    period_start: date
    period_end: date | None = None
    value: float
    district: str | None = None
    source: str = ""
    method: str = ""
    data_quality: int | None = Field(None, ge=1, le=6)
    published: bool = False


class TargetIn(BaseModel):
    """A SOLL value for a year."""

    kpi: str
    year: int
    value: float
    value_upper: float | None = None
    basis: str = ""
    published: bool = True


class LinkIn(BaseModel):
    """Link of a measure to a KPI."""

    measure: str
    kpi: str
    expected_contribution: str = ""
    expected_delta: float | None = None


class ScoreIn(BaseModel):
    """Points of a measure on one criterion."""

    measure: str
    criterion: str
    points: int
    note: str = ""


class CriterionPatch(BaseModel):
    """Scale, weight and activity of a criterion."""

    min_points: int | None = None
    max_points: int | None = None
    weight: float | None = None
    active: bool | None = None


class PublishPatch(BaseModel):
    """Publish (public) or withdraw (internal) a value."""

    published: bool


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def build_router() -> APIRouter:  # noqa: C901 - one flat router, one function per endpoint
    """Routes under /api/v1/cockpit."""
    router = APIRouter(prefix=PREFIX, tags=["cockpit"])

    @router.get("/measures")
    def measures(
        session: DbSession,
        leitthema: str | None = None,
        handlungsfeld: str | None = None,
        status: str | None = None,
        q: str | None = None,
    ):
        """List measures (filters: Leitthema number "4.1", Handlungsfeld "4.1.4", status, text)."""
        return [
            measure_json(m)
            for m in service.list_measures(
                session, leitthema=leitthema, handlungsfeld=handlungsfeld, status=status, query=q
            )
        ]

    @router.get("/measures/{number}")
    def measure(number: str, session: DbSession):
        """One measure with its history, linked KPIs and evaluation points (if readable)."""
        m = service.get_measure(session, number)
        data = measure_json(m, full=True)
        data["history"] = [
            {
                "at": h.at,
                "actor": h.actor,
                "field": h.field,
                "old": h.old_value,
                "new": h.new_value,
                "note": h.note,
            }
            for h in service.measure_history(session, number)
        ]
        data["kpis"] = [
            {
                "kpi": link.kpi_code,
                "expected_contribution": link.expected_contribution,
                "expected_delta": link.expected_delta,
            }
            for link in service.links_of_measure(session, number)
        ]
        data["scores"] = {s.criterion_key: s.points for s in evaluation.scores_of(session, number)}
        return data

    @router.patch("/measures/{number}")
    def patch_measure(number: str, body: MeasurePatch, session: DbSession, principal: LoggedIn):
        """Change status, responsible unit, platform module or datasets (history is kept)."""
        changes = body.model_dump(exclude_none=True, exclude={"note"})
        return measure_json(service.update_measure(session, number, note=body.note, **changes), full=True)

    @router.get("/progress")
    def progress(session: DbSession):
        """Measures per Leitthema/Handlungsfeld with status counts and share done."""
        return service.measure_progress(session)

    @router.get("/kpis")
    def kpis(session: DbSession, leitthema: str | None = None, kind: str | None = None, q: str | None = None):
        """List KPIs (catalogue and platform KPIs)."""
        return [kpi_json(k) for k in service.list_kpis(session, leitthema=leitthema, kind=kind, query=q)]

    @router.get("/kpis/{code}")
    def kpi(code: str, session: DbSession):
        """One KPI with its comparison and linked measures."""
        k = service.get_kpi(session, code)
        data = kpi_json(k)
        data["comparison"] = service.compare_kpi(session, k.code).as_dict()
        data["measures"] = [link.measure_number for link in service.links_of_kpi(session, k.code)]
        return data

    @router.get("/findings")
    def findings(session: DbSession):
        """Data-quality findings (e.g. KPIs listed twice in the strategy)."""
        return [
            {
                "id": f.id,
                "key": f.key,
                "kind": f.kind,
                "subject": f.subject,
                "message_de": f.message_de,
                "details": f.details,
                "detected_at": f.detected_at,
                "resolved": f.resolved,
            }
            for f in service.list_findings(session)
        ]

    @router.get("/values")
    def values(
        session: DbSession,
        kpi: str | None = None,
        district: str | None = None,
        origin: str | None = None,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
    ):
        """IST values (drafts only for the city's staff); ``format=csv`` for a CSV file."""
        rows = service.list_values(session, kpi_code=kpi, district_code=district, origin=origin)
        if format == "csv":
            return _csv(
                csv_io.export_values(rows, service.sees_staff_names(session)), "kennzahlen-istwerte.csv"
            )
        names = service.sees_staff_names(session)
        return [value_json(v, names) for v in rows]

    @router.get("/values/{value_id}")
    def value(value_id: int, session: DbSession):
        """One IST value."""
        return value_json(service.get_value(session, value_id), service.sees_staff_names(session))

    @router.post("/values", status_code=201)
    def create_value(body: ValueIn, session: DbSession, principal: LoggedIn):
        """Record an IST value (draft unless ``published``)."""
        item = service.ValueInput(
            kpi_code=body.kpi,
            period_start=body.period_start,
            period_end=body.period_end or body.period_start,
            value=body.value,
            district_code=body.district,
            source=body.source,
            method=body.method,
            data_quality=body.data_quality,
            published=body.published,
        )
        return value_json(service.add_value(session, item))

    @router.post("/values/csv", status_code=201)
    def import_values_csv(
        session: DbSession,
        principal: LoggedIn,
        text: Annotated[str, Body(media_type="text/csv", description="CSV, see csv_io for the columns")],
    ):
        """Import IST values from CSV: all rows or none; errors list every faulty row."""
        records = csv_io.import_values(session, text)
        return {"imported": len(records), "ids": [r.id for r in records]}

    @router.patch("/values/{value_id}")
    def publish_value(value_id: int, body: PublishPatch, session: DbSession, principal: LoggedIn):
        """Publish or withdraw an IST value."""
        return value_json(service.set_value_published(session, value_id, body.published))

    @router.delete("/values/{value_id}", status_code=204)
    def delete_value(value_id: int, session: DbSession, principal: LoggedIn) -> None:
        """Delete an IST value."""
        service.delete_value(session, value_id)

    @router.get("/targets")
    def targets(session: DbSession, kpi: str | None = None):
        """SOLL values per KPI and year."""
        names = service.sees_staff_names(session)
        return [target_json(t, names) for t in service.list_targets(session, kpi)]

    @router.post("/targets", status_code=201)
    def create_target(body: TargetIn, session: DbSession, principal: LoggedIn):
        """Set the SOLL of a KPI for a year (replaces an existing one)."""
        return target_json(
            service.set_target(
                session,
                body.kpi,
                body.year,
                body.value,
                value_upper=body.value_upper,
                basis=body.basis,
                published=body.published,
            )
        )

    @router.delete("/targets/{target_id}", status_code=204)
    def delete_target(target_id: int, session: DbSession, principal: LoggedIn) -> None:
        """Delete a SOLL value."""
        service.delete_target(session, target_id)

    @router.post("/links", status_code=201)
    def create_link(body: LinkIn, session: DbSession, principal: LoggedIn):
        """Link a measure to a KPI with its expected contribution."""
        link = service.link_measure_kpi(
            session,
            body.measure,
            body.kpi,
            expected_contribution=body.expected_contribution,
            expected_delta=body.expected_delta,
        )
        return {
            "measure": link.measure_number,
            "kpi": link.kpi_code,
            "expected_contribution": link.expected_contribution,
            "expected_delta": link.expected_delta,
        }

    @router.get("/comparisons")
    def comparisons(session: DbSession, with_data_only: bool = False):
        """IST/SOLL comparison of every KPI (status on_track / at_risk / off_track / no_data)."""
        rows = [comp.as_dict() | {"name_de": kpi.name_de} for kpi, comp in service.comparisons(session)]
        return [r for r in rows if r["status"] != "no_data"] if with_data_only else rows

    @router.get("/comparisons/{code}")
    def comparison(code: str, session: DbSession):
        """IST/SOLL comparison of one KPI."""
        return service.compare_kpi(session, code).as_dict()

    @router.get("/u4ssc")
    def u4ssc(session: DbSession, group: Literal["category", "handlungsfeld"] = "category"):
        """U4SSC benchmark scores: sum of points / maximum points per category (or Handlungsfeld)."""
        groups = (
            service.u4ssc_scores(session) if group == "category" else service.handlungsfeld_scores(session)
        )
        return [
            {
                "group": g.key,
                "kpis": g.kpis,
                "kpis_scored": g.score.kpis_scored,
                "points": g.score.points,
                "max_points": g.score.max_points,
                "score": g.score.score,
                "band": g.score.band,
                "status_counts": g.status_counts,
            }
            for g in groups
        ]

    @router.get("/criteria")
    def criteria(session: DbSession):
        """Criteria of the evaluation matrix (internal: city staff only)."""
        return [
            {
                "key": c.key,
                "name_de": c.name_de,
                "description_de": c.description_de,
                "min_points": c.min_points,
                "max_points": c.max_points,
                "weight": c.weight,
                "active": c.active,
            }
            for c in evaluation.list_criteria(session)
        ]

    @router.patch("/criteria/{key}")
    def patch_criterion(key: str, body: CriterionPatch, session: DbSession, principal: LoggedIn):
        """Change the point scale, weight or activity of a criterion."""
        c = evaluation.configure_criterion(session, key, **body.model_dump(exclude_none=True))
        return {
            "key": c.key,
            "min_points": c.min_points,
            "max_points": c.max_points,
            "weight": c.weight,
            "active": c.active,
        }

    @router.post("/scores", status_code=201)
    def create_score(body: ScoreIn, session: DbSession, principal: LoggedIn):
        """Score a measure on one criterion."""
        s = evaluation.set_score(session, body.measure, body.criterion, body.points, body.note)
        return {"measure": s.measure_number, "criterion": s.criterion_key, "points": s.points, "note": s.note}

    @router.get("/scores")
    def scores(session: DbSession, format: Annotated[Literal["json", "csv"], Query()] = "json"):
        """Ranked evaluation matrix (internal); ``format=csv`` for a CSV file."""
        if format == "csv":
            return _csv(evaluation.ranking_csv(session), "massnahmen-bewertung.csv")
        return [
            {
                "rank": r.rank,
                "measure": r.number,
                "title": r.title,
                "status": r.status,
                "points": r.points,
                "score_percent": r.score,
                "complete": r.complete,
            }
            for r in evaluation.ranking(session)
        ]

    return router
