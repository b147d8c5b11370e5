"""Example application: notices table.

Revision ID: ex0001_notices
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "ex0001_notices"
down_revision = None
branch_labels = ("example",)
depends_on = "0001_core"  # notices reference tenants


def upgrade() -> None:
    op.create_table(
        "example_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_example_notices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notices")),
    )
    op.create_index(op.f("ix_example_notices_tenant_id"), "example_notices", ["tenant_id"], unique=False)
    op.create_index(
        op.f("ix_example_notices_classification"), "example_notices", ["classification"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_example_notices_classification"), table_name="example_notices")
    op.drop_index(op.f("ix_example_notices_tenant_id"), table_name="example_notices")
    op.drop_table("example_notices")
