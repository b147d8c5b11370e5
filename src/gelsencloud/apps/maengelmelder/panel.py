"""GE-meldet's part of the start page: what citizens reported lately and what has been fixed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from gelsencloud.apps.maengelmelder import service
from gelsencloud.apps.maengelmelder.workflow import STATUSES
from gelsencloud.core.models import utcnow

RECENT = timedelta(days=7)


def home_context(session: Session) -> dict[str, Any]:
    """Counts of the last seven days and the newest public reports (public face, also for staff)."""
    since = utcnow() - RECENT
    week = service.ReportQuery(start=since, public_only=True, limit=None)
    fixed = service.ReportQuery(start=since, statuses=["fixed"], public_only=True, limit=None)
    newest = service.list_reports(session, service.ReportQuery(public_only=True, limit=5))
    return {
        "received": service.count_reports(session, week),
        "fixed": service.count_reports(session, fixed),
        "newest": [
            {
                "id": r.id,
                "service": r.service_name,
                "status_de": STATUSES[r.status].label_de if r.status in STATUSES else r.status,
                "status_en": STATUSES[r.status].label_en if r.status in STATUSES else r.status,
                "requested_at": r.requested_at,
            }
            for r in newest
        ],
    }
