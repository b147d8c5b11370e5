"""Read queries of the Open311 API: plain rows of the columns a representation needs.

Rows are several times cheaper than ORM objects for lists of hundreds of reports, and the
platform's classification layer filters column selects of a model exactly like entity selects, so
these queries see what the session's principal may see and nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gelsencloud.apps.maengelmelder.models import Report, ReportNote, ReportPhoto
from gelsencloud.apps.maengelmelder.service import ReportQuery, filtered_select

# What the Open311 representation reads: plain rows are several times cheaper than ORM objects,
# and the classification layer filters column selects of a model exactly like entity selects.
REPORT_API_COLUMNS = (
    Report.id,
    Report.tenant_id,
    Report.status,
    Report.service_name,
    Report.service_code,
    Report.description,
    Report.agency_responsible,
    Report.requested_at,
    Report.updated_at,
    Report.expected_at,
    Report.address,
    Report.address_id,
    Report.zipcode,
    Report.lat,
    Report.lon,
    Report.media_url,
)
REPORT_EXTENDED_COLUMNS = (
    Report.attributes,
    Report.channel,
    Report.location_source,
    Report.address_source,
    Report.district_code,
    Report.quarter_code,
    Report.duplicate_of_id,
)


def list_report_rows(session: Session, q: ReportQuery, *, extended: bool = False) -> list[Any]:
    """Like :func:`list_reports`, as read-only rows (the Open311 columns, ``extended`` adds the rest)."""
    columns = REPORT_API_COLUMNS + (REPORT_EXTENDED_COLUMNS if extended else ())
    stmt = (
        filtered_select(q)
        .with_only_columns(*columns)
        .order_by(Report.requested_at.desc(), Report.id.desc())
        .offset(q.offset)
    )
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    return list(session.execute(stmt))


def note_rows_of(session: Session, report_ids: list[int]) -> dict[int, list[Any]]:
    """The readable notes of several reports as rows (kind, status, text, created_at), oldest first."""
    out: dict[int, list[Any]] = {i: [] for i in report_ids}
    if report_ids:
        stmt = (
            select(
                ReportNote.report_id,
                ReportNote.kind,
                ReportNote.status,
                ReportNote.text,
                ReportNote.created_at,
            )
            .where(ReportNote.report_id.in_(report_ids))
            .order_by(ReportNote.created_at, ReportNote.id)
        )
        for row in session.execute(stmt):
            out[row.report_id].append(row)
    return out


def latest_status_notes(session: Session, report_ids: list[int]) -> dict[int, str]:
    """The text of each report's latest readable status note, for reports with more than one."""
    if not report_ids:
        return {}
    order = (ReportNote.created_at.desc(), ReportNote.id.desc())
    ranked = (
        select(
            ReportNote.report_id,
            ReportNote.text,
            func.row_number().over(partition_by=ReportNote.report_id, order_by=order).label("rank"),
            func.count().over(partition_by=ReportNote.report_id).label("notes"),
        )
        .where(ReportNote.report_id.in_(report_ids), ReportNote.kind == "status")
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.report_id, ranked.c.text).where(ranked.c.rank == 1, ranked.c.notes > 1)
    )
    return {report_id: text for report_id, text in rows}


def photo_rows_of(session: Session, report_ids: list[int]) -> dict[int, list[Any]]:
    """The readable photos of several reports as rows (id, width, height, created_at), without bytes."""
    out: dict[int, list[Any]] = {i: [] for i in report_ids}
    if report_ids:
        stmt = (
            select(
                ReportPhoto.id,
                ReportPhoto.report_id,
                ReportPhoto.width,
                ReportPhoto.height,
                ReportPhoto.created_at,
            )
            .where(ReportPhoto.report_id.in_(report_ids))
            .order_by(ReportPhoto.id)
        )
        for row in session.execute(stmt):
            out[row.report_id].append(row)
    return out


UPDATE_KINDS = ("status", "feedback")  # notes that are status updates; internal and merge notes are not


def status_updates(
    session: Session,
    tenant_id: int,
    *,
    start: datetime,
    end: datetime,
    report_ids: list[int] | None = None,
    offset: int = 0,
    limit: int = 1000,
) -> tuple[list[tuple[ReportNote, Report]], int]:
    """Readable status notes of readable reports written in [start, end], oldest first, with the total."""
    stmt = (
        select(ReportNote, Report)
        .join(Report, Report.id == ReportNote.report_id)
        .where(
            Report.tenant_id == tenant_id,
            ReportNote.kind.in_(UPDATE_KINDS),
            or_(ReportNote.kind != "status", ReportNote.status != "new"),  # the submission is no update
            ReportNote.created_at >= start,
            ReportNote.created_at <= end,
        )
    )
    if report_ids is not None:
        stmt = stmt.where(Report.id.in_(report_ids))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(ReportNote.created_at, ReportNote.id).offset(offset).limit(limit))
    return [(note, report) for note, report in rows], total
