"""HTTP API of GE-meldet: the Open311 routes plus the platform's own JSON routes, in ONE flat router."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gelsencloud.apis import open311
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.opendata import public_report_view
from gelsencloud.core.auth import DbSession, LoggedIn
from gelsencloud.core.identity import InvalidInput, NotFound


class ReportOut(BaseModel):
    """A report as the caller may see it (never contact data)."""

    id: int
    classification: str
    service_code: str
    service_name: str
    status: str
    description: str
    lat: float | None
    lon: float | None
    address: str
    district_code: str | None
    department: str
    priority: str
    assigned_to: str | None
    moderation: str
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None


class StatusIn(BaseModel):
    """A status change with an optional public note (a template is used when empty)."""

    status: str
    note: str = ""


class NoteIn(BaseModel):
    """An internal staff note."""

    text: str = Field(min_length=1, max_length=4000)


class AssignIn(BaseModel):
    """Assignment and/or department change."""

    assigned_to: str | None = None
    department: str | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None


def _staff_report(session, principal, report_id: int):
    report = svc.get_report(session, report_id)
    if not principal.can_write(report.tenant_id):
        raise NotFound(f"report {report_id} not found")  # public but not yours: no staff actions
    return report


def build_router() -> APIRouter:
    """Open311 GeoReport v2 under /open311/v2 and JSON routes under /api/v1/maengelmelder."""
    router = APIRouter()
    open311.register(router)

    @router.get("/api/v1/maengelmelder/reports", response_model=list[ReportOut], tags=["maengelmelder"])
    def reports(
        session: DbSession,
        status: str | None = None,
        department: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ):
        """List reports readable by the caller (staff of the city also see internal ones)."""
        query = svc.ReportQuery(
            statuses=[status] if status else None, department=department, limit=limit, offset=offset
        )
        return svc.list_reports(session, query)

    @router.get("/api/v1/maengelmelder/reports/{report_id}", response_model=ReportOut, tags=["maengelmelder"])
    def report(report_id: int, session: DbSession):
        """Return one report."""
        return svc.get_report(session, report_id)

    @router.post(
        "/api/v1/maengelmelder/reports/{report_id}/status", response_model=ReportOut, tags=["maengelmelder"]
    )
    def change_status(report_id: int, body: StatusIn, session: DbSession, principal: LoggedIn):
        """Move a report through the workflow (adds a public status note)."""
        report = _staff_report(session, principal, report_id)
        svc.change_status(session, report, body.status, note=body.note, author=principal.name)
        return report

    @router.post("/api/v1/maengelmelder/reports/{report_id}/notes", status_code=201, tags=["maengelmelder"])
    def add_note(report_id: int, body: NoteIn, session: DbSession, principal: LoggedIn) -> dict[str, Any]:
        """Add an internal note."""
        report = _staff_report(session, principal, report_id)
        note = svc.add_internal_note(session, report, body.text, author=principal.name)
        return {"id": note.id}

    @router.post(
        "/api/v1/maengelmelder/reports/{report_id}/assignment",
        response_model=ReportOut,
        tags=["maengelmelder"],
    )
    def assignment(report_id: int, body: AssignIn, session: DbSession, principal: LoggedIn):
        """Assign a report, move it to another department, set its priority."""
        report = _staff_report(session, principal, report_id)
        svc.assign(session, report, assignee=body.assigned_to, department=body.department)
        if body.priority:
            svc.set_priority(session, report, body.priority)
        return report

    @router.get("/api/v1/maengelmelder/reports/{report_id}/duplicates", tags=["maengelmelder"])
    def duplicates(report_id: int, session: DbSession, principal: LoggedIn) -> list[dict[str, Any]]:
        """Suggest duplicates: same category within the service's radius and time window."""
        report = _staff_report(session, principal, report_id)
        return [
            {"id": r.id, "distance_m": round(d, 1), "status": r.status, "requested_at": r.requested_at}
            for r, d in svc.duplicate_candidates(session, report)
        ]

    @router.get("/api/v1/maengelmelder/photos/{photo_id}.jpg", tags=["maengelmelder"])
    def photo(photo_id: int, session: DbSession) -> Response:
        """Deliver a published photo (re-encoded, without metadata)."""
        found = svc.get_photo(session, photo_id)
        return Response(
            found.content, media_type=found.content_type, headers={"Cache-Control": "public, max-age=3600"}
        )

    @router.get("/api/v1/maengelmelder/statistics", tags=["maengelmelder"])
    def statistics(session: DbSession, principal: LoggedIn) -> dict[str, Any]:
        """Counts by status, category, district and department for the caller's tenant."""
        if principal.tenant_id is None:
            raise InvalidInput("statistics need a tenant")
        return svc.statistics(session, principal.tenant_id)

    @router.get("/api/v1/maengelmelder/open-data", tags=["maengelmelder"])
    def open_data(session: DbSession, days: int = Query(90, ge=1, le=3650)) -> list[dict[str, Any]]:
        """Anonymised public view of reports (category, district, date, status, ~100 m location)."""
        return public_report_view(session, days=days)

    return router
