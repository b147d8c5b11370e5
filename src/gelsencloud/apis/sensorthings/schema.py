"""The STA 1.1 entity model: which JSON property maps to which column, and how entities relate."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Table

from gelsencloud.apis.sensorthings import models as m


@dataclass(frozen=True)
class Prop:
    """One JSON property of an entity.

    ``kind`` is text, json, time (one Timestamp), interval (``attr`` + ``end_attr``), geo (GeoJSON kept in
    ``attr``, bare geometry in ``geometry``) or result (JSON plus number/string shadow columns).
    """

    name: str
    attr: str
    kind: str = "text"
    end_attr: str | None = None
    required: bool = False
    read_only: bool = False


@dataclass(frozen=True)
class Nav:
    """A navigation property: to-one through ``fk`` on the source, to-many through ``back_fk`` on the
    target or through a link table ``link`` (with its source and target column names)."""

    name: str
    target: str
    many: bool
    fk: str | None = None
    back_fk: str | None = None
    link: Table | None = None
    link_source: str | None = None
    link_target: str | None = None
    required: bool = False


@dataclass(frozen=True)
class EntityType:
    """One entity type with its entity set name, table, properties and navigation properties."""

    name: str
    set_name: str
    model: type
    props: dict[str, Prop]
    navs: dict[str, Nav] = field(default_factory=dict)


def _props(*items: Prop) -> dict[str, Prop]:
    return {p.name: p for p in items}


def _navs(*items: Nav) -> dict[str, Nav]:
    return {n.name: n for n in items}


NAME = Prop("name", "name", required=True)
DESCRIPTION = Prop("description", "description", required=True)
ENCODING = Prop("encodingType", "encoding_type", required=True)
PROPERTIES = Prop("properties", "properties", "json")
TL, HL, MO = m.things_locations, m.historical_locations_locations, m.multi_datastreams_observed_properties

_STREAM_PROPS = (
    NAME,
    DESCRIPTION,
    Prop("observationType", "observation_type", required=True),
    Prop("observedArea", "observed_area", "geo", read_only=True),
    Prop("phenomenonTime", "phenomenon_time_start", "interval", "phenomenon_time_end", read_only=True),
    Prop("resultTime", "result_time_start", "interval", "result_time_end", read_only=True),
    PROPERTIES,
)

ENTITY_TYPES: dict[str, EntityType] = {
    e.name: e
    for e in (
        EntityType(
            "Thing",
            "Things",
            m.Thing,
            _props(NAME, DESCRIPTION, PROPERTIES),
            _navs(
                Nav(
                    "Locations", "Location", True, link=TL, link_source="thing_id", link_target="location_id"
                ),
                Nav("HistoricalLocations", "HistoricalLocation", True, back_fk="thing_id"),
                Nav("Datastreams", "Datastream", True, back_fk="thing_id"),
                Nav("MultiDatastreams", "MultiDatastream", True, back_fk="thing_id"),
            ),
        ),
        EntityType(
            "Location",
            "Locations",
            m.Location,
            _props(
                NAME, DESCRIPTION, ENCODING, Prop("location", "location", "geo", required=True), PROPERTIES
            ),
            _navs(
                Nav("Things", "Thing", True, link=TL, link_source="location_id", link_target="thing_id"),
                Nav(
                    "HistoricalLocations",
                    "HistoricalLocation",
                    True,
                    link=HL,
                    link_source="location_id",
                    link_target="historical_location_id",
                ),
            ),
        ),
        EntityType(
            "HistoricalLocation",
            "HistoricalLocations",
            m.HistoricalLocation,
            _props(Prop("time", "time", "time", required=True)),
            _navs(
                Nav("Thing", "Thing", False, fk="thing_id", required=True),
                Nav(
                    "Locations",
                    "Location",
                    True,
                    link=HL,
                    link_source="historical_location_id",
                    link_target="location_id",
                ),
            ),
        ),
        EntityType(
            "Sensor",
            "Sensors",
            m.Sensor,
            _props(
                NAME, DESCRIPTION, ENCODING, Prop("metadata", "metadata_", "json", required=True), PROPERTIES
            ),
            _navs(
                Nav("Datastreams", "Datastream", True, back_fk="sensor_id"),
                Nav("MultiDatastreams", "MultiDatastream", True, back_fk="sensor_id"),
            ),
        ),
        EntityType(
            "ObservedProperty",
            "ObservedProperties",
            m.ObservedProperty,
            _props(NAME, Prop("definition", "definition", required=True), DESCRIPTION, PROPERTIES),
            _navs(
                Nav("Datastreams", "Datastream", True, back_fk="observed_property_id"),
                Nav(
                    "MultiDatastreams",
                    "MultiDatastream",
                    True,
                    link=MO,
                    link_source="observed_property_id",
                    link_target="multi_datastream_id",
                ),
            ),
        ),
        EntityType(
            "Datastream",
            "Datastreams",
            m.Datastream,
            _props(*_STREAM_PROPS, Prop("unitOfMeasurement", "unit_of_measurement", "json", required=True)),
            _navs(
                Nav("Thing", "Thing", False, fk="thing_id", required=True),
                Nav("Sensor", "Sensor", False, fk="sensor_id", required=True),
                Nav("ObservedProperty", "ObservedProperty", False, fk="observed_property_id", required=True),
                Nav("Observations", "Observation", True, back_fk="datastream_id"),
            ),
        ),
        EntityType(
            "MultiDatastream",
            "MultiDatastreams",
            m.MultiDatastream,
            _props(
                *_STREAM_PROPS,
                Prop("unitOfMeasurements", "unit_of_measurements", "json", required=True),
                Prop("multiObservationDataTypes", "multi_observation_data_types", "json", required=True),
            ),
            _navs(
                Nav("Thing", "Thing", False, fk="thing_id", required=True),
                Nav("Sensor", "Sensor", False, fk="sensor_id", required=True),
                Nav(
                    "ObservedProperties",
                    "ObservedProperty",
                    True,
                    link=MO,
                    link_source="multi_datastream_id",
                    link_target="observed_property_id",
                    required=True,
                ),
                Nav("Observations", "Observation", True, back_fk="multi_datastream_id"),
            ),
        ),
        EntityType(
            "Observation",
            "Observations",
            m.Observation,
            _props(
                Prop("phenomenonTime", "phenomenon_time_start", "interval", "phenomenon_time_end"),
                Prop("resultTime", "result_time", "time"),
                Prop("result", "result", "result", required=True),
                Prop("resultQuality", "result_quality", "json"),
                Prop("validTime", "valid_time_start", "interval", "valid_time_end"),
                Prop("parameters", "parameters", "json"),
            ),
            _navs(
                Nav("Datastream", "Datastream", False, fk="datastream_id"),
                Nav("MultiDatastream", "MultiDatastream", False, fk="multi_datastream_id"),
                Nav("FeatureOfInterest", "FeatureOfInterest", False, fk="feature_of_interest_id"),
            ),
        ),
        EntityType(
            "FeatureOfInterest",
            "FeaturesOfInterest",
            m.FeatureOfInterest,
            _props(NAME, DESCRIPTION, ENCODING, Prop("feature", "feature", "geo", required=True), PROPERTIES),
            _navs(Nav("Observations", "Observation", True, back_fk="feature_of_interest_id")),
        ),
    )
}

BY_SET: dict[str, EntityType] = {e.set_name: e for e in ENTITY_TYPES.values()}


def entity_type(name: str) -> EntityType:
    """Return an entity type by its type name (``Thing``)."""
    return ENTITY_TYPES[name]


def inverse(nav: Nav, source: EntityType) -> Nav | None:
    """Return the navigation property of ``nav.target`` that leads back to ``source``."""
    target = ENTITY_TYPES[nav.target]
    for candidate in target.navs.values():
        if candidate.target != source.name:
            continue
        if nav.link is not None and candidate.link is nav.link:
            return candidate
        if nav.back_fk and candidate.fk == nav.back_fk:
            return candidate
        if nav.fk and candidate.back_fk == nav.fk:
            return candidate
    return None
