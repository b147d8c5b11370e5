"""Pages of the strategy cockpit (German first): overview, measures, KPIs, findings, evaluation."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import csv_io, evaluation, scoring, service, timeline, views
from gelsencloud.apps.cockpit.chart import kpi_chart_spec
from gelsencloud.apps.cockpit.importer import city_tenant_id
from gelsencloud.apps.cockpit.models import MEASURE_STATUSES
from gelsencloud.apps.cockpit.sdgs import SDG_TITLES
from gelsencloud.core.auth import CurrentPrincipal, DbSession
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.web.forms import check_csrf

BASE = "/cockpit"
FORM_ERRORS = (InvalidInput, NotFound, PermissionDenied, ValueError)


def _require_staff(request: Request, principal, csrf: str) -> None:
    if principal.is_anonymous:
        raise HTTPException(401, detail="please log in")
    check_csrf(request, csrf)


def _is_staff(session: Session, principal) -> bool:
    if principal.is_anonymous:
        return False
    try:
        return principal.can_write(city_tenant_id(session))
    except NotFound:
        return False


def fmt(value: float | None, lang: str = "de", digits: int = 2) -> str:
    """Format a number for the page language (German: decimal comma, dot thousands)."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    if lang == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def _render(request: Request, template: str, context: dict, status: int = 200):
    return request.app.state.renderer.page(request, template, {"fmt": fmt, **context}, status)


def _back(path: str, message: str = "") -> RedirectResponse:
    suffix = f"?meldung={quote(message)}" if message else ""
    return RedirectResponse(path + suffix, status_code=303)


def _float(text: str) -> float:
    text = text.strip().replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{text!r} ist keine Zahl") from None
    if value != value:
        raise InvalidInput("keine Zahl")
    return value


def _light(status: str) -> dict:
    return {"status": status, "label": scoring.STATUS_LABELS_DE[status]}


def overview_context(session: Session) -> dict:
    """Numbers of the overview page and the start-page panel."""
    progress = service.measure_progress(session)
    comparisons = service.comparisons(session)
    counts = {s: 0 for s in scoring.STATUS_LABELS_DE}
    for _, comp in comparisons:
        counts[comp.status] += 1
    totals = {s: sum(row[s] for row in progress) for s in MEASURE_STATUSES}
    measures = sum(row["total"] for row in progress)
    active = measures - totals["dropped"]
    return {
        "progress": progress,
        "measure_totals": totals,
        "measure_count": measures,
        "done_share": totals["done"] / active if active else None,
        "kpi_counts": counts,
        "kpi_count": len(comparisons),
        "status_labels": service.STATUS_LABELS_DE,
        "light_labels": scoring.STATUS_LABELS_DE,
    }


def build_router() -> APIRouter:  # noqa: C901 - one flat router, one function per page
    """Routes of the cockpit pages."""
    router = APIRouter()

    @router.get(BASE)
    def overview(request: Request, session: DbSession):
        """Cockpit overview: measure progress and KPI traffic lights per Handlungsfeld."""
        context = overview_context(session)
        context["hf_scores"] = service.handlungsfeld_scores(session)
        context["u4ssc"] = service.u4ssc_scores(session)
        context["findings"] = len(service.list_findings(session, include_resolved=False))
        return _render(request, "cockpit/overview.html", context)

    @router.get(BASE + "/massnahmen")
    def measures(
        request: Request,
        session: DbSession,
        leitthema: str | None = None,
        status: str | None = None,
        q: str | None = None,
    ):
        """Measure list with filters."""
        all_measures = service.list_measures(session)
        themes = list(dict.fromkeys((m.leitthema, m.leitthema_title) for m in all_measures))
        selected = service.list_measures(
            session, leitthema=leitthema or None, status=status or None, query=q or None
        )
        return _render(
            request,
            "cockpit/measures.html",
            {
                "measures": selected,
                "themes": themes,
                "statuses": MEASURE_STATUSES,
                "status_labels": service.STATUS_LABELS_DE,
                "filters": {"leitthema": leitthema or "", "status": status or "", "q": q or ""},
            },
        )

    @router.get(BASE + "/massnahmen/{number}")
    def measure(
        request: Request, number: str, session: DbSession, principal: CurrentPrincipal, meldung: str = ""
    ):
        """Measure page: status, history, linked KPIs, evaluation (staff)."""
        m = service.get_measure(session, number)
        links = service.links_of_measure(session, number)
        kpis = {}
        for link in links:
            try:
                kpis[link.kpi_code] = service.get_kpi(session, link.kpi_code)
            except NotFound:
                continue
        staff = _is_staff(session, principal)
        # the same axis as the timeline of all measures, so bars compare across pages
        axis = timeline.axis_for(service.list_measures(session), date.today())
        _, rows = timeline.build_timeline([m], date.today(), axis)
        return _render(
            request,
            "cockpit/measure.html",
            {
                "m": m,
                "axis": axis,
                "row": rows[0],
                "today_pos": axis.position(date.today()),
                "sdg_titles": SDG_TITLES,
                "history": service.measure_history(session, number),
                "links": links,
                "kpis": kpis,
                "comparisons": {code: service.compare_kpi(session, code) for code in kpis},
                "statuses": MEASURE_STATUSES,
                "status_labels": service.STATUS_LABELS_DE,
                "staff": staff,
                "criteria": evaluation.list_criteria(session, active_only=True),
                "scores": {s.criterion_key: s for s in evaluation.scores_of(session, number)},
                "all_kpis": service.list_kpis(session) if staff else [],
                "message": meldung,
            },
        )

    @router.post(BASE + "/massnahmen/{number}")
    def edit_measure(
        request: Request,
        number: str,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        status: str = Form(),
        responsible_unit: str = Form(""),
        platform_module: str = Form(""),
        datasets: str = Form(""),
        note: str = Form(""),
    ):
        """Save status and responsibility of a measure."""
        _require_staff(request, principal, csrf)
        path = f"{BASE}/massnahmen/{number}"
        try:
            service.update_measure(
                session,
                number,
                note=note,
                status=status,
                responsible_unit=responsible_unit,
                platform_module=platform_module,
                datasets=datasets,
            )
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Gespeichert.")

    @router.post(BASE + "/massnahmen/{number}/kennzahlen")
    def link_kpi(
        request: Request,
        number: str,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        kpi: str = Form(),
        expected_contribution: str = Form(""),
        expected_delta: str = Form(""),
    ):
        """Link a KPI to the measure."""
        _require_staff(request, principal, csrf)
        path = f"{BASE}/massnahmen/{number}"
        try:
            delta = _float(expected_delta) if expected_delta.strip() else None
            service.link_measure_kpi(
                session, number, kpi, expected_contribution=expected_contribution, expected_delta=delta
            )
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Kennzahl verknüpft.")

    @router.post(BASE + "/massnahmen/{number}/bewertung")
    async def score_measure(request: Request, number: str, session: DbSession, principal: CurrentPrincipal):
        """Save the points of a measure on every active criterion."""
        form = await request.form()
        _require_staff(request, principal, str(form.get("csrf", "")))
        path = f"{BASE}/massnahmen/{number}"
        try:
            for criterion in evaluation.list_criteria(session, active_only=True):
                raw = str(form.get(f"points_{criterion.key}", "")).strip()
                if raw:
                    evaluation.set_score(session, number, criterion.key, int(raw), str(form.get("note", "")))
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Bewertung gespeichert.")

    @router.get(BASE + "/kennzahlen")
    def kpis(request: Request, session: DbSession, leitthema: str | None = None, q: str | None = None):
        """KPI list with traffic lights."""
        rows = service.comparisons(session)
        themes = list(dict.fromkeys(k.leitthema for k, _ in rows if k.leitthema))
        if leitthema:
            rows = [(k, c) for k, c in rows if k.leitthema == leitthema]
        if q:
            needle = q.casefold()
            rows = [(k, c) for k, c in rows if needle in k.name_de.casefold() or needle in k.code]
        return _render(
            request,
            "cockpit/kpis.html",
            {"rows": rows, "themes": themes, "filters": {"leitthema": leitthema or "", "q": q or ""}},
        )

    @router.get(BASE + "/kennzahlen/{code}")
    def kpi(request: Request, code: str, session: DbSession, principal: CurrentPrincipal, meldung: str = ""):
        """KPI page: definition, frameworks, chart, values, targets, comparison."""
        k = service.get_kpi(session, code)
        if k.code != code:
            return RedirectResponse(f"{BASE}/kennzahlen/{k.code}", status_code=301)
        values = service.list_values(session, kpi_code=k.code)
        targets = service.list_targets(session, k.code)
        comparison = service.compare_kpi(session, k.code)
        return _render(
            request,
            "cockpit/kpi.html",
            {
                "k": k,
                "values": values,
                "targets": targets,
                "comparison": comparison,
                "light": _light(comparison.status),
                "spec": kpi_chart_spec(k, values, targets),
                "measures": service.links_of_kpi(session, k.code),
                "staff": _is_staff(session, principal),
                "staff_names": service.sees_staff_names(session),
                "public_author": service.PUBLIC_AUTHOR,
                "quality_labels": service.DATA_QUALITY_DE,
                "districts": sorted(service.district_codes(session)),
                "u4ssc_category": service.u4ssc_category(k),
                "message": meldung,
                "this_year": date.today().year,
            },
        )

    @router.post(BASE + "/kennzahlen/{code}/werte")
    def add_value(
        request: Request,
        code: str,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        period_start: str = Form(),
        period_end: str = Form(""),
        value: str = Form(),
        district: str = Form(""),
        source: str = Form(""),
        method: str = Form(""),
        data_quality: str = Form(""),
        published: str = Form(""),
    ):
        """Record an IST value from the form."""
        _require_staff(request, principal, csrf)
        path = f"{BASE}/kennzahlen/{code}"
        try:
            start = date.fromisoformat(period_start)
            item = service.ValueInput(
                kpi_code=code,
                period_start=start,
                period_end=date.fromisoformat(period_end) if period_end else start,
                value=_float(value),
                district_code=district or None,
                source=source,
                method=method,
                data_quality=int(data_quality) if data_quality else None,
                published=published == "ja",
            )
            service.add_value(session, item)
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Wert gespeichert.")

    @router.post(BASE + "/kennzahlen/{code}/ziele")
    def add_target(
        request: Request,
        code: str,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        year: str = Form(),
        value: str = Form(),
        value_upper: str = Form(""),
        basis: str = Form(""),
    ):
        """Set a SOLL value from the form."""
        _require_staff(request, principal, csrf)
        path = f"{BASE}/kennzahlen/{code}"
        try:
            upper = _float(value_upper) if value_upper.strip() else None
            service.set_target(session, code, int(year), _float(value), value_upper=upper, basis=basis)
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Zielwert gespeichert.")

    @router.post(BASE + "/werte/{value_id}/veroeffentlichen")
    def publish_value(
        request: Request,
        value_id: int,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        published: str = Form("ja"),
    ):
        """Publish or withdraw an IST value."""
        _require_staff(request, principal, csrf)
        record = service.get_value(session, value_id)
        path = f"{BASE}/kennzahlen/{record.kpi_code}"
        try:
            service.set_value_published(session, value_id, published == "ja")
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Veröffentlicht." if published == "ja" else "Zurückgezogen.")

    @router.get(BASE + "/werte/import")
    def import_form(request: Request, principal: CurrentPrincipal):
        """CSV import form (staff)."""
        if principal.is_anonymous:
            return RedirectResponse(f"/anmelden?next={BASE}/werte/import", status_code=303)
        return _render(request, "cockpit/import.html", {"errors": [], "imported": None})

    @router.post(BASE + "/werte/import")
    async def import_csv(request: Request, session: DbSession, principal: CurrentPrincipal):
        """Import IST values from an uploaded CSV file: all rows or none."""
        form = await request.form()
        _require_staff(request, principal, str(form.get("csrf", "")))
        upload = form.get("file")
        text = str(form.get("text", "") or "")
        if isinstance(upload, UploadFile) or hasattr(upload, "read"):
            raw = await upload.read()
            text = raw.decode("utf-8-sig", errors="replace") or text
        try:
            records = csv_io.import_values(session, text)
        except csv_io.CsvImportError as exc:
            session.rollback()
            return _render(request, "cockpit/import.html", {"errors": exc.errors, "imported": None}, 400)
        except (InvalidInput, NotFound, PermissionDenied) as exc:
            session.rollback()
            return _render(request, "cockpit/import.html", {"errors": [str(exc)], "imported": None}, 400)
        return _render(request, "cockpit/import.html", {"errors": [], "imported": len(records)})

    @router.get(BASE + "/werte.csv")
    def export_csv(session: DbSession, kpi: str | None = None):
        """IST values the visitor may read, as CSV."""
        text = csv_io.export_values(
            service.list_values(session, kpi_code=kpi or None), service.sees_staff_names(session)
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="kennzahlen-istwerte.csv"'},
        )

    @router.get(BASE + "/befunde")
    def findings(request: Request, session: DbSession):
        """Data-quality findings."""
        return _render(request, "cockpit/findings.html", {"findings": service.list_findings(session)})

    @router.get(BASE + "/bewertung")
    def matrix(request: Request, session: DbSession, principal: CurrentPrincipal, meldung: str = ""):
        """Evaluation matrix: ranked measures and criteria (internal, staff of the city)."""
        if principal.is_anonymous:
            return RedirectResponse(f"/anmelden?next={BASE}/bewertung", status_code=303)
        return _render(
            request,
            "cockpit/matrix.html",
            {
                "criteria": evaluation.list_criteria(session),
                "active": evaluation.list_criteria(session, active_only=True),
                "ranking": evaluation.ranking(session),
                "staff": _is_staff(session, principal),
                "message": meldung,
            },
        )

    @router.get(BASE + "/bewertung.csv")
    def matrix_csv(session: DbSession, principal: CurrentPrincipal):
        """The ranked evaluation matrix as CSV (internal)."""
        if principal.is_anonymous:
            raise HTTPException(401, detail="please log in")
        return Response(
            evaluation.ranking_csv(session),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="massnahmen-bewertung.csv"'},
        )

    @router.post(BASE + "/bewertung/kriterien")
    async def configure(request: Request, session: DbSession, principal: CurrentPrincipal):
        """Save point scales, weights and activity of the criteria."""
        form = await request.form()
        _require_staff(request, principal, str(form.get("csrf", "")))
        path = f"{BASE}/bewertung"
        try:
            if not evaluation.list_criteria(session):
                evaluation.ensure_default_criteria(session)
            for c in evaluation.list_criteria(session):
                evaluation.configure_criterion(
                    session,
                    c.key,
                    min_points=int(str(form.get(f"min_{c.key}", c.min_points))),
                    max_points=int(str(form.get(f"max_{c.key}", c.max_points))),
                    weight=_float(str(form.get(f"weight_{c.key}", c.weight))),
                    active=form.get(f"active_{c.key}") == "ja",
                )
        except FORM_ERRORS as exc:
            session.rollback()
            return _back(path, f"Fehler: {exc}")
        return _back(path, "Kriterien gespeichert.")

    views.register(router, _render)
    return router
