"""Pages of GE-meldet: citizen pages (report, list, map, follow a report) and the staff back office."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.datastructures import UploadFile

from gelsencloud.apps.maengelmelder import citizen_gateway as gateway
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import catalogue, plugin_settings
from gelsencloud.apps.maengelmelder.mail import mail_backend
from gelsencloud.apps.maengelmelder.models import Report
from gelsencloud.apps.maengelmelder.workflow import CLOSED_STATES, STATUSES, TRANSITIONS
from gelsencloud.core.auth import CurrentPrincipal, DbSession
from gelsencloud.core.http import absolute_url
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import CityArea, utcnow
from gelsencloud.core.principal import WRITER_ROLES
from gelsencloud.web.forms import check_csrf, check_origin
from gelsencloud.web.layers import tile_settings


def _render(request: Request, template: str, context: dict | None = None, status: int = 200):
    return request.app.state.renderer.page(request, template, context, status)


def _staff(principal) -> None:
    if principal.is_anonymous:
        raise HTTPException(401, detail="please log in")
    if principal.role not in WRITER_ROLES or principal.tenant_id is None:
        raise HTTPException(403, detail="GE-meldet back office needs a writer role")


def _map_config(request: Request) -> dict[str, Any]:
    tiles = tile_settings(request.app.state.settings)
    tile_cfg = asdict(tiles) if tiles.url else None
    min_lon, min_lat, max_lon, max_lat = request.app.state.city.bbox
    return {
        "bounds": [[min_lat, min_lon], [max_lat, max_lon]],
        "tiles": tile_cfg,
        "areas": "/api/v1/city/areas",
    }


def _jurisdiction_tenant(request: Request) -> tuple[Any, int]:
    jurisdiction = next(j for j in catalogue().jurisdictions if j.default)
    return jurisdiction, gateway.tenant_id_of(request.app.state.db, jurisdiction)


def _district_names(session) -> dict[str, str]:
    return {a.code: a.name for a in session.scalars(select(CityArea))}


def _notify(request: Request, report_id: int) -> None:
    mailer = mail_backend(plugin_settings(), request.app.state.settings.var_dir)
    gateway.notify_subscribers_as_city(
        request.app.state.db, report_id, mailer, absolute_url(request, f"/meldungen/{report_id}")
    )


def build_router() -> APIRouter:
    """Routes of the citizen pages and the back office."""
    router = APIRouter()

    # --- citizens -------------------------------------------------------------------------------

    @router.get("/melden")
    def choose(request: Request, session: DbSession):
        """Step 1: pick a category."""
        _, tenant_id = _jurisdiction_tenant(request)
        return _render(
            request, "maengelmelder/choose.html", {"services": svc.list_services(session, tenant_id)}
        )

    @router.get("/melden/{service_code}")
    def report_form(service_code: str, request: Request, session: DbSession):
        """Step 2: place, description, photos and optional contact."""
        _, tenant_id = _jurisdiction_tenant(request)
        service = svc.get_service(session, tenant_id, service_code)
        return _form(request, service, {}, [])

    def _form(request: Request, service, values: dict, errors: list[str], status: int = 200):
        settings = plugin_settings()
        return _render(
            request,
            "maengelmelder/form.html",
            {
                "service": service,
                "values": values,
                "errors": errors,
                "map_config": _map_config(request),
                "max_photos": settings.max_photos,
                "max_mb": settings.max_photo_bytes // 1_048_576,
            },
            status,
        )

    @router.post("/melden/{service_code}")
    async def submit(service_code: str, request: Request):
        """Store a citizen's report through the citizen gateway, then redirect to its status page."""
        check_origin(request)
        form = await request.form()
        try:
            uploads = [
                await f.read() for f in form.getlist("fotos") if isinstance(f, UploadFile) and f.filename
            ]
        finally:
            await form.close()
        return await run_in_threadpool(_submit, service_code, request, form, uploads)

    def _submit(service_code: str, request: Request, form, uploads: list[bytes]):
        db = request.app.state.db
        jurisdiction, tenant_id = _jurisdiction_tenant(request)
        with db.transaction() as session:
            service = svc.get_service(session, tenant_id, service_code)
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        attributes: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if key.startswith("attr-") and isinstance(value, str):
                attributes.setdefault(key[5:], []).append(value)
        if (form.get("website") or "").strip():  # honeypot: only bots fill the invisible field
            return _form(request, service, values, ["Ihre Meldung konnte nicht angenommen werden."], 400)
        sub = gateway.Submission(
            jurisdiction=jurisdiction,
            service_code=service_code,
            lat=str(form.get("lat") or ""),
            long=str(form.get("lon") or ""),
            address_string=str(form.get("address") or ""),
            attributes=attributes,
            description=str(form.get("description") or ""),
            email=str(form.get("email") or ""),
            first_name=str(form.get("name") or ""),
            uploads=uploads,
            channel="web",
            client_ip=gateway.client_ip(request),
        )
        try:
            result = gateway.submit_report_as_city(
                db, request.app.state.settings.secret_key, request.app.state.city.bbox, sub
            )
        except svc.ValidationProblems as exc:
            return _form(request, service, values, [_german(p) for p in exc.problems], 400)
        except gateway.RateLimited as exc:
            return _form(request, service, values, [str(exc)], 429)
        if sub.email and form.get("notify") == "ja" and result.published:
            token = gateway.subscribe_as_city(db, result.report_id, sub.email)
            if token:
                _send_confirmation(request, sub.email, result.report_id, token)
        return RedirectResponse(f"/meldungen/status/{result.token}", status_code=303)

    @router.get("/meldungen/status/{token}")
    def confirmation(token: str, request: Request):
        """Confirmation with the tracking link (the token is only known to the reporter)."""
        _, tenant_id = _jurisdiction_tenant(request)
        found = gateway.lookup_token_as_city(request.app.state.db, tenant_id, token)
        if found is False:
            raise HTTPException(404, detail="Meldung nicht gefunden")
        link = absolute_url(request, f"/meldungen/{found}") if found else None
        status_link = absolute_url(request, f"/meldungen/status/{token}")
        report = latest = None
        if found:  # published: show the current status and the latest public status note
            with request.app.state.db.transaction() as session:
                report = svc.get_report(session, found)
                public = [n for n in svc.notes_of(session, [found])[found] if n.kind == "status"]
                latest = public[-1] if public else None
        return _render(
            request,
            "maengelmelder/confirmation.html",
            {
                "report_id": found,
                "link": link,
                "status_link": status_link,
                "report": report,
                "latest": latest,
                "statuses": STATUSES,
            },
        )

    @router.get("/meldungen")
    def public_list(
        request: Request,
        session: DbSession,
        kategorie: str = "",
        status: str = "",
        bezirk: str = "",
        seite: int = 1,
    ):
        """Public list and map of published reports (no names, no contact data)."""
        _, tenant_id = _jurisdiction_tenant(request)
        page_size = 50
        query = svc.ReportQuery(
            tenant_id=tenant_id,
            service_codes=[kategorie] if kategorie else None,
            open311_status=[status] if status in ("open", "closed") else None,
            district=bezirk or None,
            start=utcnow() - timedelta(days=90),
            public_only=True,
            offset=(max(seite, 1) - 1) * page_size,
            limit=page_size,
        )
        reports = svc.list_reports(session, query)
        total = svc.count_reports(session, query)
        districts = _district_names(session)
        markers = [
            {
                "id": r.id,
                "lat": r.lat,
                "lon": r.lon,
                "title": r.service_name,
                "status": STATUSES[r.status].label_de,
                "closed": r.status in CLOSED_STATES,
            }
            for r in reports
            if r.lat is not None
        ]
        return _render(
            request,
            "maengelmelder/list.html",
            {
                "reports": reports,
                "total": total,
                "page": max(seite, 1),
                "pages": max(1, -(-total // page_size)),
                "services": svc.list_services(session, tenant_id),
                "districts": {
                    k: v for k, v in districts.items() if k in {"mitte", "nord", "west", "ost", "sued"}
                }
                or districts,
                "district_names": districts,
                "statuses": STATUSES,
                "filters": {"kategorie": kategorie, "status": status, "bezirk": bezirk},
                "markers": markers,
                "map_config": _map_config(request),
            },
        )

    @router.get("/meldungen/{report_id}")
    def public_detail(report_id: int, request: Request, session: DbSession):
        """One published report with its status history, photos, subscription and feedback forms."""
        report = svc.get_report(session, report_id)
        if report.classification != "public":
            raise NotFound(f"report {report_id} not found")
        notes = [n for n in svc.notes_of(session, [report.id])[report.id] if n.classification == "public"]
        photos = [p for p in svc.photos_of(session, [report.id])[report.id] if p.classification == "public"]
        age = utcnow() - report.requested_at
        ask_fixed = report.status == "fixed" or (
            report.status not in CLOSED_STATES and age >= timedelta(days=plugin_settings().followup_days)
        )
        return _render(
            request,
            "maengelmelder/detail.html",
            {
                "report": report,
                "notes": notes,
                "photos": photos,
                "statuses": STATUSES,
                "district_names": _district_names(session),
                "ask_fixed": ask_fixed,
                "message": request.query_params.get("hinweis", ""),
            },
        )

    @router.post("/meldungen/{report_id}/abonnieren")
    def subscribe(report_id: int, request: Request, email: str = Form(), website: str = Form("")):
        """Subscribe to updates by e-mail (double opt-in)."""
        check_origin(request)
        if website.strip():
            raise HTTPException(400, detail="Anfrage abgelehnt.")
        try:
            token = gateway.subscribe_as_city(request.app.state.db, report_id, email)
        except InvalidInput as exc:
            raise HTTPException(400, detail=str(exc)) from None
        if token:
            _send_confirmation(request, email, report_id, token)
        return RedirectResponse(f"/meldungen/{report_id}?hinweis=abo", status_code=303)

    @router.get("/meldungen/abo/{token}/{action}")
    def subscription_form(token: str, action: str, request: Request):
        """Ask for confirmation before confirming or cancelling (mail scanners open links)."""
        if action not in ("bestaetigen", "abbestellen"):
            raise HTTPException(404, detail="Seite nicht gefunden")
        return _render(
            request, "maengelmelder/subscription.html", {"token": token, "action": action, "done": None}
        )

    @router.post("/meldungen/abo/{token}/{action}")
    def subscription_action(token: str, action: str, request: Request):
        """Confirm or cancel a subscription."""
        check_origin(request)
        if action not in ("bestaetigen", "abbestellen"):
            raise HTTPException(404, detail="Seite nicht gefunden")
        report_id = gateway.confirm_subscription_as_city(
            request.app.state.db, token, cancel=action == "abbestellen"
        )
        if report_id is None:
            raise HTTPException(404, detail="Abonnement nicht gefunden")
        return _render(
            request, "maengelmelder/subscription.html", {"token": token, "action": action, "done": report_id}
        )

    @router.post("/meldungen/{report_id}/rueckmeldung")
    def feedback(report_id: int, request: Request, behoben: str = Form(), website: str = Form("")):
        """The "is it fixed?" follow-up: "no" on a fixed report reopens it."""
        check_origin(request)
        if website.strip() or behoben not in ("ja", "nein"):
            raise HTTPException(400, detail="Bitte wählen Sie „ja“ oder „nein“.")
        gateway.record_feedback_as_city(request.app.state.db, report_id, fixed=behoben == "ja")
        _notify(request, report_id)
        return RedirectResponse(f"/meldungen/{report_id}?hinweis=danke", status_code=303)

    # --- back office ----------------------------------------------------------------------------

    @router.get("/maengelmelder/buero")
    def inbox(
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        abteilung: str = "",
        status: str = "offen",
        zugewiesen: str = "",
        moderation: str = "",
    ):
        """Inbox per department with filters and bulk actions."""
        _staff(principal)
        query = svc.ReportQuery(
            tenant_id=principal.tenant_id,
            department=abteilung or None,
            assigned_to=zugewiesen or None,
            moderation=moderation or None,
            limit=200,
        )
        if status == "offen":
            query.open311_status = ["open"]
        elif status in STATUSES:
            query.statuses = [status]
        reports = svc.list_reports(session, query)
        return _render(
            request,
            "maengelmelder/inbox.html",
            {
                "reports": reports,
                "departments": catalogue().departments,
                "statuses": STATUSES,
                "filters": {
                    "abteilung": abteilung,
                    "status": status,
                    "zugewiesen": zugewiesen,
                    "moderation": moderation,
                },
                "now": utcnow(),
                "district_names": _district_names(session),
                "message": request.query_params.get("hinweis", ""),
            },
        )

    @router.post("/maengelmelder/buero/sammelaktion")
    def bulk(
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        aktion: str = Form(),
        wert: str = Form(""),
        ids: list[int] = Form(default_factory=list),
    ):
        """Apply one action to the selected reports."""
        _staff(principal)
        check_csrf(request, csrf)
        done = svc.bulk_action(session, ids, aktion, wert, author=principal.name)
        session.commit()
        if aktion == "status":
            for report_id in ids:
                _notify(request, report_id)
        return RedirectResponse(f"/maengelmelder/buero?hinweis={done}+Meldungen+geändert", status_code=303)

    @router.get("/maengelmelder/buero/{report_id}")
    def case(report_id: int, request: Request, session: DbSession, principal: CurrentPrincipal):
        """One report with contact (for case workers), notes, photos, duplicates and actions."""
        _staff(principal)
        report = svc.get_report(session, report_id)
        if report.tenant_id != principal.tenant_id:
            raise NotFound(f"report {report_id} not found")
        cat = catalogue()
        return _render(
            request,
            "maengelmelder/case.html",
            {
                "report": report,
                "contact": svc.contact_of(session, report.id),
                "notes": svc.notes_of(session, [report.id])[report.id],
                "photos": svc.photos_of(session, [report.id])[report.id],
                "duplicates": svc.duplicate_candidates(session, report),
                "targets": sorted(TRANSITIONS.get(report.status, ())),
                "statuses": STATUSES,
                "templates": cat.status_templates,
                "departments": cat.departments,
                "priorities": svc.PRIORITIES,
                "district_names": _district_names(session),
                "now": utcnow(),
                "message": request.query_params.get("hinweis", ""),
            },
        )

    @router.post("/maengelmelder/buero/{report_id}")
    def case_action(
        report_id: int,
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        aktion: str = Form(),
        status: str = Form(""),
        text: str = Form(""),
        zugewiesen: str = Form(""),
        abteilung: str = Form(""),
        prioritaet: str = Form(""),
        foto: int = Form(0),
        ziel: int = Form(0),
        freigeben: str = Form(""),
    ):
        """Staff actions on one report (status, note, assignment, moderation, merge)."""
        _staff(principal)
        check_csrf(request, csrf)
        report = svc.get_report(session, report_id)
        if report.tenant_id != principal.tenant_id:
            raise NotFound(f"report {report_id} not found")
        author = principal.name
        notify = False
        if aktion == "status":
            svc.change_status(session, report, status, note=text, author=author)
            notify = True
        elif aktion == "notiz":
            svc.add_internal_note(session, report, text, author=author)
        elif aktion == "zuweisen":
            svc.assign(session, report, assignee=zugewiesen, department=abteilung or None)
            if prioritaet:
                svc.set_priority(session, report, prioritaet)
        elif aktion == "moderation":
            svc.moderate_report(session, report, approve=freigeben == "ja", description=text or None)
        elif aktion == "foto":
            svc.moderate_photo(session, svc.get_photo(session, foto), approve=freigeben == "ja")
        elif aktion == "zusammenfuehren":
            svc.merge_into(session, report, svc.get_report(session, ziel), author=author)
            notify = True
        else:
            raise InvalidInput(f"unknown action {aktion!r}")
        session.commit()
        if notify:
            _notify(request, report.id)
        return RedirectResponse(f"/maengelmelder/buero/{report_id}?hinweis=gespeichert", status_code=303)

    @router.get("/maengelmelder/statistik")
    def stats(request: Request, session: DbSession, principal: CurrentPrincipal, tage: int = 30):
        """Statistics for the caller's tenant."""
        _staff(principal)
        since = utcnow() - timedelta(days=max(1, min(tage, 3650)))
        return _render(
            request,
            "maengelmelder/stats.html",
            {
                "stats": svc.statistics(session, principal.tenant_id, since=since),
                "days": tage,
                "statuses": STATUSES,
                "departments": catalogue().departments,
                "district_names": _district_names(session),
            },
        )

    return router


def _send_confirmation(request: Request, email: str, report_id: int, token: str) -> None:
    mailer = mail_backend(plugin_settings(), request.app.state.settings.var_dir)
    mailer.send(
        email,
        f"GE-meldet: Bitte bestätigen Sie Ihr Abonnement für Meldung {report_id}",
        "Sie möchten über Änderungen an einer Meldung bei GE-meldet informiert werden.\n\n"
        f"Bestätigen: {absolute_url(request, f'/meldungen/abo/{token}/bestaetigen')}\n"
        f"Abbestellen: {absolute_url(request, f'/meldungen/abo/{token}/abbestellen')}\n\n"
        "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail einfach.\n",
    )


_GERMAN = {
    "a location is required: lat and long, address_string or address_id": (
        "Bitte setzen Sie eine Markierung auf der Karte, nutzen Sie Ihren Standort oder geben Sie eine Adresse an."
    ),
    "the location lies outside the jurisdiction": "Der Ort liegt außerhalb von Gelsenkirchen.",
    "email is not a valid e-mail address": "Die E-Mail-Adresse ist ungültig.",
    "description must be plain text without HTML": "Die Beschreibung darf kein HTML enthalten.",
}


def _german(problem: str) -> str:
    """Translate the gateway's (Open311, English) messages for the German form where we can."""
    if problem in _GERMAN:
        return _GERMAN[problem]
    if problem.startswith("attribute[") and problem.endswith("is required"):
        return f"Bitte füllen Sie das Pflichtfeld „{problem[10:].split(']')[0]}“ aus."
    if problem.startswith("at most ") and problem.endswith(" photos per report"):
        return f"Höchstens {problem.split()[2]} Fotos pro Meldung."
    if problem.startswith("description is longer"):
        return "Die Beschreibung ist zu lang (höchstens 4.000 Zeichen)."
    return problem


__all__ = ["build_router", "Report"]
