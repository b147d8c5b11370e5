"""The (datastream_id, phenomenon_time_start) index gets the id as its last key.

Sorting always ends with the id (deterministic pages), in the direction of the last $orderby key.
With the id only an INCLUDE column, PostgreSQL answered ``$orderby=phenomenonTime desc;$top=1`` per
Datastream with an incremental sort that read a first group of 32 rows (with heap fetches) to return
one; with the id as a key the backward index walk stops after the first row. SQLite indexes already end
with the rowid (the id), so the explicit key changes nothing there but keeps the schema equal to the
models.

Revision ID: sta0005_observation_order_key
Revises: sta0004_observation_covering
Create Date: 2026-11-27
"""

from alembic import op

revision = "sta0005_observation_order_key"
down_revision = "sta0004_observation_covering"
branch_labels = None
depends_on = None

TABLE = "sta_observations"
INDEX = "ix_sta_observations_datastream_time"


def _recreate(columns: list[str], include: list[str]) -> None:
    op.drop_index(INDEX, table_name=TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(INDEX, TABLE, columns, unique=False, postgresql_include=include)
    else:
        op.create_index(INDEX, TABLE, columns, unique=False)


def upgrade() -> None:
    _recreate(
        ["datastream_id", "phenomenon_time_start", "id"],
        ["tenant_id", "classification", "phenomenon_time_end", "result"],
    )


def downgrade() -> None:
    _recreate(
        ["datastream_id", "phenomenon_time_start"],
        ["tenant_id", "classification", "id", "phenomenon_time_end", "result"],
    )
