"""What every CLI command needs: settings, database and plugin registry, built once."""

from __future__ import annotations

from functools import lru_cache

import typer
from rich.console import Console

from gelsencloud.core.db import Database
from gelsencloud.core.plugins import PluginRegistry, discover
from gelsencloud.core.settings import ConfigurationError, Settings, ensure_usable, get_settings

console = Console()
err_console = Console(stderr=True)


@lru_cache
def settings() -> Settings:
    """Return validated settings or exit with the problems explained."""
    current = get_settings()
    try:
        ensure_usable(current)
    except ConfigurationError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return current


@lru_cache
def database() -> Database:
    """Return the configured database."""
    return Database(settings().database_url)


@lru_cache
def registry() -> PluginRegistry:
    """Return the plugin registry."""
    return discover(settings())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error and return the exit to raise."""
    err_console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(code)
