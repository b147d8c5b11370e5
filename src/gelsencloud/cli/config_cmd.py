"""``gelsencloud config``: show and validate the settings."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.table import Table

from gelsencloud.cli.context import console, err_console
from gelsencloud.core.settings import Settings

app = typer.Typer(help="Show and validate configuration.", no_args_is_help=True)
SECRET_FIELDS = {"secret_key"}


def _load() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "GELSENCLOUD_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            err_console.print(f"[red]✗[/red] {name}: {err['msg']} (got {err.get('input')!r})")
        raise typer.Exit(2) from None


@app.command()
def show() -> None:
    """Print every setting with its value and meaning (secrets masked)."""
    current = _load()
    table = Table("variable", "value", "meaning")
    for name, field in Settings.model_fields.items():
        value = getattr(current, name)
        shown = "********" if name in SECRET_FIELDS and value else str(value)
        table.add_row(f"GELSENCLOUD_{name.upper()}", shown, field.description or "")
    console.print(table)


@app.command()
def validate() -> None:
    """Check the configuration and explain every problem; exit 1 if any is fatal."""
    current = _load()
    problems = current.problems()
    fatal = set(current.fatal_problems())
    for problem in problems:
        marker = "[red]✗[/red]" if problem in fatal else "[yellow]![/yellow]"
        console.print(f"{marker} {problem}")
    from gelsencloud.core.city import CityProfileError, load_profile

    try:
        profile = load_profile(current.city_profile)
        console.print(f"[green]✓[/green] city profile: {profile.official_name} (AGS {profile.ags})")
    except CityProfileError as exc:
        console.print(f"[red]✗[/red] GELSENCLOUD_CITY_PROFILE: {exc}")
        fatal.add(str(exc))
    if fatal:
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] configuration usable ({current.env})")
