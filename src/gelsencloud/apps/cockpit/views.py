"""More cockpit pages: SDG view, timeline, transparency page, what-if weights, council report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gelsencloud.apps.cockpit import evaluation, report, scoring, service, strategy_api, timeline
from gelsencloud.apps.cockpit.sdgs import group_by_sdg
from gelsencloud.core import i18n
from gelsencloud.core.auth import CurrentPrincipal, DbSession
from gelsencloud.core.identity import InvalidInput
from gelsencloud.core.models import utcnow

BASE = "/cockpit"


def register(router: APIRouter, render) -> None:  # noqa: C901 - one function per page
    """Add the pages to the cockpit's flat page router; ``render(request, template, context, status)``."""

    @router.get(BASE + "/sdg")
    def sdg_view(request: Request, session: DbSession):
        """Measures grouped by the 17 Sustainable Development Goals."""
        groups = group_by_sdg(service.list_measures(session))
        return render(
            request,
            "cockpit/sdgs.html",
            {"groups": groups, "status_labels": service.STATUS_LABELS_DE},
        )

    @router.get(BASE + "/zeitplan")
    def timeline_view(request: Request, session: DbSession):
        """All measures on a year axis, as a table with a bar per period."""
        axis, rows = timeline.build_timeline(service.list_measures(session), utcnow().date())
        return render(
            request,
            "cockpit/timeline.html",
            {
                "axis": axis,
                "ticks": axis.ticks(),
                "rows": rows,
                "today_pos": axis.position(utcnow().date()),
                "status_labels": service.STATUS_LABELS_DE,
            },
        )

    @router.get(BASE + "/transparenz")
    def transparency(request: Request, session: DbSession):
        """Only what the city published: public measures, published values and targets."""
        measures = service.public_measures(session)
        rows = [(k, c) for k, c in service.comparisons(session, public_only=True) if c.ist is not None]
        counts = {s: 0 for s in service.MEASURE_STATUSES}
        for m in measures:
            counts[m.status] += 1
        return render(
            request,
            "cockpit/transparency.html",
            {
                "measures": measures,
                "counts": counts,
                "rows": rows,
                "values": service.public_values(session),
                "status_labels": service.STATUS_LABELS_DE,
                "light_labels": scoring.STATUS_LABELS_DE,
            },
        )

    @router.get(BASE + "/bewertung/gewichte")
    def weights(request: Request, session: DbSession, principal: CurrentPrincipal):
        """What-if: the ranking under other weights, with rank changes against the configured ones."""
        if principal.is_anonymous:
            return RedirectResponse(f"/anmelden?next={BASE}/bewertung/gewichte", status_code=303)
        configured = evaluation.list_criteria(session, active_only=True)
        error, status = "", 200
        try:
            data = strategy_api.what_if_json(session, strategy_api.parse_weights(dict(request.query_params)))
        except InvalidInput as exc:
            error, status = str(exc), 400
            data = strategy_api.what_if_json(session, {})
        return render(
            request,
            "cockpit/weights.html",
            {"configured": {c.key: c.weight for c in configured}, "data": data, "error": error},
            status,
        )

    @router.get(BASE + "/bericht")
    def report_page(request: Request, session: DbSession):
        """The council progress report as a page (published data only)."""
        data = report.build_report(session, i18n.negotiate(request))
        return render(request, "cockpit/report.html", data)

    @router.get(BASE + "/bericht.pdf")
    def report_pdf(request: Request, session: DbSession):
        """The council progress report as PDF with its charts."""
        lang = i18n.negotiate(request)
        data = report.build_report(session, lang)
        city = getattr(getattr(request.app.state, "city", None), "name", "Gelsenkirchen")
        pdf = report.render_pdf(report.render_print_html(data, lang, city))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{report.report_filename(data["today"])}"'},
        )
