"""Usage statistics per dataset: page views, downloads and API calls, counted per UTC day.

Decision: one counter row per (dataset, distribution, day, kind), incremented by an upsert that
runs *after* the response has been sent (a FastAPI background task of the same request). No row
per request is ever written and no request data is kept: no IP address, no user agent, no time of
day. A buffered in-memory counter was considered and rejected: each uvicorn worker would hold its
own buffer, the plugin contract has no shutdown hook to flush it (the core lifespan only disposes
the database), and a crashed worker would lose every count since the last flush. With the upsert,
a count is durable before the request cycle ends, and uvicorn's graceful shutdown waits for
running background tasks, so no acknowledged count is lost. The cost is one single-row indexed
write per counted request, off the response's critical path (measured in bench/bench_opendata.py).

Clients whose user agent contains "bot", "crawler" or "spider" are not counted at all (neither as
views nor as downloads or API calls): search engines would otherwise dominate the figures.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import BackgroundTasks, Request
from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata.models import Dataset, UsageCount

LOGGER = logging.getLogger(__name__)
VIEW, DOWNLOAD, API = "view", "download", "api"
KINDS = (VIEW, DOWNLOAD, API)
LABELS = {VIEW: "views", DOWNLOAD: "downloads", API: "api_calls"}
BOT_MARKERS = ("bot", "crawler", "spider")
RECENT_DAYS = 14  # CKAN's tracking_summary "recent" window


def is_bot(user_agent: str | None) -> bool:
    """Tell whether a user agent declares itself a robot (bot, crawler, spider)."""
    text = (user_agent or "").lower()
    return any(marker in text for marker in BOT_MARKERS)


def today() -> date:
    """The current UTC day (counters are kept per UTC day)."""
    return datetime.now(UTC).date()


def count(
    engine: Engine,
    dataset_id: int,
    kind: str,
    distribution_id: int = 0,
    *,
    day: date | None = None,
    n: int = 1,
) -> None:
    """Add ``n`` accesses of ``kind`` to a dataset's counter of ``day`` (one upsert)."""
    if kind not in KINDS:
        raise ValueError(f"unknown usage kind {kind!r}")
    table = UsageCount.__table__
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(
        dataset_id=dataset_id, distribution_id=distribution_id or 0, day=day or today(), kind=kind, count=n
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["dataset_id", "distribution_id", "day", "kind"],
        set_={"count": table.c.count + stmt.excluded.count},
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def _count_quietly(engine: Engine, dataset_id: int, kind: str, distribution_id: int) -> None:
    try:
        count(engine, dataset_id, kind, distribution_id)
    except Exception:  # the response is already sent; a lost count must not raise into the server
        LOGGER.warning("could not count %s of dataset %s", kind, dataset_id, exc_info=True)


def track(
    request: Request, background: BackgroundTasks, dataset_id: int, kind: str, distribution_id: int = 0
) -> None:
    """Count an access after the response is sent, unless the client is a robot."""
    if is_bot(request.headers.get("user-agent")):
        return
    background.add_task(_count_quietly, request.app.state.db.engine, dataset_id, kind, distribution_id)


# --- reading --------------------------------------------------------------------------------------


def _totals(session: Session, dataset_id: int, since: date, by_distribution: bool = False):
    recent = func.sum(case((UsageCount.day >= since, UsageCount.count), else_=0))
    columns = [UsageCount.kind, func.sum(UsageCount.count), recent]
    if by_distribution:
        columns.insert(0, UsageCount.distribution_id)
    stmt = (
        select(*columns)
        .where(UsageCount.dataset_id == dataset_id)
        .group_by(*columns[: 2 if by_distribution else 1])
    )
    return session.execute(stmt).all()


def dataset_usage(session: Session, dataset_id: int, *, on: date | None = None) -> dict[str, dict[str, int]]:
    """Return {"views"|"downloads"|"api_calls": {"total", "recent"}} of a dataset (recent = 14 days)."""
    since = (on or today()) - timedelta(days=RECENT_DAYS - 1)
    result = {label: {"total": 0, "recent": 0} for label in LABELS.values()}
    for kind, total, recent in _totals(session, dataset_id, since):
        result[LABELS[kind]] = {"total": int(total or 0), "recent": int(recent or 0)}
    return result


def distribution_downloads(
    session: Session, dataset_id: int, *, on: date | None = None
) -> dict[int, dict[str, int]]:
    """Return {distribution id: {"total", "recent"}} of downloads (CKAN's resource tracking_summary)."""
    since = (on or today()) - timedelta(days=RECENT_DAYS - 1)
    return {
        dist_id: {"total": int(total or 0), "recent": int(recent or 0)}
        for dist_id, kind, total, recent in _totals(session, dataset_id, since, by_distribution=True)
        if kind == DOWNLOAD and dist_id
    }


def daily(session: Session, dataset_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Return one entry per day in [start, end] with the views, downloads and API calls of that day."""
    stmt = (
        select(UsageCount.day, UsageCount.kind, func.sum(UsageCount.count))
        .where(UsageCount.dataset_id == dataset_id, UsageCount.day >= start, UsageCount.day <= end)
        .group_by(UsageCount.day, UsageCount.kind)
    )
    by_day: dict[date, dict[str, int]] = {}
    for day, kind, total in session.execute(stmt).all():
        by_day.setdefault(day, {})[LABELS[kind]] = int(total or 0)
    days = []
    current = start
    while current <= end:
        counts = by_day.get(current, {})
        days.append(
            {"date": current.isoformat(), **{label: counts.get(label, 0) for label in LABELS.values()}}
        )
        current += timedelta(days=1)
    return days


def _first_day_at_or_after(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        day = moment.date()
        return (
            day if moment == datetime(day.year, day.month, day.day, tzinfo=UTC) else day + timedelta(days=1)
        )
    return moment


def usage_count(session: Session, start: date | datetime, end: date | datetime) -> int:
    """All accesses (views, downloads, API calls) of public datasets in the half-open period [start, end).

    Counters are per UTC day: a day belongs to the period when its midnight (UTC) does, so a
    period ending "now" includes today's accesses so far.
    """
    first, stop = _first_day_at_or_after(start), _first_day_at_or_after(end)
    stmt = (
        select(func.coalesce(func.sum(UsageCount.count), 0))
        .join(Dataset, Dataset.id == UsageCount.dataset_id)
        .where(UsageCount.day >= first, UsageCount.day < stop, Dataset.classification == "public")
    )
    return int(session.scalar(stmt) or 0)
