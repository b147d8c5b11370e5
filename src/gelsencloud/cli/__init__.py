"""The ``gelsencloud`` command line (Typer + Rich)."""
