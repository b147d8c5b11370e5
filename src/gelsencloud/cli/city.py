"""``gelsencloud city``: the city profile and its district geometry."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from gelsencloud.cli.admin import cli_principal
from gelsencloud.cli.context import console, database, fail, settings
from gelsencloud.core.city import CityProfileError, import_areas, load_profile, sync_areas
from gelsencloud.core.models import CityArea

app = typer.Typer(help="City profile, districts and quarters.", no_args_is_help=True)


@app.command("show")
def show() -> None:
    """Show the configured city and its areas."""
    profile = load_profile(settings().city_profile)
    console.print(f"[bold]{profile.official_name}[/bold]  AGS {profile.ags}  centre {profile.centre}")
    with database().transaction(cli_principal()) as session:
        table = Table("level", "code", "name", "parent", "km²", "geometry")
        for a in session.scalars(select(CityArea).order_by(CityArea.level, CityArea.code)):
            table.add_row(a.level, a.code, a.name, a.parent_code or "", str(a.area_km2), a.geometry_source)
    console.print(table)


@app.command("sync")
def sync() -> None:
    """Create missing districts and quarters of the profile (approximate geometry)."""
    profile = load_profile(settings().city_profile)
    with database().transaction(cli_principal()) as session:
        created = sync_areas(session, profile)
    console.print(f"{created} area(s) created")


@app.command("import-areas")
def import_areas_cmd(
    geojson: Path = typer.Argument(..., exists=True, readable=True, help="Official boundaries as GeoJSON."),
    level: str = typer.Option(..., help="stadtbezirk or stadtteil"),
    name_property: str = typer.Option("name", help="Feature property holding the area name."),
    crs: str = typer.Option(None, help="Source CRS if the file does not say, e.g. EPSG:25832."),
) -> None:
    """Replace approximate geometry with official boundaries (reprojected to EPSG:4326)."""
    try:
        with database().transaction(cli_principal()) as session:
            updated = import_areas(session, geojson, level=level, name_property=name_property, crs=crs)
    except CityProfileError as exc:
        raise fail(str(exc)) from None
    console.print(f"[green]{len(updated)} {level} area(s) updated[/green]: {', '.join(updated)}")
