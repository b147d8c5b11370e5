"""GE-meldet: services, reports, contacts, notes, photos, subscriptions.

Revision ID: mm0001_initial
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "mm0001_initial"
down_revision = None
branch_labels = ("maengelmelder",)
depends_on = "0001_core"  # every table references tenants


def upgrade() -> None:
    op.create_table(
        "mm_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("service_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("address_id", sa.String(length=100), nullable=False),
        sa.Column("zipcode", sa.String(length=10), nullable=False),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("quarter_code", sa.String(length=32), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("agency_responsible", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column("moderation", sa.String(length=16), nullable=False),
        sa.Column("moderation_reason", sa.String(length=300), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["mm_reports.id"],
            name=op.f("fk_mm_reports_duplicate_of_id_mm_reports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_mm_reports_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_reports")),
        sa.UniqueConstraint("token", name=op.f("uq_mm_reports_token")),
    )
    op.create_index(op.f("ix_mm_reports_classification"), "mm_reports", ["classification"], unique=False)
    op.create_index(op.f("ix_mm_reports_department"), "mm_reports", ["department"], unique=False)
    op.create_index(op.f("ix_mm_reports_district_code"), "mm_reports", ["district_code"], unique=False)
    op.create_index(op.f("ix_mm_reports_requested_at"), "mm_reports", ["requested_at"], unique=False)
    op.create_index(op.f("ix_mm_reports_service_code"), "mm_reports", ["service_code"], unique=False)
    op.create_index(op.f("ix_mm_reports_status"), "mm_reports", ["status"], unique=False)
    op.create_index(op.f("ix_mm_reports_tenant_id"), "mm_reports", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_mm_reports_updated_at"), "mm_reports", ["updated_at"], unique=False)
    op.create_table(
        "mm_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.String(length=300), nullable=False),
        sa.Column("service_type", sa.String(length=16), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("sla_days", sa.Integer(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Integer(), nullable=False),
        sa.Column("duplicate_days", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_mm_services_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_services")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_mm_services_tenant_id")),
    )
    op.create_index(op.f("ix_mm_services_classification"), "mm_services", ["classification"], unique=False)
    op.create_index(op.f("ix_mm_services_tenant_id"), "mm_services", ["tenant_id"], unique=False)
    op.create_table(
        "mm_report_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["mm_reports.id"],
            name=op.f("fk_mm_report_contacts_report_id_mm_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mm_report_contacts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_report_contacts")),
    )
    op.create_index(
        op.f("ix_mm_report_contacts_classification"), "mm_report_contacts", ["classification"], unique=False
    )
    op.create_index(
        op.f("ix_mm_report_contacts_created_at"), "mm_report_contacts", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_mm_report_contacts_email"), "mm_report_contacts", ["email"], unique=False)
    op.create_index(op.f("ix_mm_report_contacts_ip_hash"), "mm_report_contacts", ["ip_hash"], unique=False)
    op.create_index(
        op.f("ix_mm_report_contacts_report_id"), "mm_report_contacts", ["report_id"], unique=False
    )
    op.create_index(
        op.f("ix_mm_report_contacts_tenant_id"), "mm_report_contacts", ["tenant_id"], unique=False
    )
    op.create_table(
        "mm_report_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["mm_reports.id"],
            name=op.f("fk_mm_report_notes_report_id_mm_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mm_report_notes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_report_notes")),
    )
    op.create_index(
        op.f("ix_mm_report_notes_classification"), "mm_report_notes", ["classification"], unique=False
    )
    op.create_index(op.f("ix_mm_report_notes_report_id"), "mm_report_notes", ["report_id"], unique=False)
    op.create_index(op.f("ix_mm_report_notes_tenant_id"), "mm_report_notes", ["tenant_id"], unique=False)
    op.create_table(
        "mm_report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["mm_reports.id"],
            name=op.f("fk_mm_report_photos_report_id_mm_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mm_report_photos_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_report_photos")),
    )
    op.create_index(
        op.f("ix_mm_report_photos_classification"), "mm_report_photos", ["classification"], unique=False
    )
    op.create_index(op.f("ix_mm_report_photos_report_id"), "mm_report_photos", ["report_id"], unique=False)
    op.create_index(op.f("ix_mm_report_photos_tenant_id"), "mm_report_photos", ["tenant_id"], unique=False)
    op.create_table(
        "mm_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["mm_reports.id"],
            name=op.f("fk_mm_subscriptions_report_id_mm_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mm_subscriptions_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_mm_subscriptions_token")),
    )
    op.create_index(
        op.f("ix_mm_subscriptions_classification"), "mm_subscriptions", ["classification"], unique=False
    )
    op.create_index(op.f("ix_mm_subscriptions_report_id"), "mm_subscriptions", ["report_id"], unique=False)
    op.create_index(op.f("ix_mm_subscriptions_tenant_id"), "mm_subscriptions", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mm_subscriptions_tenant_id"), table_name="mm_subscriptions")
    op.drop_index(op.f("ix_mm_subscriptions_report_id"), table_name="mm_subscriptions")
    op.drop_index(op.f("ix_mm_subscriptions_classification"), table_name="mm_subscriptions")
    op.drop_table("mm_subscriptions")
    op.drop_index(op.f("ix_mm_report_photos_tenant_id"), table_name="mm_report_photos")
    op.drop_index(op.f("ix_mm_report_photos_report_id"), table_name="mm_report_photos")
    op.drop_index(op.f("ix_mm_report_photos_classification"), table_name="mm_report_photos")
    op.drop_table("mm_report_photos")
    op.drop_index(op.f("ix_mm_report_notes_tenant_id"), table_name="mm_report_notes")
    op.drop_index(op.f("ix_mm_report_notes_report_id"), table_name="mm_report_notes")
    op.drop_index(op.f("ix_mm_report_notes_classification"), table_name="mm_report_notes")
    op.drop_table("mm_report_notes")
    op.drop_index(op.f("ix_mm_report_contacts_tenant_id"), table_name="mm_report_contacts")
    op.drop_index(op.f("ix_mm_report_contacts_report_id"), table_name="mm_report_contacts")
    op.drop_index(op.f("ix_mm_report_contacts_ip_hash"), table_name="mm_report_contacts")
    op.drop_index(op.f("ix_mm_report_contacts_email"), table_name="mm_report_contacts")
    op.drop_index(op.f("ix_mm_report_contacts_created_at"), table_name="mm_report_contacts")
    op.drop_index(op.f("ix_mm_report_contacts_classification"), table_name="mm_report_contacts")
    op.drop_table("mm_report_contacts")
    op.drop_index(op.f("ix_mm_services_tenant_id"), table_name="mm_services")
    op.drop_index(op.f("ix_mm_services_classification"), table_name="mm_services")
    op.drop_table("mm_services")
    op.drop_index(op.f("ix_mm_reports_updated_at"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_tenant_id"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_status"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_service_code"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_requested_at"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_district_code"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_department"), table_name="mm_reports")
    op.drop_index(op.f("ix_mm_reports_classification"), table_name="mm_reports")
    op.drop_table("mm_reports")
