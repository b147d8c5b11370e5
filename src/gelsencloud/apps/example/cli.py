"""CLI commands of the example application (``gelsencloud example ...``)."""

from __future__ import annotations

import typer

from gelsencloud.apps.example import service
from gelsencloud.cli.context import console, database

app = typer.Typer(help="Example application: notices.", no_args_is_help=True)


@app.command("list")
def list_cmd() -> None:
    """List public notices."""
    with database().transaction() as session:  # anonymous: public notices only
        for notice in service.list_notices(session):
            console.print(f"{notice.id:>4}  {notice.title}")
