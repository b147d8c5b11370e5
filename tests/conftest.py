"""Shared fixtures: databases (SQLite and PostgreSQL), app, client, seeded tenants and users."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gelsencloud.core import identity, migrate
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM, Role
from gelsencloud.core.settings import Settings
from helpers import PASSWORD, unavailable

POSTGRES_URL = os.environ.get(
    "GELSENCLOUD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gelsencloud_test"
)


def _ensure_postgres_database() -> None:
    url = make_url(POSTGRES_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()
    # PostGIS lives in its own schema, created once: tests drop and recreate "public" for every
    # test, and re-creating the extension each time would cost a second per test.
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            available = conn.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))
            if available:
                conn.execute(text("CREATE SCHEMA IF NOT EXISTS postgis"))
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA postgis"))
                conn.execute(text(f'ALTER DATABASE "{url.database}" SET search_path = public, postgis'))
    finally:
        engine.dispose()


_postgres_state: dict[str, str | None] = {}


def postgres_url() -> str:
    """Return a clean PostgreSQL database URL (schema emptied), or skip/fail."""
    if "error" not in _postgres_state:
        try:
            _ensure_postgres_database()
            _postgres_state["error"] = None
        except Exception as exc:  # driver errors vary; all mean "not reachable"
            _postgres_state["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if _postgres_state["error"]:
        unavailable("PostgreSQL at " + POSTGRES_URL, _postgres_state["error"])
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Hash test passwords with cheap argon2id parameters (production keeps the library defaults).

    Seeding a test's users would otherwise spend about 0.3 s per password.
    """
    from argon2 import PasswordHasher

    from gelsencloud.core import security

    default = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = default


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    """Run a test once per database backend."""
    return request.param


@pytest.fixture
def postgres_database_url() -> str:
    """A fresh, empty PostgreSQL database (for tests that compare the two backends side by side)."""
    return postgres_url()


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A fresh, empty database of the requested backend (SQLite unless parametrised)."""
    kind = (
        request.node.callspec.params.get("backend", "sqlite")
        if hasattr(request.node, "callspec")
        else "sqlite"
    )
    if kind == "postgresql":
        return postgres_url()
    return f"sqlite:///{tmp_path / 'gelsencloud.db'}"


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Settings for a test: fresh database, jobs off, no MQTT."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        jobs_enabled=False,
        var_dir=tmp_path,
        login_max_failures=3,
    )


@pytest.fixture
def registry(settings):
    """All installed plugins (core and example included)."""
    return discover(settings)


@pytest.fixture
def empty_db(settings):
    """A database with no schema."""
    db = Database(settings.database_url)
    yield db
    db.dispose()


@pytest.fixture
def db(empty_db, registry):
    """A migrated database."""
    migrate.upgrade(empty_db, registry)
    return empty_db


@dataclass
class World:
    """Seeded tenants, users and API keys for tests."""

    tenants: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    """The four seed tenants, a user per role and an API key per (tenant, role) that tests need."""
    w = World()
    with db.transaction(SYSTEM) as session:
        for tenant in identity.seed_tenants(session):
            w.tenants[tenant.slug] = tenant.id
        city = identity.get_tenant(session, "stadt-gelsenkirchen")
        net = identity.get_tenant(session, "gelsen-net")
        for username, tenant, role in [
            ("admin", city, Role.PLATFORM_ADMIN),
            ("city.admin", city, Role.TENANT_ADMIN),
            ("city.editor", city, Role.EDITOR),
            ("city.viewer", city, Role.VIEWER),
            ("net.admin", net, Role.TENANT_ADMIN),
            ("net.operator", net, Role.OPERATOR),
        ]:
            user = identity.create_user(
                session, username=username, password=PASSWORD, tenant=tenant, role=role
            )
            w.users[username] = user.id
        for label, tenant, role in [
            ("city.editor", city, Role.EDITOR),
            ("city.admin", city, Role.TENANT_ADMIN),
            ("city.viewer", city, Role.VIEWER),
            ("net.operator", net, Role.OPERATOR),
            ("net.admin", net, Role.TENANT_ADMIN),
        ]:
            w.keys[label] = identity.create_api_key(session, tenant=tenant, role=role, name=label).key
    return w


@pytest.fixture
def app(settings, db, registry):
    """The web application on the test database."""
    from gelsencloud.core.app import create_app

    return create_app(settings, db, registry, run_jobs=False)


@pytest.fixture
def client(app):
    """An HTTP client for the app."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
