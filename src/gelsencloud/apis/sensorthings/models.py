"""Tables of the SensorThings API 1.1 (Sensing): the eight entity types plus MultiDatastream.

Geometries are stored as GeoJSON (``location``/``feature`` as sent, ``geometry`` as the bare GeoJSON
geometry extracted from it); spatial functions work on ``geometry`` through PostGIS on PostgreSQL and
shapely UDFs on SQLite (see :mod:`gelsencloud.apis.sensorthings.spatial`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp

# Link tables carry no data of their own: both ends are classified records.
things_locations = Table(
    "sta_things_locations",
    Base.metadata,
    Column("thing_id", ForeignKey("sta_things.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("sta_locations.id", ondelete="CASCADE"), primary_key=True),
)
historical_locations_locations = Table(
    "sta_historical_locations_locations",
    Base.metadata,
    Column(
        "historical_location_id",
        ForeignKey("sta_historical_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("location_id", ForeignKey("sta_locations.id", ondelete="CASCADE"), primary_key=True),
)
multi_datastreams_observed_properties = Table(
    "sta_multi_datastreams_observed_properties",
    Base.metadata,
    Column(
        "multi_datastream_id", ForeignKey("sta_multi_datastreams.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "observed_property_id", ForeignKey("sta_observed_properties.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("rank", Integer, nullable=False),
)


def _sample_text(cls, tenant_id: int, classification: str, marker: str, **extra: Any):
    return cls(tenant_id=tenant_id, classification=classification, name=marker, description=marker, **extra)


class Thing(Classified, Base):
    """A physical or virtual object (a weather station, a parking space)."""

    __tablename__ = "sta_things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Thing:
        """Build a Thing carrying ``marker``."""
        return _sample_text(cls, tenant_id, classification, marker)


class Location(Classified, Base):
    """Where Things are: GeoJSON as sent plus the bare geometry for spatial queries."""

    __tablename__ = "sta_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    location: Mapped[Any] = mapped_column(JSON, nullable=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Location:
        """Build a Location carrying ``marker``."""
        point = {"type": "Point", "coordinates": [7.1, 51.5]}
        return _sample_text(
            cls,
            tenant_id,
            classification,
            marker,
            encoding_type="application/geo+json",
            location=point,
            geometry=point,
        )


class HistoricalLocation(Classified, Base):
    """When a Thing was at its Locations."""

    __tablename__ = "sta_historical_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("sta_things.id", ondelete="CASCADE"), index=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> HistoricalLocation:
        """Build a HistoricalLocation carrying ``marker``."""
        from gelsencloud.core.models import utcnow

        return cls(tenant_id=tenant_id, classification=classification, time=utcnow())


class Sensor(Classified, Base):
    """An instrument that observes a property."""

    __tablename__ = "sta_sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    metadata_: Mapped[Any] = mapped_column("metadata", JSON, nullable=True)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Sensor:
        """Build a Sensor carrying ``marker``."""
        return _sample_text(
            cls, tenant_id, classification, marker, encoding_type="text/html", metadata_=marker
        )


class ObservedProperty(Classified, Base):
    """A phenomenon (air temperature, occupancy)."""

    __tablename__ = "sta_observed_properties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    definition: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> ObservedProperty:
        """Build an ObservedProperty carrying ``marker``."""
        return _sample_text(cls, tenant_id, classification, marker, definition=marker)


class _StreamColumns:
    """Columns shared by Datastream and MultiDatastream."""

    # Derived from the Observations on every insert: not a change anyone made, so not audited.
    __audit_ignore__: ClassVar[set[str]] = {
        "phenomenon_time_start",
        "phenomenon_time_end",
        "result_time_start",
        "result_time_end",
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    observation_type: Mapped[str] = mapped_column(String(200), nullable=False)
    observed_area: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    phenomenon_time_start: Mapped[datetime | None] = mapped_column(Timestamp)
    phenomenon_time_end: Mapped[datetime | None] = mapped_column(Timestamp)
    result_time_start: Mapped[datetime | None] = mapped_column(Timestamp)
    result_time_end: Mapped[datetime | None] = mapped_column(Timestamp)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Datastream(_StreamColumns, Classified, Base):
    """Observations of one ObservedProperty by one Sensor on one Thing; tenant and class follow the Thing."""

    __tablename__ = "sta_datastreams"

    unit_of_measurement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("sta_things.id", ondelete="CASCADE"), index=True)
    sensor_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_sensors.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_observed_properties.id", ondelete="CASCADE"), index=True
    )

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Datastream:
        """Build a Datastream carrying ``marker``."""
        return _sample_text(
            cls,
            tenant_id,
            classification,
            marker,
            observation_type=marker,
            unit_of_measurement={"name": marker},
        )


class MultiDatastream(_StreamColumns, Classified, Base):
    """A Datastream whose results are vectors, one component per ObservedProperty."""

    __tablename__ = "sta_multi_datastreams"

    unit_of_measurements: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    multi_observation_data_types: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("sta_things.id", ondelete="CASCADE"), index=True)
    sensor_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_sensors.id", ondelete="CASCADE"), index=True
    )

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> MultiDatastream:
        """Build a MultiDatastream carrying ``marker``."""
        return _sample_text(
            cls, tenant_id, classification, marker, observation_type=marker, unit_of_measurements=[]
        )


class FeatureOfInterest(Classified, Base):
    """The feature an Observation is about; GeoJSON as sent plus the bare geometry."""

    __tablename__ = "sta_features_of_interest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    encoding_type: Mapped[str] = mapped_column(String(100), nullable=False)
    feature: Mapped[Any] = mapped_column(JSON, nullable=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Set when the FoI was made automatically from a Location, so it is reused for later Observations.
    source_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_locations.id", ondelete="SET NULL"), index=True
    )

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> FeatureOfInterest:
        """Build a FeatureOfInterest carrying ``marker``."""
        point = {"type": "Point", "coordinates": [7.1, 51.5]}
        return _sample_text(
            cls,
            tenant_id,
            classification,
            marker,
            encoding_type="application/geo+json",
            feature=point,
            geometry=point,
        )


class Observation(Classified, Base):
    """One measured value; tenant and classification follow its (Multi)Datastream.

    ``result`` keeps the JSON value as sent; ``result_number``/``result_string`` duplicate scalar results
    so that ``$filter=result gt 10`` and ``$orderby=result`` are plain, indexable column comparisons.
    """

    __tablename__ = "sta_observations"
    __table_args__ = (
        # Reads go by Datastream and time. PostgreSQL also keeps tenant and classification in the index,
        # so counts and the classification criterion are answered from the index alone, and id, the end
        # of phenomenonTime and the result, so a time range read with $select=phenomenonTime,result is
        # an index-only scan (migration sta0004).
        # The id is the last key (also sta0004): the tie-breaker of every $orderby follows the last
        # key's direction, so "newest first, $top=1" is one step of a backward walk on both backends.
        Index(
            "ix_sta_observations_datastream_time",
            "datastream_id",
            "phenomenon_time_start",
            "id",
            postgresql_include=["tenant_id", "classification", "phenomenon_time_end", "result"],
        ),
        # Time ranges over all Datastreams: BRIN on PostgreSQL (rows arrive in time order, the index stays
        # tiny); SQLite has no BRIN and gets a B-tree.
        Index("ix_sta_observations_time", "phenomenon_time_start", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phenomenon_time_start: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    phenomenon_time_end: Mapped[datetime | None] = mapped_column(Timestamp)
    result_time: Mapped[datetime | None] = mapped_column(Timestamp)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    result_number: Mapped[float | None] = mapped_column(Float)
    result_string: Mapped[str | None] = mapped_column(Text)
    result_quality: Mapped[Any] = mapped_column(JSON, nullable=True)
    valid_time_start: Mapped[datetime | None] = mapped_column(Timestamp)
    valid_time_end: Mapped[datetime | None] = mapped_column(Timestamp)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    datastream_id: Mapped[int | None] = mapped_column(ForeignKey("sta_datastreams.id", ondelete="CASCADE"))
    multi_datastream_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_multi_datastreams.id", ondelete="CASCADE"), index=True
    )
    feature_of_interest_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_features_of_interest.id", ondelete="CASCADE"), index=True
    )

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Observation:
        """Build an Observation carrying ``marker``."""
        from gelsencloud.core.models import utcnow

        return cls(
            tenant_id=tenant_id,
            classification=classification,
            phenomenon_time_start=utcnow(),
            result=marker,
            result_string=marker,
        )


# Stored aggregates of numeric results per Datastream and UTC hour (see aggregates.py). Not a record of
# its own: a derived cache of its Datastream's Observations, read only through a Datastream the caller
# can see (like the link tables above, it carries no tenant or classification). Database triggers keep
# it current on every write path; ``dirty`` marks hours whose numbers must be recomputed.
observation_hours = Table(
    "sta_observation_hours",
    Base.metadata,
    Column("datastream_id", ForeignKey("sta_datastreams.id", ondelete="CASCADE"), primary_key=True),
    Column("epoch_hour", Integer, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
    Column("total", Float, nullable=False),
    Column("minimum", Float, nullable=True),
    Column("maximum", Float, nullable=True),
    Column("dirty", Boolean, nullable=False, server_default=false()),
    # Partial: only the few dirty hours are in it, so finding them costs nothing.
    Index(
        "ix_sta_observation_hours_dirty", "dirty", sqlite_where=text("dirty"), postgresql_where=text("dirty")
    ),
)
