"""SensorThings API 1.1: Things, Locations, HistoricalLocations, Sensors, ObservedProperties,
Datastreams, MultiDatastreams, Observations and FeaturesOfInterest.

Revision ID: sta0001_sensing
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "sta0001_sensing"
down_revision = None
branch_labels = ("sensorthings",)
depends_on = "0001_core"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Spatial $filter functions need PostGIS; create it only if missing (CI installs it beforehand).
        present = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
        if not present:
            op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "sta_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("location", sa.JSON(), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_locations_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_locations")),
    )
    op.create_index(
        op.f("ix_sta_locations_classification"), "sta_locations", ["classification"], unique=False
    )
    op.create_index(op.f("ix_sta_locations_tenant_id"), "sta_locations", ["tenant_id"], unique=False)
    op.create_table(
        "sta_observed_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("definition", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_observed_properties_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_observed_properties")),
    )
    op.create_index(
        op.f("ix_sta_observed_properties_classification"),
        "sta_observed_properties",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_observed_properties_tenant_id"), "sta_observed_properties", ["tenant_id"], unique=False
    )
    op.create_table(
        "sta_sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sta_sensors_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_sensors")),
    )
    op.create_index(op.f("ix_sta_sensors_classification"), "sta_sensors", ["classification"], unique=False)
    op.create_index(op.f("ix_sta_sensors_tenant_id"), "sta_sensors", ["tenant_id"], unique=False)
    op.create_table(
        "sta_things",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sta_things_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_things")),
    )
    op.create_index(op.f("ix_sta_things_classification"), "sta_things", ["classification"], unique=False)
    op.create_index(op.f("ix_sta_things_tenant_id"), "sta_things", ["tenant_id"], unique=False)
    op.create_table(
        "sta_datastreams",
        sa.Column("unit_of_measurement", sa.JSON(), nullable=True),
        sa.Column("thing_id", sa.Integer(), nullable=True),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("observed_property_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observation_type", sa.String(length=200), nullable=False),
        sa.Column("observed_area", sa.JSON(), nullable=True),
        sa.Column("phenomenon_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phenomenon_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sta_observed_properties.id"],
            name=op.f("fk_sta_datastreams_observed_property_id_sta_observed_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sta_sensors.id"],
            name=op.f("fk_sta_datastreams_sensor_id_sta_sensors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_datastreams_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sta_things.id"],
            name=op.f("fk_sta_datastreams_thing_id_sta_things"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_datastreams")),
    )
    op.create_index(
        op.f("ix_sta_datastreams_classification"), "sta_datastreams", ["classification"], unique=False
    )
    op.create_index(
        op.f("ix_sta_datastreams_observed_property_id"),
        "sta_datastreams",
        ["observed_property_id"],
        unique=False,
    )
    op.create_index(op.f("ix_sta_datastreams_sensor_id"), "sta_datastreams", ["sensor_id"], unique=False)
    op.create_index(op.f("ix_sta_datastreams_tenant_id"), "sta_datastreams", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_sta_datastreams_thing_id"), "sta_datastreams", ["thing_id"], unique=False)
    op.create_table(
        "sta_features_of_interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("feature", sa.JSON(), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("source_location_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["sta_locations.id"],
            name=op.f("fk_sta_features_of_interest_source_location_id_sta_locations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_features_of_interest_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_features_of_interest")),
    )
    op.create_index(
        op.f("ix_sta_features_of_interest_classification"),
        "sta_features_of_interest",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_features_of_interest_source_location_id"),
        "sta_features_of_interest",
        ["source_location_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_features_of_interest_tenant_id"), "sta_features_of_interest", ["tenant_id"], unique=False
    )
    op.create_table(
        "sta_historical_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_historical_locations_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sta_things.id"],
            name=op.f("fk_sta_historical_locations_thing_id_sta_things"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_historical_locations")),
    )
    op.create_index(
        op.f("ix_sta_historical_locations_classification"),
        "sta_historical_locations",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_historical_locations_tenant_id"), "sta_historical_locations", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_sta_historical_locations_thing_id"), "sta_historical_locations", ["thing_id"], unique=False
    )
    op.create_table(
        "sta_multi_datastreams",
        sa.Column("unit_of_measurements", sa.JSON(), nullable=True),
        sa.Column("multi_observation_data_types", sa.JSON(), nullable=True),
        sa.Column("thing_id", sa.Integer(), nullable=True),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observation_type", sa.String(length=200), nullable=False),
        sa.Column("observed_area", sa.JSON(), nullable=True),
        sa.Column("phenomenon_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phenomenon_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sta_sensors.id"],
            name=op.f("fk_sta_multi_datastreams_sensor_id_sta_sensors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_multi_datastreams_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sta_things.id"],
            name=op.f("fk_sta_multi_datastreams_thing_id_sta_things"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_multi_datastreams")),
    )
    op.create_index(
        op.f("ix_sta_multi_datastreams_classification"),
        "sta_multi_datastreams",
        ["classification"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_multi_datastreams_sensor_id"), "sta_multi_datastreams", ["sensor_id"], unique=False
    )
    op.create_index(
        op.f("ix_sta_multi_datastreams_tenant_id"), "sta_multi_datastreams", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_sta_multi_datastreams_thing_id"), "sta_multi_datastreams", ["thing_id"], unique=False
    )
    op.create_table(
        "sta_things_locations",
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sta_locations.id"],
            name=op.f("fk_sta_things_locations_location_id_sta_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sta_things.id"],
            name=op.f("fk_sta_things_locations_thing_id_sta_things"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thing_id", "location_id", name=op.f("pk_sta_things_locations")),
    )
    op.create_table(
        "sta_historical_locations_locations",
        sa.Column("historical_location_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["historical_location_id"],
            ["sta_historical_locations.id"],
            name=op.f(
                "fk_sta_historical_locations_locations_historical_location_id_sta_historical_locations"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sta_locations.id"],
            name=op.f("fk_sta_historical_locations_locations_location_id_sta_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "historical_location_id", "location_id", name=op.f("pk_sta_historical_locations_locations")
        ),
    )
    op.create_table(
        "sta_multi_datastreams_observed_properties",
        sa.Column("multi_datastream_id", sa.Integer(), nullable=False),
        sa.Column("observed_property_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["multi_datastream_id"],
            ["sta_multi_datastreams.id"],
            name=op.f(
                "fk_sta_multi_datastreams_observed_properties_multi_datastream_id_sta_multi_datastreams"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sta_observed_properties.id"],
            name=op.f(
                "fk_sta_multi_datastreams_observed_properties_observed_property_id_sta_observed_properties"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "multi_datastream_id",
            "observed_property_id",
            name=op.f("pk_sta_multi_datastreams_observed_properties"),
        ),
    )
    op.create_table(
        "sta_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phenomenon_time_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phenomenon_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_number", sa.Float(), nullable=True),
        sa.Column("result_string", sa.Text(), nullable=True),
        sa.Column("result_quality", sa.JSON(), nullable=True),
        sa.Column("valid_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("datastream_id", sa.Integer(), nullable=True),
        sa.Column("multi_datastream_id", sa.Integer(), nullable=True),
        sa.Column("feature_of_interest_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sta_datastreams.id"],
            name=op.f("fk_sta_observations_datastream_id_sta_datastreams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_of_interest_id"],
            ["sta_features_of_interest.id"],
            name=op.f("fk_sta_observations_feature_of_interest_id_sta_features_of_interest"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["multi_datastream_id"],
            ["sta_multi_datastreams.id"],
            name=op.f("fk_sta_observations_multi_datastream_id_sta_multi_datastreams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sta_observations_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_observations")),
    )
    op.create_index(
        op.f("ix_sta_observations_classification"), "sta_observations", ["classification"], unique=False
    )
    op.create_index(
        "ix_sta_observations_datastream_time",
        "sta_observations",
        ["datastream_id", "phenomenon_time_start"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_observations_feature_of_interest_id"),
        "sta_observations",
        ["feature_of_interest_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sta_observations_multi_datastream_id"),
        "sta_observations",
        ["multi_datastream_id"],
        unique=False,
    )
    op.create_index(op.f("ix_sta_observations_tenant_id"), "sta_observations", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sta_observations_tenant_id"), table_name="sta_observations")
    op.drop_index(op.f("ix_sta_observations_multi_datastream_id"), table_name="sta_observations")
    op.drop_index(op.f("ix_sta_observations_feature_of_interest_id"), table_name="sta_observations")
    op.drop_index("ix_sta_observations_datastream_time", table_name="sta_observations")
    op.drop_index(op.f("ix_sta_observations_classification"), table_name="sta_observations")
    op.drop_table("sta_observations")
    op.drop_table("sta_multi_datastreams_observed_properties")
    op.drop_table("sta_historical_locations_locations")
    op.drop_table("sta_things_locations")
    op.drop_index(op.f("ix_sta_multi_datastreams_thing_id"), table_name="sta_multi_datastreams")
    op.drop_index(op.f("ix_sta_multi_datastreams_tenant_id"), table_name="sta_multi_datastreams")
    op.drop_index(op.f("ix_sta_multi_datastreams_sensor_id"), table_name="sta_multi_datastreams")
    op.drop_index(op.f("ix_sta_multi_datastreams_classification"), table_name="sta_multi_datastreams")
    op.drop_table("sta_multi_datastreams")
    op.drop_index(op.f("ix_sta_historical_locations_thing_id"), table_name="sta_historical_locations")
    op.drop_index(op.f("ix_sta_historical_locations_tenant_id"), table_name="sta_historical_locations")
    op.drop_index(op.f("ix_sta_historical_locations_classification"), table_name="sta_historical_locations")
    op.drop_table("sta_historical_locations")
    op.drop_index(op.f("ix_sta_features_of_interest_tenant_id"), table_name="sta_features_of_interest")
    op.drop_index(
        op.f("ix_sta_features_of_interest_source_location_id"), table_name="sta_features_of_interest"
    )
    op.drop_index(op.f("ix_sta_features_of_interest_classification"), table_name="sta_features_of_interest")
    op.drop_table("sta_features_of_interest")
    op.drop_index(op.f("ix_sta_datastreams_thing_id"), table_name="sta_datastreams")
    op.drop_index(op.f("ix_sta_datastreams_tenant_id"), table_name="sta_datastreams")
    op.drop_index(op.f("ix_sta_datastreams_sensor_id"), table_name="sta_datastreams")
    op.drop_index(op.f("ix_sta_datastreams_observed_property_id"), table_name="sta_datastreams")
    op.drop_index(op.f("ix_sta_datastreams_classification"), table_name="sta_datastreams")
    op.drop_table("sta_datastreams")
    op.drop_index(op.f("ix_sta_things_tenant_id"), table_name="sta_things")
    op.drop_index(op.f("ix_sta_things_classification"), table_name="sta_things")
    op.drop_table("sta_things")
    op.drop_index(op.f("ix_sta_sensors_tenant_id"), table_name="sta_sensors")
    op.drop_index(op.f("ix_sta_sensors_classification"), table_name="sta_sensors")
    op.drop_table("sta_sensors")
    op.drop_index(op.f("ix_sta_observed_properties_tenant_id"), table_name="sta_observed_properties")
    op.drop_index(op.f("ix_sta_observed_properties_classification"), table_name="sta_observed_properties")
    op.drop_table("sta_observed_properties")
    op.drop_index(op.f("ix_sta_locations_tenant_id"), table_name="sta_locations")
    op.drop_index(op.f("ix_sta_locations_classification"), table_name="sta_locations")
    op.drop_table("sta_locations")
