"""``gelsencloud jobs``: list and run scheduled jobs by hand (e.g. from cron)."""

from __future__ import annotations

import typer
from rich.table import Table

from gelsencloud.cli.context import console, database, fail, registry, settings
from gelsencloud.core.jobs import last_run, run_job
from gelsencloud.core.plugins import JobContext

app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)


@app.command("list")
def list_jobs() -> None:
    """List registered jobs with their last run."""
    table = Table("job", "every", "last run", "status", "description")
    for job in registry().jobs():
        run = last_run(database(), job.name)
        table.add_row(
            job.name,
            str(job.every),
            run.started_at.isoformat(timespec="seconds") if run else "never",
            run.status if run else "",
            job.description,
        )
    console.print(table)


@app.command("run")
def run(name: str) -> None:
    """Run one job now."""
    jobs = {job.name: job for job in registry().jobs()}
    if name not in jobs:
        raise fail(f"no job named {name!r}; known: {', '.join(sorted(jobs)) or 'none'}")
    result = run_job(JobContext(db=database(), settings=settings()), jobs[name])
    if result is None:
        raise fail(f"{name} is running elsewhere")
    console.print(f"{name}: {result.status} {result.message}")
    if result.status != "ok":
        raise typer.Exit(1)
