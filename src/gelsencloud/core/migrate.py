"""Schema migrations through Alembic, for the core and every plugin branch."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from gelsencloud.core.db import Database
from gelsencloud.core.plugins import PluginRegistry

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Tables that extensions create (PostGIS) are not ours to migrate.
EXTENSION_TABLES = frozenset(
    {"spatial_ref_sys", "geometry_columns", "geography_columns", "raster_columns", "raster_overviews"}
)


# SQLite FTS5 virtual tables ("<name>_fts") and their shadow tables are created by migrations, not models.
FTS_TABLE = re.compile(r".+_fts(_(data|idx|content|docsize|config))?")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave extension-owned tables and SQLite full-text tables out of autogenerate comparisons."""
    if type_ == "table" and reflected and compare_to is None:
        return not (name in EXTENSION_TABLES or FTS_TABLE.fullmatch(name))
    return True


def alembic_config(db: Database, registry: PluginRegistry) -> Config:
    """Build an Alembic config whose version locations are the core's and the plugins'."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions", *registry.migration_folders()]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["db"] = db
    return cfg


def _run(db: Database, registry: PluginRegistry, fn, *args) -> None:
    cfg = alembic_config(db, registry)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        fn(cfg, *args)


def upgrade(db: Database, registry: PluginRegistry, target: str = "heads") -> None:
    """Upgrade the schema (all branches by default)."""
    _run(db, registry, command.upgrade, target)


def downgrade(db: Database, registry: PluginRegistry, target: str = "base") -> None:
    """Downgrade the schema (to an empty database by default)."""
    _run(db, registry, command.downgrade, target)


def current(db: Database) -> set[str]:
    """Return the revisions the database is at."""
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def heads(db: Database, registry: PluginRegistry) -> set[str]:
    """Return the newest revisions of all branches."""
    return set(ScriptDirectory.from_config(alembic_config(db, registry)).get_heads())


def pending(db: Database, registry: PluginRegistry) -> set[str]:
    """Return the branch heads the database has not reached yet."""
    script = ScriptDirectory.from_config(alembic_config(db, registry))
    revs = current(db)
    # Alembic stores only the newest revision when one branch depends on another, so the
    # database is current when every head is one of its revisions or their ancestors.
    reached = {r.revision for r in script.iterate_revisions(tuple(revs), "base")} if revs else set()
    return set(script.get_heads()) - reached


def is_current(db: Database, registry: PluginRegistry) -> bool:
    """Tell whether the database schema is at the newest revision of every branch."""
    return not pending(db, registry)
