"""``gelsencloud db``: schema migrations."""

from __future__ import annotations

import typer

from gelsencloud.cli.context import console, database, registry
from gelsencloud.core import migrate

app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(
    target: str = typer.Argument("heads", help="Revision to reach; 'heads' = newest of all branches."),
) -> None:
    """Upgrade the database schema."""
    with console.status("Migrating…"):
        migrate.upgrade(database(), registry(), target)
    console.print(f"[green]Database at[/green] {', '.join(sorted(migrate.current(database()))) or 'base'}")


@app.command()
def downgrade(
    target: str = typer.Argument(..., help="Revision to go back to; 'base' empties the schema."),
) -> None:
    """Downgrade the database schema."""
    migrate.downgrade(database(), registry(), target)
    console.print(f"[green]Database at[/green] {', '.join(sorted(migrate.current(database()))) or 'base'}")


@app.command()
def current() -> None:
    """Show the current revisions and whether they are the newest."""
    revs = migrate.current(database())
    console.print(f"current: {', '.join(sorted(revs)) or 'base (empty)'}")
    console.print(f"heads:   {', '.join(sorted(migrate.heads(database(), registry())))}")
    missing = migrate.pending(database(), registry())
    if missing:
        console.print(f"[yellow]pending: {', '.join(sorted(missing))}; run `gelsencloud db upgrade`[/yellow]")
        raise typer.Exit(1)
    console.print("[green]up to date[/green]")
