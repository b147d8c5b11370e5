"""Open data portal: per-dataset, per-day usage counters.

Revision ID: od0002_usage
Revises: od0001_opendata
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "od0002_usage"
down_revision = "od0001_opendata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_usage_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_usage")),
        sa.UniqueConstraint(
            "dataset_id",
            "distribution_id",
            "day",
            "kind",
            name=op.f("uq_opendata_usage_dataset_id"),
        ),
    )
    op.create_index(op.f("ix_opendata_usage_day"), "opendata_usage", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_opendata_usage_day"), table_name="opendata_usage")
    op.drop_table("opendata_usage")
