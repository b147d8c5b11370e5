"""Fixtures of the GE-meldet and Open311 tests: seeded areas and services, and a live HTTP server."""

from __future__ import annotations

import pytest

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.principal import SYSTEM
from helpers import serve


@pytest.fixture
def city_id(db, world, settings) -> int:
    """The city tenant with its areas and the GE-meldet services from the seed file."""
    tenant_id = world.tenants["stadt-gelsenkirchen"]
    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
        svc.seed_services(session, tenant_id)
    return tenant_id


@pytest.fixture
def live(app, city_id):
    """Serve the app on a free local port so an independent client (requests) can call it."""
    with serve(app) as url:
        yield url + "/open311/v2"
