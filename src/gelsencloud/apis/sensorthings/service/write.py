"""Create (with deep insert and links), update (merge, replace, JSON Patch) and delete STA entities.

Tenancy: Datastreams, MultiDatastreams and HistoricalLocations take tenant and classification from their
Thing, Observations from their (Multi)Datastream; other entities belong to the caller's tenant and are
``internal`` unless the body says ``"@gelsencloud.classification": "public"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shapely.geometry import shape
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings.aggregates import refresh_dirty
from gelsencloud.apis.sensorthings.errors import bad_request
from gelsencloud.apis.sensorthings.retention import check_properties
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, EntityType, Nav, Prop
from gelsencloud.apis.sensorthings.serialize import parse_instant, parse_interval
from gelsencloud.apis.sensorthings.service.bulk import result_columns
from gelsencloud.core.classification import principal_of
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Classification

CLASSIFICATION_KEY = "@gelsencloud.classification"
DEFAULT_CLASSIFICATION = Classification.INTERNAL.value
# Whose tenant and classification an entity inherits (first navigation that is set).
OWNER = {
    "Datastream": ("Thing",),
    "MultiDatastream": ("Thing",),
    "HistoricalLocation": ("Thing",),
    "Observation": ("Datastream", "MultiDatastream"),
}
_CHILDREN = {"Thing": ("Datastream", "MultiDatastream", "HistoricalLocation")}


def _geometry(value: Any, name: str) -> dict[str, Any] | None:
    """Extract and validate the bare GeoJSON geometry of a location/feature value."""
    if not isinstance(value, dict):
        return None
    geometry = value.get("geometry") if value.get("type") == "Feature" else value
    if not isinstance(geometry, dict):
        raise bad_request(f"{name} must be a GeoJSON geometry or Feature")
    try:
        shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise bad_request(f"{name} is not valid GeoJSON: {exc}") from None
    return geometry


def set_result(obj: Any, value: Any) -> None:
    """Store a result plus its number/string shadow columns used by $filter and $orderby."""
    for column, column_value in result_columns(value).items():
        setattr(obj, column, column_value)


def set_prop(obj: Any, prop: Prop, value: Any, etype: EntityType) -> None:
    """Validate and store one property value."""
    label = f"{etype.name}.{prop.name}"
    if prop.kind == "result":
        set_result(obj, value)
    elif value is None:
        if prop.required:
            raise bad_request(f"{label} must not be null")
        setattr(obj, prop.attr, None)
        if prop.end_attr:
            setattr(obj, prop.end_attr, None)
        if prop.kind == "geo" and prop.attr in ("location", "feature"):
            obj.geometry = None
    elif prop.kind == "time":
        setattr(obj, prop.attr, parse_instant(value, label))
    elif prop.kind == "interval":
        start, end = parse_interval(value, label)
        setattr(obj, prop.attr, start)
        setattr(obj, prop.end_attr, end)
    elif prop.kind == "geo":
        setattr(obj, prop.attr, value)
        if prop.attr in ("location", "feature"):
            obj.geometry = _geometry(value, label)
    elif prop.kind == "json":
        setattr(obj, prop.attr, value)
    else:
        if not isinstance(value, str):
            raise bad_request(f"{label} must be a string")
        setattr(obj, prop.attr, value)


class Writer:
    """Creates, updates and deletes entities in one session (one transaction per request or changeset)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.principal = principal_of(session)

    # ---------------------------------------------------------------------------------------------
    def load(self, etype: EntityType, entity_id: Any) -> Any:
        """Return a readable entity by id or raise 400 (for links inside a request body)."""
        if isinstance(entity_id, bool) or not isinstance(entity_id, int | str):
            raise bad_request(f"@iot.id of a {etype.name} must be an integer")
        try:
            key = int(entity_id)
        except ValueError:
            raise bad_request(f"@iot.id of a {etype.name} must be an integer") from None
        obj = self.session.get(etype.model, key) if 0 < key < 2**31 else None
        if obj is None:
            raise bad_request(f"no {etype.name} with @iot.id {key}")
        return obj

    def create(self, etype: EntityType, body: Any, preset: dict[str, Any] | None = None) -> Any:
        """Create an entity with its inline related entities, or link an existing one by ``@iot.id``."""
        if not isinstance(body, dict):
            raise bad_request(f"a {etype.name} must be a JSON object")
        if "@iot.id" in body:
            obj = self.load(etype, body["@iot.id"])
            for attr, value in (preset or {}).items():
                if getattr(obj, attr) != value:
                    setattr(obj, attr, value)
            return obj
        self._check_keys(etype, body)
        if etype.name in ("Datastream", "MultiDatastream"):
            check_properties(body.get("properties"))
        obj = etype.model()
        for attr, value in (preset or {}).items():
            setattr(obj, attr, value)
        for name, prop in etype.props.items():
            if prop.read_only:
                continue
            if name in body:
                set_prop(obj, prop, body[name], etype)
            elif prop.required:
                raise bad_request(f"{etype.name}: missing required property '{name}'")
        if etype.name == "Observation" and obj.phenomenon_time_start is None:
            obj.phenomenon_time_start = utcnow()  # STA 1.1: the server may use the current time
        for nav in etype.navs.values():
            if nav.fk and nav.name in body:
                target = self.create(ENTITY_TYPES[nav.target], body[nav.name])
                setattr(obj, nav.fk, target.id)
        self._check_required_links(etype, obj, body)
        self._assign_owner(etype, obj, body)
        if etype.name == "Observation":
            self._observation_defaults(obj)
        self.session.add(obj)
        self.session.flush()
        for nav in etype.navs.values():
            if nav.many and nav.name in body:
                self._create_many(etype, obj, nav, body[nav.name])
        if etype.name == "Thing" and body.get("Locations"):
            self._historical_location(obj)
        if etype.name == "Location" and body.get("Things"):
            for thing_id in self.session.scalars(
                select(m.things_locations.c.thing_id).where(m.things_locations.c.location_id == obj.id)
            ):
                self._historical_location(self.session.get(m.Thing, thing_id))
        return obj

    def _check_keys(self, etype: EntityType, body: dict) -> None:
        for key in body:
            if (
                key in etype.props
                or key in etype.navs
                or key == CLASSIFICATION_KEY
                or key.startswith("@iot.")
            ):
                continue
            if "@iot." in key:
                continue  # navigation links copied from a GET are harmless
            known = ", ".join([*etype.props, *etype.navs])
            raise bad_request(f"{etype.name}: unknown property '{key}' (known: {known})")

    def _check_required_links(self, etype: EntityType, obj: Any, body: dict) -> None:
        if etype.name == "Observation":
            if (obj.datastream_id is None) == (obj.multi_datastream_id is None):
                raise bad_request("an Observation needs exactly one of Datastream or MultiDatastream")
            return
        for nav in etype.navs.values():
            if nav.required and nav.fk and getattr(obj, nav.fk) is None:
                raise bad_request(f"{etype.name}: missing required related entity '{nav.name}'")
            if nav.required and nav.many and not body.get(nav.name):
                raise bad_request(f"{etype.name}: missing required related entities '{nav.name}'")

    def _owner(self, etype: EntityType, obj: Any) -> Any | None:
        for nav_name in OWNER.get(etype.name, ()):
            nav = etype.navs[nav_name]
            value = getattr(obj, nav.fk)
            if value is not None:
                return self.session.get(ENTITY_TYPES[nav.target].model, value)
        return None

    def _assign_owner(self, etype: EntityType, obj: Any, body: dict) -> None:
        owner = self._owner(etype, obj)
        if owner is not None:
            obj.tenant_id = owner.tenant_id
            obj.classification = owner.classification
            return
        wanted = body.get(CLASSIFICATION_KEY, obj.classification or DEFAULT_CLASSIFICATION)
        if wanted not in {c.value for c in Classification}:
            raise bad_request(f"{CLASSIFICATION_KEY} must be public, internal or personal")
        obj.classification = wanted
        if obj.tenant_id is None:
            obj.tenant_id = self.principal.tenant_id

    def _create_many(self, etype: EntityType, obj: Any, nav: Nav, items: Any) -> None:
        if not isinstance(items, list):
            raise bad_request(f"{etype.name}.{nav.name} must be a JSON array")
        target = ENTITY_TYPES[nav.target]
        for rank, item in enumerate(items):
            if nav.back_fk:
                self.create(target, item, {nav.back_fk: obj.id})
                continue
            child = self.create(target, item)
            self._link(nav, obj.id, child.id, rank)

    def _link(self, nav: Nav, source_id: int, target_id: int, rank: int = 0) -> None:
        link = nav.link
        values = {nav.link_source: source_id, nav.link_target: target_id}
        exists = self.session.execute(
            select(link).where(*(link.c[k] == v for k, v in values.items()))
        ).first()
        if exists is None:
            if "rank" in link.c:
                values["rank"] = rank
            self.session.execute(insert(link).values(**values))

    def _historical_location(self, thing: m.Thing) -> None:
        """Record where a Thing is now (STA: automatic HistoricalLocation on Location change)."""
        location_ids = list(
            self.session.scalars(
                select(m.things_locations.c.location_id).where(m.things_locations.c.thing_id == thing.id)
            )
        )
        record = m.HistoricalLocation(
            time=utcnow(), thing_id=thing.id, tenant_id=thing.tenant_id, classification=thing.classification
        )
        self.session.add(record)
        self.session.flush()
        for location_id in location_ids:
            self.session.execute(
                insert(m.historical_locations_locations).values(
                    historical_location_id=record.id, location_id=location_id
                )
            )

    # ---------------------------------------------------------------------------------------------
    def _observation_defaults(self, obs: m.Observation) -> None:
        stream = self._owner(ENTITY_TYPES["Observation"], obs)
        if obs.multi_datastream_id is not None:
            width = len(stream.unit_of_measurements or [])
            if not isinstance(obs.result, list) or len(obs.result) != width:
                raise bad_request(
                    f"the result of a MultiDatastream Observation must be an array of {width} values"
                )
        if obs.feature_of_interest_id is None:
            obs.feature_of_interest_id = feature_for_thing(self.session, stream.thing_id, stream)
        extend_stream(stream, [obs.phenomenon_time_start, obs.phenomenon_time_end], [obs.result_time])

    # ---------------------------------------------------------------------------------------------
    def update(self, etype: EntityType, obj: Any, body: Any, *, replace: bool = False) -> Any:
        """Apply a merge PATCH (``replace=False``) or a PUT (``replace=True``)."""
        if not isinstance(body, dict):
            raise bad_request(f"a {etype.name} update must be a JSON object")
        self._check_keys(etype, body)
        if etype.name in ("Datastream", "MultiDatastream"):
            check_properties(body.get("properties"))
        for name, prop in etype.props.items():
            if prop.read_only:
                continue
            if name in body:
                set_prop(obj, prop, body[name], etype)
            elif replace:
                if prop.required:
                    raise bad_request(f"PUT {etype.name}: missing required property '{name}'")
                set_prop(obj, prop, None, etype)
        locations_changed = False
        for name, value in body.items():
            nav = etype.navs.get(name)
            if nav is None:
                continue
            if nav.fk:
                if not isinstance(value, dict) or set(value) != {"@iot.id"}:
                    raise bad_request(f"{name}: an update may only link an existing entity by @iot.id")
                target = self.load(ENTITY_TYPES[nav.target], value["@iot.id"])
                setattr(obj, nav.fk, target.id)
            elif nav.link is not None and nav.name == "Locations" and etype.name == "Thing":
                if not isinstance(value, list) or any(
                    not isinstance(v, dict) or set(v) != {"@iot.id"} for v in value
                ):
                    raise bad_request("Locations: an update may only link existing Locations by @iot.id")
                targets = [self.load(ENTITY_TYPES["Location"], v["@iot.id"]) for v in value]
                self.session.execute(
                    delete(m.things_locations).where(m.things_locations.c.thing_id == obj.id)
                )
                for target in targets:
                    self._link(nav, obj.id, target.id)
                locations_changed = True
            else:
                raise bad_request(f"{name}: related entities cannot be changed in an update")
        if CLASSIFICATION_KEY in body and etype.name not in OWNER:
            self._assign_owner(etype, obj, body)
            self.session.flush()
            self._cascade_classification(etype, obj)
        elif etype.name in OWNER:
            self._assign_owner(etype, obj, {})
        self.session.flush()
        if etype.name == "Observation":
            refresh_dirty(self.session.connection())  # the hours the Observation left and entered
        if locations_changed:
            self._historical_location(obj)
        return obj

    def _cascade_classification(self, etype: EntityType, obj: Any) -> None:
        """Keep a Thing's Datastreams, HistoricalLocations and Observations in its classification."""
        if etype.name != "Thing":
            return
        value = obj.classification
        for child in (m.Datastream, m.MultiDatastream, m.HistoricalLocation):
            self.session.execute(update(child).where(child.thing_id == obj.id).values(classification=value))
        streams = select(m.Datastream.id).where(m.Datastream.thing_id == obj.id).scalar_subquery()
        multi = select(m.MultiDatastream.id).where(m.MultiDatastream.thing_id == obj.id).scalar_subquery()
        self.session.execute(
            update(m.Observation)
            .where(
                (m.Observation.datastream_id.in_(streams)) | (m.Observation.multi_datastream_id.in_(multi))
            )
            .values(classification=value)
        )

    def delete(self, obj: Any) -> None:
        """Delete an entity; the database cascades to dependent entities as STA requires."""
        self.session.delete(obj)
        self.session.flush()
        refresh_dirty(self.session.connection())  # stored hours of the deleted (or cascaded) Observations
        self.session.expunge_all()  # cascaded rows may still sit in the identity map


def feature_for_thing(session: Session, thing_id: int | None, stream: Any) -> int:
    """Return the FeatureOfInterest derived from the Thing's Location, creating it on first use."""
    location = None
    if thing_id is not None:
        location = session.scalar(
            select(m.Location)
            .join(m.things_locations, m.things_locations.c.location_id == m.Location.id)
            .where(m.things_locations.c.thing_id == thing_id)
            .order_by(m.Location.id)
        )
    if location is None:
        raise bad_request(
            "the Observation has no FeatureOfInterest and its Thing has no Location to derive one from"
        )
    existing = session.scalar(
        select(m.FeatureOfInterest.id).where(m.FeatureOfInterest.source_location_id == location.id)
    )
    if existing is not None:
        return existing
    feature = m.FeatureOfInterest(
        name=location.name,
        description=location.description,
        encoding_type=location.encoding_type,
        feature=location.location,
        geometry=location.geometry,
        source_location_id=location.id,
        tenant_id=stream.tenant_id,
        classification=location.classification,
    )
    session.add(feature)
    session.flush()
    return feature.id


def extend_stream(
    stream: Any, phenomenon: Iterable[datetime | None], result: Iterable[datetime | None]
) -> None:
    """Widen a (Multi)Datastream's phenomenonTime/resultTime to cover new Observations."""
    for attr, values in (("phenomenon_time", phenomenon), ("result_time", result)):
        moments = [v for v in values if v is not None]
        if not moments:
            continue
        start, end = getattr(stream, attr + "_start"), getattr(stream, attr + "_end")
        low, high = min(moments), max(moments)
        if start is None or low < start:
            setattr(stream, attr + "_start", low)
        if end is None or high > end:
            setattr(stream, attr + "_end", high)


def apply_json_patch(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply RFC 6902 operations (add, remove, replace, move, copy, test) to a JSON document."""
    import copy

    if not isinstance(operations, list):
        raise bad_request("a JSON Patch body must be an array of operations")
    doc = copy.deepcopy(document)

    def locate(path: str) -> tuple[Any, str]:
        if not isinstance(path, str) or not path.startswith("/"):
            raise bad_request(f"JSON Patch path must start with '/': {path!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        return parent, parts[-1]

    def get(path: str) -> Any:
        parent, key = locate(path)
        return parent[int(key)] if isinstance(parent, list) else parent[key]

    def put(path: str, value: Any, insert_: bool) -> None:
        parent, key = locate(path)
        if isinstance(parent, list):
            if key == "-":
                parent.append(value)
            elif insert_:
                parent.insert(int(key), value)
            else:
                parent[int(key)] = value
        else:
            parent[key] = value

    def remove(path: str) -> Any:
        parent, key = locate(path)
        return parent.pop(int(key)) if isinstance(parent, list) else parent.pop(key)

    try:
        for op in operations:
            kind, path = op.get("op"), op.get("path")
            if kind == "add":
                put(path, op["value"], True)
            elif kind == "replace":
                get(path)
                put(path, op["value"], False)
            elif kind == "remove":
                remove(path)
            elif kind == "move":
                put(path, remove(op["from"]), True)
            elif kind == "copy":
                put(path, copy.deepcopy(get(op["from"])), True)
            elif kind == "test":
                if get(path) != op.get("value"):
                    raise bad_request(f"JSON Patch test failed at {path}")
            else:
                raise bad_request(f"unknown JSON Patch operation {kind!r}")
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        raise bad_request(f"JSON Patch cannot be applied: {exc!r}") from None
    return doc
