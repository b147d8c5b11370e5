"""One migration history for SQLite and PostgreSQL: upgrade, match the models, downgrade, again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from gelsencloud.core import migrate
from gelsencloud.core.db import Base
from gelsencloud.core.migrate import EXTENSION_TABLES, include_object


def _diff(db) -> list:
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_object}
        return compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)


@pytest.mark.usefixtures("backend")
def test_upgrade_matches_models_and_downgrade_empties(empty_db, registry):
    migrate.upgrade(empty_db, registry)
    assert migrate.is_current(empty_db, registry)
    assert _diff(empty_db) == [], "migrations and models disagree; write a migration"
    tables = set(inspect(empty_db.engine).get_table_names())
    assert {"tenants", "users", "api_keys", "audit_log", "example_notices"} <= tables

    migrate.downgrade(empty_db, registry, "base")
    assert set(inspect(empty_db.engine).get_table_names()) - EXTENSION_TABLES <= {"alembic_version"}
    assert not migrate.is_current(empty_db, registry)
    assert migrate.pending(empty_db, registry) == migrate.heads(empty_db, registry)

    migrate.upgrade(empty_db, registry)  # and up again, cleanly
    assert _diff(empty_db) == []


@pytest.mark.usefixtures("backend")
def test_plugin_branch_downgrades_alone(empty_db, registry):
    migrate.upgrade(empty_db, registry)
    migrate.downgrade(empty_db, registry, "example@base")
    tables = set(inspect(empty_db.engine).get_table_names())
    assert "example_notices" not in tables and "tenants" in tables
    migrate.upgrade(empty_db, registry)
    assert "example_notices" in set(inspect(empty_db.engine).get_table_names())


def test_sqlite_runs_in_wal_mode(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
