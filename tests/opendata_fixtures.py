"""Fixtures of the open data tests (portal, CKAN, DCAT, OGC API): the demo catalogue, served over HTTP."""

from __future__ import annotations

import pytest

from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.plugins import DemoContext
from gelsencloud.core.principal import SYSTEM
from helpers import serve


@pytest.fixture
def catalog(db, world, settings, monkeypatch):
    """City areas plus the demo datasets (9 public, 1 internal) and the core live area dataset."""
    from gelsencloud.apps.opendata import live
    from gelsencloud.apps.opendata.demo import generate

    # only the core generator, so counts do not depend on which other plugins are installed
    core = {k: v for k, v in live._REGISTRY.items() if v.plugin is None}
    monkeypatch.setattr(live, "_REGISTRY", core)
    with db.transaction(SYSTEM) as session:
        sync_areas(session, cached_profile(settings.city_profile))
    generate(DemoContext(db=db, settings=settings, days=1, seed=7, progress=lambda *a: None))
    return world


@pytest.fixture
def served(app, catalog):
    """Base URL of the app served over real HTTP."""
    with serve(app) as url:
        yield url
