"""``gelsencloud sensorhub ...``: devices, decoders and reprocessing from the shell."""

from __future__ import annotations

import typer
from rich.table import Table

from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.cli.admin import cli_principal
from gelsencloud.cli.context import console, database

app = typer.Typer(help="Sensor hub: devices and LoRaWAN ingestion.", no_args_is_help=True)


@app.command("devices")
def devices(category: str = typer.Option(None, help="Only this category.")) -> None:
    """List registered devices with their link state."""
    with database().transaction(cli_principal()) as session:
        table = Table(
            "id", "tenant", "name", "category", "DevEUI", "decoder", "state", "last seen", "battery"
        )
        for d in service.list_devices(session, category=category):
            table.add_row(
                str(d.id),
                str(d.tenant_id),
                d.name,
                d.category,
                d.dev_eui or "",
                d.decoder or "",
                service.device_state(d),
                d.last_seen_at.isoformat(timespec="minutes") if d.last_seen_at else "",
                f"{d.battery:.0f} %" if d.battery is not None else "",
            )
    console.print(table)


@app.command("decoders")
def list_decoders() -> None:
    """List the payload decoders devices can use."""
    for name in decoders.names():
        console.print(f"{name:24} {decoders.get(name).description}")


@app.command("reprocess")
def reprocess() -> None:
    """Decode stored uplinks that failed or had no registered device yet."""
    with database().transaction(cli_principal()) as session:
        done, failing = service.reprocess_failed(session)
    console.print(f"{done} processed, {failing} still failing")
