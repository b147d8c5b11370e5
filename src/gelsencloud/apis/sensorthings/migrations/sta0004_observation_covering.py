"""The (datastream_id, phenomenon_time_start) index gets the id as its last key and, on PostgreSQL,
covers phenomenonTime's end and the result.

Covering: a time range of one Datastream read with ``$select=phenomenonTime,result`` is an index-only
scan instead of one heap page per row (live ingestion spreads a Datastream's rows over the whole table).
The id as last key: sorting always ends with the id (deterministic pages), in the direction of the last
$orderby key; with the id only an INCLUDE column, PostgreSQL answered ``$orderby=phenomenonTime desc;
$top=1`` per Datastream with an incremental sort that read a first group of 32 rows to return one. SQLite
indexes already end with the rowid (the id) and have no INCLUDE: the explicit key changes nothing there
but keeps the schema equal to the models.

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
    _recreate(["datastream_id", "phenomenon_time_start"], ["tenant_id", "classification"])
