"""``gelsencloud demo``: build the synthetic demo city and serve it."""

from __future__ import annotations

import os
import time

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from gelsencloud.cli.context import console, database, fail, registry, settings
from gelsencloud.cli.serve_cmd import serve
from gelsencloud.core import demo as demo_builder


def demo(
    days: int = typer.Option(30, min=1, max=366, help="Days of history to backfill."),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the demo when built."),
    reset: bool = typer.Option(False, help="Drop all data and build the demo again."),
    seed: int = typer.Option(5513, help="Random seed (same seed, same city)."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Build the demo city (synthetic data, clearly labelled) and serve it."""
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, int] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        try:
            built = demo_builder.build(
                settings(), database(), registry(), days=days, seed=seed, reset=reset, progress=report
            )
        except demo_builder.DemoRefused as exc:
            raise fail(str(exc)) from None
    if built:
        console.print(
            f"[green]Demo city built[/green] in {time.perf_counter() - started:.1f} s ({days} days)."
        )
    else:
        console.print("Demo city exists already (use --reset to rebuild).")
    user, password = demo_builder.DEMO_ADMIN
    console.print(f"URL:    [bold]http://{host}:{port}/[/bold]")
    console.print(
        f"Log-in: [bold]{user}[/bold] / [bold]{password}[/bold]  (synthetic demo data, not for production)"
    )
    if serve_after:
        # The demo's live sensors post their uplinks to this very server's webhooks.
        os.environ.setdefault("GELSENCLOUD_DEMO_LIVE_URL", f"http://{host}:{port}")
        serve(host=host, port=port, workers=1, reload=False)
