"""Strategy cockpit: measures, KPIs, values, targets, findings, evaluation.

Revision ID: ck0001_cockpit
Revises:
Create Date: 2026-11-27 14:53:33.648683
"""

import sqlalchemy as sa
from alembic import op

revision = "ck0001_cockpit"
down_revision = None
branch_labels = ("cockpit",)
depends_on = "0001_core"  # measures and KPIs reference tenants


def upgrade() -> None:
    op.create_table(
        "cockpit_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_de", sa.String(length=200), nullable=False),
        sa.Column("description_de", sa.Text(), nullable=False),
        sa.Column("min_points", sa.Integer(), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_criteria_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_criteria")),
        sa.UniqueConstraint("key", name="uq_cockpit_criteria_key"),
    )
    with op.batch_alter_table("cockpit_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_criteria_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_criteria_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message_de", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_findings_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_findings")),
        sa.UniqueConstraint("key", name="uq_cockpit_findings_key"),
    )
    with op.batch_alter_table("cockpit_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_findings_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_findings_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_kpi_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_code", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value_upper", sa.Float(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_kpi_targets_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_kpi_targets")),
    )
    with op.batch_alter_table("cockpit_kpi_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_kpi_targets_classification"), ["classification"], unique=False
        )
        batch_op.create_index("ix_cockpit_kpi_targets_kpi_year", ["kpi_code", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_cockpit_kpi_targets_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_kpi_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_code", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("data_quality", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_kpi_values_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_kpi_values")),
    )
    with op.batch_alter_table("cockpit_kpi_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_kpi_values_classification"), ["classification"], unique=False
        )
        batch_op.create_index("ix_cockpit_kpi_values_kpi_period", ["kpi_code", "period_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_cockpit_kpi_values_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_kpis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_de", sa.Text(), nullable=False),
        sa.Column("leitthema", sa.String(length=200), nullable=False),
        sa.Column("handlungsfeld", sa.String(length=200), nullable=False),
        sa.Column("definition_de", sa.Text(), nullable=False),
        sa.Column("numerator", sa.Text(), nullable=False),
        sa.Column("denominator", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("normalisation", sa.String(length=200), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("data_source", sa.Text(), nullable=False),
        sa.Column("frameworks", sa.JSON(), nullable=False),
        sa.Column("also_listed_as", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("spatial", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cockpit_kpis_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_kpis")),
        sa.UniqueConstraint("code", name="uq_cockpit_kpis_code"),
    )
    with op.batch_alter_table("cockpit_kpis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cockpit_kpis_classification"), ["classification"], unique=False)
        batch_op.create_index(batch_op.f("ix_cockpit_kpis_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_measure_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_number", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_measure_changes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_measure_changes")),
    )
    with op.batch_alter_table("cockpit_measure_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_measure_changes_classification"), ["classification"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cockpit_measure_changes_measure_number"), ["measure_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_measure_changes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_measure_kpis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_number", sa.String(length=32), nullable=False),
        sa.Column("kpi_code", sa.String(length=100), nullable=False),
        sa.Column("expected_contribution", sa.Text(), nullable=False),
        sa.Column("expected_delta", sa.Float(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_measure_kpis_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_measure_kpis")),
        sa.UniqueConstraint("measure_number", "kpi_code", name="uq_cockpit_measure_kpis_measure_number"),
    )
    with op.batch_alter_table("cockpit_measure_kpis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_measure_kpis_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_measure_kpis_kpi_code"), ["kpi_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_cockpit_measure_kpis_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_measure_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_number", sa.String(length=32), nullable=False),
        sa.Column("criterion_key", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("scored_by", sa.String(length=200), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_measure_scores_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_measure_scores")),
        sa.UniqueConstraint(
            "measure_number", "criterion_key", name="uq_cockpit_measure_scores_measure_number"
        ),
    )
    with op.batch_alter_table("cockpit_measure_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_measure_scores_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_measure_scores_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "cockpit_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("leitthema", sa.String(length=16), nullable=False),
        sa.Column("leitthema_title", sa.String(length=200), nullable=False),
        sa.Column("handlungsfeld", sa.String(length=16), nullable=False),
        sa.Column("handlungsfeld_title", sa.String(length=200), nullable=False),
        sa.Column("period_text", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("financing", sa.Text(), nullable=False),
        sa.Column("sdgs", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("responsible_unit", sa.String(length=200), nullable=False),
        sa.Column("platform_module", sa.String(length=100), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cockpit_measures_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_measures")),
        sa.UniqueConstraint("number", name="uq_cockpit_measures_number"),
    )
    with op.batch_alter_table("cockpit_measures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cockpit_measures_classification"), ["classification"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cockpit_measures_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes on both backends.
    op.drop_table("cockpit_measures")
    op.drop_table("cockpit_measure_scores")
    op.drop_table("cockpit_measure_kpis")
    op.drop_table("cockpit_measure_changes")
    op.drop_table("cockpit_kpis")
    op.drop_table("cockpit_kpi_values")
    op.drop_table("cockpit_kpi_targets")
    op.drop_table("cockpit_findings")
    op.drop_table("cockpit_criteria")
