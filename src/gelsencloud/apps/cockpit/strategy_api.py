"""The strategy API under /api/v1/strategy: measures, KPIs, values, SDGs, timeline, what-if ranking.

Read-only and readable anonymously for what is published; the session's access rule hides
drafts and internal data from everyone outside the city. Writes stay under /api/v1/cockpit.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gelsencloud.apps.cockpit import csv_io, evaluation, exports, report, service, timeline
from gelsencloud.apps.cockpit.models import Measure
from gelsencloud.apps.cockpit.periods import parse_period
from gelsencloud.apps.cockpit.routes import kpi_json, measure_json, target_json, value_json
from gelsencloud.apps.cockpit.sdgs import SDG_TITLES, group_by_sdg
from gelsencloud.core.auth import DbSession, LoggedIn
from gelsencloud.core.identity import InvalidInput
from gelsencloud.core.models import utcnow

PREFIX = "/api/v1/strategy"
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _sdg_list(numbers: list[int]) -> list[dict[str, Any]]:
    return [
        {"number": n, "title_de": SDG_TITLES[n][0], "title_en": SDG_TITLES[n][1]}
        for n in numbers
        if n in SDG_TITLES
    ]


def strategy_measure_json(m: Measure, *, full: bool = False) -> dict[str, Any]:
    """A measure with its number as written in the strategy, parsed period and titled SDGs."""
    data = measure_json(m, full=full)
    period = parse_period(m.period_text)
    data["period"] = {
        "text": m.period_text,
        "start": m.period_start,
        "end": m.period_end,
        "open_ended": period.open_ended,
        "ongoing": period.ongoing,
        "precision": period.precision,
    }
    data["sdg_goals"] = _sdg_list(m.sdgs or [])
    data["url"] = f"/cockpit/massnahmen/{m.number}"
    return data


def parse_weights(params: dict[str, str]) -> dict[str, float]:
    """Weights from ``weight_<criterion>=<number>`` parameters (decimal comma allowed)."""
    weights = {}
    for name, raw in params.items():
        if not name.startswith("weight_") or not str(raw).strip():
            continue
        text = str(raw).strip().replace(",", ".")
        try:
            weights[name.removeprefix("weight_")] = float(text)
        except ValueError:
            raise InvalidInput(f"{name} must be a number, got {raw!r}") from None
    return weights


def what_if_json(session, weights: dict[str, float]) -> dict[str, Any]:
    """The what-if ranking as JSON (criteria with the weights used, rows with rank deltas)."""
    criteria, shifts = evaluation.what_if(session, weights)
    return {
        "criteria": [
            {
                "key": c.key,
                "name_de": c.name_de,
                "weight": c.weight,
                "min_points": c.min_points,
                "max_points": c.max_points,
            }
            for c in criteria
        ],
        "ranking": [
            {
                "rank": s.row.rank,
                "base_rank": s.base_rank,
                "delta": s.delta,
                "measure": s.row.number,
                "title": s.row.title,
                "score_percent": s.row.score,
                "base_score_percent": s.base_score,
                "complete": s.row.complete,
            }
            for s in shifts
        ],
    }


def build_router() -> APIRouter:  # noqa: C901 - one flat router, one function per endpoint
    """Routes under /api/v1/strategy."""
    router = APIRouter(prefix=PREFIX, tags=["strategy"])

    @router.get("/measures")
    def measures(
        session: DbSession,
        format: Format = "json",
        leitthema: str | None = None,
        handlungsfeld: str | None = None,
        status: str | None = None,
        sdg: Annotated[int | None, Query(ge=1, le=17)] = None,
        q: str | None = None,
    ):
        """Measures of the strategy, each with its number as written (e.g. "4.3.4a"); ``format=csv``."""
        rows = service.list_measures(
            session, leitthema=leitthema, handlungsfeld=handlungsfeld, status=status, query=q
        )
        if sdg is not None:
            rows = [m for m in rows if sdg in (m.sdgs or [])]
        if format == "csv":
            return _csv(exports.measures_csv(rows), "massnahmen.csv")
        return [strategy_measure_json(m) for m in rows]

    @router.get("/measures/{number}")
    def measure(number: str, session: DbSession):
        """One measure with description, financing, period, SDGs and linked KPIs with their status."""
        m = service.get_measure(session, number)
        data = strategy_measure_json(m, full=True)
        data["kpis"] = []
        for link in service.links_of_measure(session, m.number):
            try:
                comparison = service.compare_kpi(session, link.kpi_code)
            except service.NotFound:  # a KPI the caller may not read
                continue
            data["kpis"].append(
                {
                    "kpi": link.kpi_code,
                    "expected_contribution": link.expected_contribution,
                    "expected_delta": link.expected_delta,
                    "status": comparison.status,
                }
            )
        return data

    @router.get("/kpis")
    def kpis(
        session: DbSession,
        format: Format = "json",
        leitthema: str | None = None,
        kind: str | None = None,
        q: str | None = None,
    ):
        """KPIs (section 8.2 catalogue and platform KPIs) with their IST/SOLL status; ``format=csv``."""
        rows = service.comparisons(session)
        if leitthema:
            rows = [(k, c) for k, c in rows if k.leitthema == leitthema]
        if kind:
            rows = [(k, c) for k, c in rows if k.kind == kind]
        if q:
            needle = q.casefold()
            rows = [(k, c) for k, c in rows if needle in k.name_de.casefold() or needle in k.code]
        if format == "csv":
            return _csv(exports.kpis_csv(rows), "kennzahlen.csv")
        return [kpi_json(k) | {"comparison": c.as_dict()} for k, c in rows]

    @router.get("/kpis/{code}")
    def kpi(code: str, session: DbSession):
        """One KPI with comparison, IST values, SOLL values and the measures linked to it."""
        k = service.get_kpi(session, code)
        names = service.sees_staff_names(session)
        return kpi_json(k) | {
            "comparison": service.compare_kpi(session, k.code).as_dict(),
            "values": [value_json(v, names) for v in service.list_values(session, kpi_code=k.code)],
            "targets": [target_json(t, names) for t in service.list_targets(session, k.code)],
            "measures": [link.measure_number for link in service.links_of_kpi(session, k.code)],
        }

    @router.get("/values")
    def values(
        session: DbSession, format: Format = "json", kpi: str | None = None, district: str | None = None
    ):
        """IST values (published ones for everyone, drafts for the city's staff); ``format=csv``."""
        rows = service.list_values(session, kpi_code=kpi, district_code=district)
        names = service.sees_staff_names(session)
        if format == "csv":
            return _csv(csv_io.export_values(rows, names), "kennzahlen-istwerte.csv")
        return [value_json(v, names) for v in rows]

    @router.get("/sdgs")
    def sdgs(session: DbSession):
        """The 17 SDGs with German and English titles and the numbers of the measures naming each."""
        return [
            {
                "number": g.number,
                "title_de": g.title_de,
                "title_en": g.title_en,
                "measures": [m.number for m in g.measures],
            }
            for g in group_by_sdg(service.list_measures(session))
        ]

    @router.get("/timeline")
    def measure_timeline(session: DbSession):
        """Measures ordered by start with parsed periods (start/end None when the strategy gives none)."""
        axis, rows = timeline.build_timeline(service.list_measures(session), utcnow().date())
        return {
            "axis": {"start": axis.start, "end": axis.end},
            "measures": [
                {
                    "number": r.measure.number,
                    "title": r.measure.title,
                    "status": r.measure.status,
                    "period_text": r.measure.period_text,
                    "start": r.start,
                    "end": r.end,
                    "open_ended": r.open_ended,
                    "ongoing": r.ongoing,
                    "precision": r.precision,
                }
                for r in rows
            ],
        }

    @router.get("/ranking")
    def ranking(request: Request, session: DbSession, principal: LoggedIn):
        """What-if ranking of the evaluation matrix: ``weight_<criterion>=n`` changes weights, nothing saved.

        Each row has its rank under the given weights, its rank under the configured weights and
        the difference (positive = moved up). Scores are internal: the city's staff only.
        """
        return what_if_json(session, parse_weights(dict(request.query_params)))

    @router.get("/report.pdf")
    def report_pdf(session: DbSession):
        """The council progress report as PDF (published data only)."""
        data = report.build_report(session)
        pdf = report.render_pdf(report.render_print_html(data))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{report.report_filename(data["today"])}"'},
        )

    return router
