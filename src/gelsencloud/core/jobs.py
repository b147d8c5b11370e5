"""Scheduled jobs: run registered jobs on their interval, one runner at a time, outcomes recorded."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import func, select, update

from gelsencloud.core.models import JobRun, utcnow
from gelsencloud.core.plugins import Job, JobContext
from gelsencloud.core.principal import SYSTEM

LOGGER = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)


def last_run(db, job_name: str) -> JobRun | None:
    """Return the newest run of a job."""
    with db.transaction(SYSTEM) as session:
        return session.scalar(
            select(JobRun).where(JobRun.job == job_name).order_by(JobRun.id.desc()).limit(1)
        )


def is_due(db, job: Job) -> bool:
    """Tell whether a job should run now."""
    previous = last_run(db, job.name)
    if previous is None:
        return True
    if previous.status == "running" and previous.lease_until and previous.lease_until > utcnow():
        return False
    return previous.started_at + job.every <= utcnow()


def _claim(db, job: Job) -> int | None:
    """Start a run unless another worker holds a live lease; return the run id."""
    now = utcnow()
    with db.transaction(SYSTEM) as session:
        live = session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job == job.name, JobRun.status == "running", JobRun.lease_until > now)
        )
        if live:
            return None
        run = JobRun(job=job.name, started_at=now, status="running", lease_until=now + LEASE)
        session.add(run)
        session.flush()
        return run.id


def run_job(ctx: JobContext, job: Job) -> JobRun | None:
    """Run a job now, recording success or failure; return the finished run (None if busy)."""
    run_id = _claim(ctx.db, job)
    if run_id is None:
        return None
    status, message = "ok", ""
    try:
        message = job.run(ctx) or ""
    except Exception as exc:  # a failing job must not stop the scheduler; the run records why
        LOGGER.exception("job %s failed", job.name)
        status, message = "failed", f"{type(exc).__name__}: {exc}"
    with ctx.db.transaction(SYSTEM) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, message=message[:4000], finished_at=utcnow(), lease_until=None)
        )
        return session.get(JobRun, run_id)


async def scheduler_loop(ctx: JobContext, jobs: list[Job], tick_seconds: float = 15.0) -> None:
    """Run due jobs forever, each in a worker thread so the event loop stays responsive."""
    while True:
        for job in jobs:
            try:
                if await asyncio.to_thread(is_due, ctx.db, job):
                    await asyncio.to_thread(run_job, ctx, job)
            except Exception:  # the database may be briefly unavailable; try again next tick
                LOGGER.exception("scheduler could not run %s", job.name)
        await asyncio.sleep(tick_seconds)
