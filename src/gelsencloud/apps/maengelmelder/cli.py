"""CLI of GE-meldet (``gelsencloud maengelmelder ...``)."""

from __future__ import annotations

import typer

from gelsencloud.apps.maengelmelder import service
from gelsencloud.apps.maengelmelder.config import catalogue, plugin_settings
from gelsencloud.cli.context import console, database, fail
from gelsencloud.core.identity import NotFound, get_tenant
from gelsencloud.core.principal import SYSTEM

app = typer.Typer(help="GE-meldet: services, reports and privacy.", no_args_is_help=True)


@app.command("seed")
def seed_cmd() -> None:
    """Create or update the services of every jurisdiction from the seed file."""
    with database().transaction(SYSTEM) as session:
        for jurisdiction in catalogue().jurisdictions:
            try:
                tenant = get_tenant(session, jurisdiction.tenant)
            except NotFound:
                raise fail(f"tenant {jurisdiction.tenant!r} of {jurisdiction.id} does not exist") from None
            changed = service.seed_services(session, tenant.id)
            console.print(f"{jurisdiction.id}: {changed} service(s) created or updated")


@app.command("services")
def services_cmd() -> None:
    """List the services (categories) of every jurisdiction."""
    with database().transaction() as session:
        for jurisdiction in catalogue().jurisdictions:
            tenant = get_tenant(session, jurisdiction.tenant)
            for s in service.list_services(session, tenant.id):
                console.print(f"{jurisdiction.id:<20} {s.code:<18} {s.name}")


@app.command("retention")
def retention_cmd() -> None:
    """Apply the retention rules now (the scheduled job does this every 6 hours)."""
    s = plugin_settings()
    with database().transaction(SYSTEM) as session:
        done = service.apply_retention(
            session,
            days_after_close=s.retention_days_after_close,
            days_max=s.retention_days_max,
            ip_hash_hours=s.ip_hash_hours,
        )
    console.print(done)


@app.command("geocode")
def geocode_cmd(
    address: str = typer.Argument("", help="Address to place, e.g. 'Bahnhofstr. 12'"),
    lat: float | None = typer.Option(None, help="Latitude for reverse geocoding"),
    lon: float | None = typer.Option(None, help="Longitude for reverse geocoding"),
) -> None:
    """Try the configured geocoder (an address, or --lat/--lon for the reverse direction)."""
    from gelsencloud.apps.maengelmelder.geocoding import GeocoderUnavailable, geocoder_from_settings
    from gelsencloud.core.city import cached_profile
    from gelsencloud.core.settings import get_settings

    settings = plugin_settings()
    geocoder = geocoder_from_settings(settings)
    if geocoder is None:
        raise fail("geocoding is switched off (GELSENCLOUD_MAENGELMELDER_GEOCODER=none)")
    bbox = cached_profile(get_settings().city_profile).bbox
    try:
        if lat is not None and lon is not None:
            found = geocoder.reverse(lat, lon, bbox)
        elif address:
            found = geocoder.geocode(address, bbox)
        else:
            raise fail("give an address or --lat and --lon")
    except GeocoderUnavailable as exc:
        raise fail(str(exc)) from None
    if found is None:
        raise fail(f"not found inside the city ({settings.geocoder})")
    console.print(f"{found.address}  ({found.lat:.6f}, {found.lon:.6f}; {found.precision}, {found.source})")
