"""Open data portal: datasets, distributions, row store, snapshots.

Revision ID: od0001_opendata
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "od0001_opendata"
down_revision = None
branch_labels = ("opendata",)
depends_on = "0001_core"  # datasets belong to tenants


def upgrade() -> None:
    op.create_table(
        "opendata_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("license_id", sa.String(length=64), nullable=False),
        sa.Column("license_attribution", sa.String(length=300), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("spatial_area", sa.String(length=32), nullable=False),
        sa.Column("accrual_periodicity", sa.String(length=32), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_url", sa.String(length=300), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("issued", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_datasets_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_datasets")),
        sa.UniqueConstraint("identifier", name=op.f("uq_opendata_datasets_identifier")),
        sa.UniqueConstraint("name", name=op.f("uq_opendata_datasets_name")),
    )
    op.create_index(
        op.f("ix_opendata_datasets_classification"), "opendata_datasets", ["classification"], unique=False
    )
    op.create_index(op.f("ix_opendata_datasets_modified"), "opendata_datasets", ["modified"], unique=False)
    op.create_index(op.f("ix_opendata_datasets_tenant_id"), "opendata_datasets", ["tenant_id"], unique=False)
    op.create_table(
        "opendata_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("access_url", sa.String(length=500), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("license_id", sa.String(length=64), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("tabular", sa.Boolean(), nullable=False),
        sa.Column("geo", sa.Boolean(), nullable=False),
        sa.Column("counts_people", sa.Boolean(), nullable=False),
        sa.Column("live_generator", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_distributions_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_distributions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_distributions")),
        sa.UniqueConstraint("identifier", name=op.f("uq_opendata_distributions_identifier")),
    )
    op.create_index(
        op.f("ix_opendata_distributions_classification"),
        "opendata_distributions",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opendata_distributions_dataset_id"), "opendata_distributions", ["dataset_id"], unique=False
    )
    op.create_index(
        op.f("ix_opendata_distributions_tenant_id"), "opendata_distributions", ["tenant_id"], unique=False
    )
    op.create_table(
        "opendata_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rownum", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["opendata_distributions.id"],
            name=op.f("fk_opendata_rows_distribution_id_opendata_distributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_rows_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_rows")),
    )
    op.create_index(
        op.f("ix_opendata_rows_classification"), "opendata_rows", ["classification"], unique=False
    )
    op.create_index(
        "ix_opendata_rows_dist_version_rownum",
        "opendata_rows",
        ["distribution_id", "version", "rownum"],
        unique=False,
    )
    op.create_index(op.f("ix_opendata_rows_tenant_id"), "opendata_rows", ["tenant_id"], unique=False)
    op.create_table(
        "opendata_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["opendata_distributions.id"],
            name=op.f("fk_opendata_snapshots_distribution_id_opendata_distributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_snapshots_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_snapshots")),
    )
    op.create_index(
        op.f("ix_opendata_snapshots_classification"), "opendata_snapshots", ["classification"], unique=False
    )
    op.create_index(
        op.f("ix_opendata_snapshots_distribution_id"), "opendata_snapshots", ["distribution_id"], unique=False
    )
    op.create_index(
        op.f("ix_opendata_snapshots_tenant_id"), "opendata_snapshots", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_opendata_snapshots_tenant_id"), table_name="opendata_snapshots")
    op.drop_index(op.f("ix_opendata_snapshots_distribution_id"), table_name="opendata_snapshots")
    op.drop_index(op.f("ix_opendata_snapshots_classification"), table_name="opendata_snapshots")
    op.drop_table("opendata_snapshots")
    op.drop_index(op.f("ix_opendata_rows_tenant_id"), table_name="opendata_rows")
    op.drop_index("ix_opendata_rows_dist_version_rownum", table_name="opendata_rows")
    op.drop_index(op.f("ix_opendata_rows_classification"), table_name="opendata_rows")
    op.drop_table("opendata_rows")
    op.drop_index(op.f("ix_opendata_distributions_tenant_id"), table_name="opendata_distributions")
    op.drop_index(op.f("ix_opendata_distributions_dataset_id"), table_name="opendata_distributions")
    op.drop_index(op.f("ix_opendata_distributions_classification"), table_name="opendata_distributions")
    op.drop_table("opendata_distributions")
    op.drop_index(op.f("ix_opendata_datasets_tenant_id"), table_name="opendata_datasets")
    op.drop_index(op.f("ix_opendata_datasets_modified"), table_name="opendata_datasets")
    op.drop_index(op.f("ix_opendata_datasets_classification"), table_name="opendata_datasets")
    op.drop_table("opendata_datasets")
