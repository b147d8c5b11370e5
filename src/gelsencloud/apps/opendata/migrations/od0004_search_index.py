"""Open data portal: indexed catalogue search (search text per dataset, facet rows), with backfill.

On PostgreSQL the search text gets a pg_trgm GIN index (pg_trgm is a trusted extension since
PostgreSQL 13: the database owner may create it); on SQLite that index is partial on a false
condition and stays empty, and an FTS5 trigram table over the search text (external content, kept
by triggers) does the job. The backfill indexes every existing dataset.

Revision ID: od0004_search_index
Revises: od0003_snapshot_columns
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "od0004_search_index"
down_revision = "od0003_snapshot_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # the server default fills existing rows (the backfill below writes their text)
    op.add_column("opendata_datasets", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.create_index(
        "ix_opendata_datasets_classification_modified",
        "opendata_datasets",
        ["classification", "modified"],
        unique=False,
    )
    op.create_index(
        "ix_opendata_distributions_dataset_id_classification",
        "opendata_distributions",
        ["dataset_id", "classification"],
        unique=False,
    )
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_opendata_datasets_search_text",
        "opendata_datasets",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
        sqlite_where=sa.text("0"),
    )
    op.create_table(
        "opendata_facets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_facets_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_facets_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_facets")),
    )
    op.create_index(
        "ix_opendata_facets_classification_facet_value",
        "opendata_facets",
        ["classification", "facet", "value"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opendata_facets_classification"), "opendata_facets", ["classification"], unique=False
    )
    op.create_index(
        "ix_opendata_facets_dataset_id_facet_value",
        "opendata_facets",
        ["dataset_id", "facet", "value"],
        unique=False,
    )
    op.create_index(op.f("ix_opendata_facets_tenant_id"), "opendata_facets", ["tenant_id"], unique=False)

    op.create_table(
        "opendata_facet_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_opendata_facet_counts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_facet_counts")),
        sa.UniqueConstraint(
            "tenant_id", "classification", "facet", "value", name=op.f("uq_opendata_facet_counts_tenant_id")
        ),
    )
    op.create_index(
        op.f("ix_opendata_facet_counts_classification"),
        "opendata_facet_counts",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opendata_facet_counts_tenant_id"), "opendata_facet_counts", ["tenant_id"], unique=False
    )

    from gelsencloud.apps.opendata import search_index

    search_index.rebuild(bind)
    if bind.dialect.name == "sqlite":
        # after the backfill: its UPDATEs must not reach the triggers (an FTS5 'delete' of text
        # that was never indexed corrupts the index); 'rebuild' then indexes every row once
        for statement in search_index.SQLITE_FTS_DDL:
            op.execute(statement)
        op.execute(f"INSERT INTO {search_index.FTS}({search_index.FTS}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        from gelsencloud.apps.opendata import search_index

        for trigger in search_index.SQLITE_FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {search_index.FTS}")
    op.drop_index(op.f("ix_opendata_facet_counts_tenant_id"), table_name="opendata_facet_counts")
    op.drop_index(op.f("ix_opendata_facet_counts_classification"), table_name="opendata_facet_counts")
    op.drop_table("opendata_facet_counts")
    op.drop_index(op.f("ix_opendata_facets_tenant_id"), table_name="opendata_facets")
    op.drop_index("ix_opendata_facets_dataset_id_facet_value", table_name="opendata_facets")
    op.drop_index(op.f("ix_opendata_facets_classification"), table_name="opendata_facets")
    op.drop_index("ix_opendata_facets_classification_facet_value", table_name="opendata_facets")
    op.drop_table("opendata_facets")
    op.drop_index("ix_opendata_datasets_search_text", table_name="opendata_datasets")
    op.drop_index("ix_opendata_datasets_classification_modified", table_name="opendata_datasets")
    op.drop_index("ix_opendata_distributions_dataset_id_classification", table_name="opendata_distributions")
    if op.get_bind().dialect.name == "sqlite":
        # not batch mode: recreating opendata_datasets would DROP it, and with foreign keys on that
        # deletes every distribution through ON DELETE CASCADE; SQLite >= 3.35 drops columns itself
        op.execute("ALTER TABLE opendata_datasets DROP COLUMN search_text")
    else:
        op.drop_column("opendata_datasets", "search_text")
