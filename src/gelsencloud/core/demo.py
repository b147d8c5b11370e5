"""Build the demo city: schema, tenants, areas, demo users, then every plugin's demo data."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gelsencloud.core import audit, identity, migrate
from gelsencloud.core.city import load_profile, sync_areas
from gelsencloud.core.db import Database
from gelsencloud.core.models import AuditEntry
from gelsencloud.core.plugins import DemoContext, PluginRegistry
from gelsencloud.core.principal import SYSTEM, Role
from gelsencloud.core.settings import Settings

DEMO_ADMIN = ("admin", "gelsencloud-demo")
DEMO_USERS = [
    # (username, tenant, role) – all share the demo password; clearly not for production.
    ("stadt.redaktion", "stadt-gelsenkirchen", Role.EDITOR),
    ("stadt.admin", "stadt-gelsenkirchen", Role.TENANT_ADMIN),
    ("gelsennet.betrieb", "gelsen-net", Role.OPERATOR),
    ("gelsenwasser.betrieb", "gelsenwasser", Role.OPERATOR),
    ("gelsendienste.betrieb", "gelsendienste", Role.OPERATOR),
    ("gast", "stadt-gelsenkirchen", Role.VIEWER),
]


class DemoRefused(RuntimeError):
    """Raised when the demo would overwrite a production installation."""


def is_built(db: Database) -> bool:
    """Tell whether the demo city has been built in this database."""
    with db.transaction(SYSTEM) as session:
        return (
            session.scalar(select(AuditEntry.id).where(AuditEntry.action == "demo_built").limit(1))
            is not None
        )


def build(
    settings: Settings,
    db: Database,
    registry: PluginRegistry,
    *,
    days: int = 30,
    seed: int = 5513,
    reset: bool = False,
    progress: Callable[[str, int, int], None] = lambda *_: None,
) -> bool:
    """Build the demo city; return False if it existed already (and ``reset`` was not asked)."""
    if settings.env == "production":
        raise DemoRefused("the demo city is synthetic and refuses to run with GELSENCLOUD_ENV=production")
    if reset:
        migrate.downgrade(db, registry, "base")
    migrate.upgrade(db, registry)
    if is_built(db):
        return False
    with db.transaction(SYSTEM) as session:
        identity.seed_tenants(session)
        sync_areas(session, load_profile(settings.city_profile))
        city = identity.get_tenant(session, "stadt-gelsenkirchen")
        identity.create_user(
            session,
            username=DEMO_ADMIN[0],
            password=DEMO_ADMIN[1],
            tenant=city,
            role=Role.PLATFORM_ADMIN,
            display_name="Demo-Administration",
        )
        for username, tenant_slug, role in DEMO_USERS:
            identity.create_user(
                session,
                username=username,
                password=DEMO_ADMIN[1],
                tenant=identity.get_tenant(session, tenant_slug),
                role=role,
            )
    ctx = DemoContext(db=db, settings=settings, days=days, seed=seed, progress=progress)
    for name, generate in registry.demo_generators():
        progress(name, 0, 1)
        generate(ctx)
        progress(name, 1, 1)
    with db.transaction(SYSTEM) as session:
        audit.record(session, "demo_built", "platform", None, days=days, seed=seed, synthetic=True)
    return True
