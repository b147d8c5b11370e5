"""Observation indexes for 10^7–10^8 rows: covering (datastream_id, phenomenon_time_start) and time.

PostgreSQL: the (datastream_id, phenomenon_time_start) index INCLUDEs tenant_id and classification, so
per-Datastream counts and the classification criterion need no table access; phenomenon_time_start
gets a BRIN index. SQLite has neither INCLUDE nor BRIN: the same statements give plain B-trees.

Revision ID: sta0002_observation_indexes
Revises: sta0001_sensing
Create Date: 2026-11-27
"""

from alembic import op

revision = "sta0002_observation_indexes"
down_revision = "sta0001_sensing"
branch_labels = None
depends_on = None

TABLE = "sta_observations"


def upgrade() -> None:
    op.drop_index("ix_sta_observations_datastream_time", table_name=TABLE)
    op.create_index(
        "ix_sta_observations_datastream_time",
        TABLE,
        ["datastream_id", "phenomenon_time_start"],
        unique=False,
        postgresql_include=["tenant_id", "classification"],
    )
    op.create_index(
        "ix_sta_observations_time", TABLE, ["phenomenon_time_start"], unique=False, postgresql_using="brin"
    )


def downgrade() -> None:
    op.drop_index("ix_sta_observations_time", table_name=TABLE)
    op.drop_index("ix_sta_observations_datastream_time", table_name=TABLE)
    op.create_index(
        "ix_sta_observations_datastream_time", TABLE, ["datastream_id", "phenomenon_time_start"], unique=False
    )
