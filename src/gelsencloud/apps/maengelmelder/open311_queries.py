"""Read queries of the Open311 API: plain rows of the columns a representation needs.

Rows are several times cheaper than ORM objects for lists of hundreds of reports, and the
platform's classification layer filters column selects of a model exactly like entity selects, so
these queries see what the session's principal may see and nothing more.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import case, func, or_, select
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


class PageNote(NamedTuple):
    """A readable note of a listed report (sorts oldest first, like the notes history)."""

    created_at: datetime
    id: int
    kind: str
    status: str | None
    text: str


class PagePhoto(NamedTuple):
    """A readable photo of a listed report, without its bytes."""

    id: int
    width: int
    height: int
    created_at: datetime


def list_report_rows(session: Session, q: ReportQuery, *, extended: bool = False) -> list[Any]:
    """Like :func:`list_reports`, as read-only rows of the Open311 columns, in one query.

    Besides the report's columns each row carries ``first_photo_id`` and ``status_note`` (the latest
    status note once there is more than one), or with ``extended`` the other columns and all readable
    ``notes`` and ``photos`` as JSON arrays (decode them with :func:`notes_of` and :func:`photos_of`).
    The page is chosen first (a covering index walk) and only its rows read their notes and photos,
    so the correlated subqueries never run for rows that are not shown; the classification layer
    filters those subqueries like every other reference to a classified model.
    """
    order = (Report.requested_at.desc(), Report.id.desc())
    page = (
        filtered_select(q).with_only_columns(Report.id, Report.requested_at).order_by(*order).offset(q.offset)
    )
    if q.limit is not None:
        page = page.limit(q.limit)
    page = page.subquery("page")
    stmt = (
        select(*_page_columns(session.get_bind().dialect.name, extended))
        .join_from(Report, page, Report.id == page.c.id)
        .order_by(page.c.requested_at.desc(), page.c.id.desc())
    )
    return list(session.execute(stmt))


@cache
def _page_columns(dialect: str, extended: bool) -> tuple:
    """The columns of a page's rows (the subqueries are immutable SQL: built once per dialect)."""
    if not extended:
        return REPORT_API_COLUMNS + (
            _first_photo_id().label("first_photo_id"),
            _status_note().label("status_note"),
        )
    notes = _json_rows(
        dialect,
        ReportNote,
        ReportNote.id,
        ReportNote.kind,
        ReportNote.status,
        ReportNote.text,
        ReportNote.created_at,
    )
    photos = _json_rows(
        dialect, ReportPhoto, ReportPhoto.id, ReportPhoto.width, ReportPhoto.height, ReportPhoto.created_at
    )
    return REPORT_API_COLUMNS + REPORT_EXTENDED_COLUMNS + (notes.label("notes"), photos.label("photos"))


def _json_rows(dialect: str, model: type, *columns: Any) -> Any:
    """A correlated subquery: the readable rows of ``model`` for the report as a JSON array of arrays."""
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_array(*columns))
    else:
        aggregate = func.json_group_array(func.json_array(*columns))
    return select(aggregate).where(model.report_id == Report.id).scalar_subquery()


def _first_photo_id() -> Any:
    """A correlated subquery: the id of the report's first readable photo (its ``media_url``)."""
    return select(func.min(ReportPhoto.id)).where(ReportPhoto.report_id == Report.id).scalar_subquery()


def _status_note() -> Any:
    """A correlated subquery: the latest readable status note, when there is more than one."""
    mine = (ReportNote.report_id == Report.id, ReportNote.kind == "status")
    latest = (
        select(ReportNote.text)
        .where(*mine)
        .order_by(ReportNote.created_at.desc(), ReportNote.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    count = select(func.count()).where(*mine).scalar_subquery()
    return case((count > 1, latest), else_=None)


def _json_list(value: Any) -> list:
    """A JSON array from the database: text on SQLite, already decoded by psycopg, NULL when empty."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _timestamp(text: str) -> datetime:
    """A timestamp inside a JSON array: ISO 8601 with offset (PostgreSQL) or naive UTC (SQLite)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def notes_of(row: Any) -> list[PageNote]:
    """The readable notes of a row of :func:`list_report_rows` (``extended``), oldest first."""
    notes = [
        PageNote(_timestamp(at), id_, kind, status, text)
        for id_, kind, status, text, at in _json_list(row.notes)
    ]
    notes.sort()
    return notes


def photos_of(row: Any) -> list[PagePhoto]:
    """The readable photos of a row of :func:`list_report_rows` (``extended``), in upload order."""
    photos = [
        PagePhoto(id_, width, height, _timestamp(at)) for id_, width, height, at in _json_list(row.photos)
    ]
    photos.sort()
    return photos


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
