"""Service layer of the example application: the API, pages, CLI and jobs all call these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gelsencloud.apps.example.models import Notice
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow


def create_notice(
    session: Session,
    *,
    title: str,
    body: str = "",
    classification: str = "public",
    valid_until: datetime | None = None,
) -> Notice:
    """Create a notice for the acting principal's tenant."""
    if not title.strip():
        raise InvalidInput("title must not be empty")
    if len(title) > 200:
        raise InvalidInput("title must have at most 200 characters")
    notice = Notice(title=title.strip(), body=body, classification=classification, valid_until=valid_until)
    session.add(notice)
    session.flush()
    return notice


def list_notices(session: Session, *, include_archived: bool = False) -> list[Notice]:
    """Return the notices the principal may read, newest first."""
    stmt = select(Notice).order_by(Notice.created_at.desc(), Notice.id.desc())
    if not include_archived:
        stmt = stmt.where(Notice.archived.is_(False))
    return list(session.scalars(stmt))


def get_notice(session: Session, notice_id: int) -> Notice:
    """Return one readable notice (unreadable ones do not exist for the caller)."""
    notice = session.scalar(select(Notice).where(Notice.id == notice_id))
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    return notice


def delete_notice(session: Session, notice_id: int) -> None:
    """Delete a notice."""
    session.delete(get_notice(session, notice_id))
    session.flush()


def expire_notices(session: Session) -> int:
    """Archive notices whose end date has passed; return how many."""
    result = session.execute(
        update(Notice)
        .where(Notice.archived.is_(False), Notice.valid_until.is_not(None), Notice.valid_until < utcnow())
        .values(archived=True)
    )
    return result.rowcount or 0


def count_public(session: Session) -> int:
    """Count public, unarchived notices."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.classification == "public", Notice.archived.is_(False))
        )
        or 0
    )
