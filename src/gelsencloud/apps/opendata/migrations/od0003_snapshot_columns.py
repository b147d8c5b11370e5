"""Open data portal: typed tables per distribution version; snapshots remember their columns.

The typed tables (``odt_<distribution>_v<version>``) are created at import time by
``tables.py``; this revision only records each snapshot's columns, and its downgrade drops any
typed tables so the branch leaves nothing behind.

Revision ID: od0003_snapshot_columns
Revises: od0002_usage
Create Date: 2026-11-27
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "od0003_snapshot_columns"
down_revision = "od0002_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("opendata_snapshots", sa.Column("columns", sa.JSON(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    for name in sa.inspect(bind).get_table_names():
        if re.fullmatch(r"odt_\d+_v\d+", name):
            op.drop_table(name)
    with op.batch_alter_table("opendata_snapshots") as batch:
        batch.drop_column("columns")
