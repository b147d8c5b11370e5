"""PostgreSQL: the (datastream_id, phenomenon_time_start) index also covers id, phenomenonTime's end and
the result, so a time range of one Datastream read with ``$select=phenomenonTime,result`` is an
index-only scan instead of one heap page per row (live ingestion spreads a Datastream's rows over the
whole table). SQLite has no INCLUDE: nothing changes there.

Revision ID: sta0004_observation_covering
Revises: sta0003_observation_hours
Create Date: 2026-11-27
"""

from alembic import op

revision = "sta0004_observation_covering"
down_revision = "sta0003_observation_hours"
branch_labels = None
depends_on = None

TABLE = "sta_observations"
INDEX = "ix_sta_observations_datastream_time"


def _recreate(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(
        INDEX, TABLE, ["datastream_id", "phenomenon_time_start"], unique=False, postgresql_include=include
    )


def upgrade() -> None:
    _recreate(["tenant_id", "classification", "id", "phenomenon_time_end", "result"])


def downgrade() -> None:
    _recreate(["tenant_id", "classification"])
