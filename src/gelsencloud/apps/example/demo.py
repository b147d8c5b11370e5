"""Demo data of the example application."""

from __future__ import annotations

from datetime import timedelta

from gelsencloud.apps.example.service import create_notice
from gelsencloud.core.identity import get_tenant
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Principal, Role


def generate(ctx) -> None:
    """Create a few synthetic notices."""
    with ctx.transaction() as session:
        city = get_tenant(session, "stadt-gelsenkirchen")
        session.info["principal"] = Principal(kind="system", name="demo", tenant_id=city.id, role=Role.EDITOR)
        create_notice(
            session,
            title="Demo: Willkommen in der synthetischen Demo-Stadt",
            body="Alle Daten dieser Installation sind synthetisch erzeugt.",
            valid_until=utcnow() + timedelta(days=365),
        )
        create_notice(session, title="Demo: interner Hinweis für die Verwaltung", classification="internal")
