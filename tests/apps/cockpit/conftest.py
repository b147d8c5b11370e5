"""Fixtures of the cockpit tests: imported catalogues and principals of the city's staff."""

from __future__ import annotations

import pytest

from gelsencloud.apps.cockpit.importer import import_catalogs
from gelsencloud.core.city import load_profile, sync_areas
from gelsencloud.core.principal import SYSTEM, Principal, Role


@pytest.fixture
def imported(db, world):
    """A migrated database with tenants, users, city areas and both catalogues imported."""
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
        report = import_catalogs(session)
    assert report.measures_created == 107
    return db


@pytest.fixture
def editor(world) -> Principal:
    """An editor of the city (may write cockpit data)."""
    return Principal(
        kind="user",
        tenant_id=world.tenants["stadt-gelsenkirchen"],
        role=Role.EDITOR,
        user_id=world.users["city.editor"],
        name="city.editor",
    )


@pytest.fixture
def city_viewer(world) -> Principal:
    """A viewer of the city (reads internal data, writes nothing)."""
    return Principal(
        kind="user", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.VIEWER, name="city.viewer"
    )


@pytest.fixture
def outsider(world) -> Principal:
    """An administrator of another tenant."""
    return Principal(
        kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.TENANT_ADMIN, name="net.admin"
    )
