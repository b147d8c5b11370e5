"""Entry point of the ``gelsencloud`` command."""

from __future__ import annotations

import typer

from gelsencloud.cli import admin, config_cmd, db_cmd, demo_cmd, jobs_cmd, serve_cmd

app = typer.Typer(
    name="gelsencloud",
    help="GELSENcloud – urban data platform of the Vernetzte Stadt Gelsenkirchen.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords and keys
)
app.command("serve")(serve_cmd.serve)
app.command("demo")(demo_cmd.demo)
app.add_typer(db_cmd.app, name="db")
app.add_typer(config_cmd.app, name="config")
app.add_typer(admin.users, name="users")
app.add_typer(admin.tenants, name="tenants")
app.add_typer(admin.apikeys, name="apikeys")
app.add_typer(jobs_cmd.app, name="jobs")


def _add_plugin_commands() -> None:
    # Plugins contribute command groups; a broken configuration must not hide `config validate`.
    from gelsencloud.core.plugins import discover
    from gelsencloud.core.settings import get_settings

    try:
        registry = discover(get_settings())
    except Exception:  # reported properly by `gelsencloud config validate`
        return
    for plugin in registry.plugins:
        if plugin.cli is not None:
            app.add_typer(plugin.cli(), name=plugin.name if plugin.name != "core" else "city")


_add_plugin_commands()
