"""Sensor hub: count changes to what the webhook batcher reads before it writes.

The webhook batcher reads devices, Datastreams and the Things' Features of Interest before it takes the
writer lock, and keeps them across batches (``service.RegistrySnapshot``); ``service.write_uplinks``
compares this count to detect a change in between. Triggers count on every write path: devices (except
their link state), the tenant, classification or Thing of a Datastream or its deletion, a Thing's
Locations, and Features of Interest. Statement-level on PostgreSQL, so a cascade bumps the count once.

Revision ID: hub0002_registry_version
Revises: hub0001_devices
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "hub0002_registry_version"
down_revision = "hub0001_devices"
branch_labels = None
depends_on = None

TABLE = "sensorhub_registry_version"
# The device columns a prepared batch depends on (not last_seen_at, last_f_cnt, last_rssi, last_snr,
# battery: the link state each batch writes itself).
DEVICE_COLUMNS = (
    "dev_eui, tenant_id, classification, data_classification, active, decoder, datastreams, thing_id"
)
STREAM_COLUMNS = "tenant_id, classification, thing_id"
BUMP = f"UPDATE {TABLE} SET version = version + 1"
# (name, event, table)
TRIGGERS = (
    ("devices_insert", "INSERT", "sensorhub_devices"),
    ("devices_delete", "DELETE", "sensorhub_devices"),
    ("devices_update", f"UPDATE OF {DEVICE_COLUMNS}", "sensorhub_devices"),
    ("datastreams_delete", "DELETE", "sta_datastreams"),
    ("datastreams_update", f"UPDATE OF {STREAM_COLUMNS}", "sta_datastreams"),
    ("things_locations_insert", "INSERT", "sta_things_locations"),
    ("things_locations_delete", "DELETE", "sta_things_locations"),
    ("features_insert", "INSERT", "sta_features_of_interest"),
    ("features_delete", "DELETE", "sta_features_of_interest"),
    ("features_update", "UPDATE OF source_location_id", "sta_features_of_interest"),
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensorhub_registry_version")),
    )
    op.execute(f"INSERT INTO {TABLE} (id, version) VALUES (1, 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION sensorhub_registry_bump() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for name, event, table in TRIGGERS:
        if postgres:
            op.execute(
                f"CREATE TRIGGER sensorhub_registry_{name} AFTER {event} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sensorhub_registry_bump()"
            )
        else:
            op.execute(f"CREATE TRIGGER sensorhub_registry_{name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _event, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS sensorhub_registry_{name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS sensorhub_registry_bump()")
    op.drop_table(TABLE)
