"""Allow ``python -m gelsencloud.cli``."""

from gelsencloud.cli.main import app

app()
