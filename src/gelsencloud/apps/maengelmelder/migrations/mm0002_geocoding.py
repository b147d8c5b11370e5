"""GE-meldet: where a report's location and address came from (geocoding); Open311 query index.

Revision ID: mm0002_geocoding
Revises: mm0001_initial
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "mm0002_geocoding"
down_revision = "mm0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mm_reports") as batch:
        batch.add_column(
            sa.Column("location_source", sa.String(length=16), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("address_source", sa.String(length=16), server_default="", nullable=False))

    op.create_index(
        "ix_mm_reports_open311",
        "mm_reports",
        ["tenant_id", "classification", "requested_at", "id", "lon", "lat", "service_code", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_mm_reports_open311", table_name="mm_reports")
    with op.batch_alter_table("mm_reports") as batch:
        batch.drop_column("address_source")
        batch.drop_column("location_source")
