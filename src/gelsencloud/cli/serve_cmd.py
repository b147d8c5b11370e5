"""``gelsencloud serve``: run the web server."""

from __future__ import annotations

import typer
import uvicorn

from gelsencloud.cli.context import console, settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (PostgreSQL; on SQLite, 2 help heavy webhook traffic only)."
    ),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the platform over HTTP."""
    current = settings()
    if workers > 1 and current.is_sqlite:
        console.print(
            "[yellow]SQLite allows one writer at a time: webhook batches of the workers take turns, "
            "other writes wait for each other.[/yellow]"
        )
    console.print(f"GELSENcloud on [bold]http://{host}:{port}/[/bold]  (API docs: /api/docs)")
    uvicorn.run(
        "gelsencloud.core.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=False,  # our middleware applies X-Forwarded-* from GELSENCLOUD_TRUSTED_PROXIES
        log_config=None,
        access_log=False,  # the request-context middleware logs each request with its ID
    )
