"""Alembic environment: one history for SQLite and PostgreSQL, core plus plugin branches."""

from alembic import context

from gelsencloud.core.db import Base
from gelsencloud.core.migrate import include_object

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the connection handed over by gelsencloud.core.migrate."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
