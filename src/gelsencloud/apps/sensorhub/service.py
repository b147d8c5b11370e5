"""Sensor hub service: register devices, provision their SensorThings entities, ingest uplinks.

The HTTP webhooks, the MQTT ingestor, the CLI, the demo and the staff pages all call these.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apis.sensorthings.service.bulk import (
    CREATED_KEY,
    column_encoder,
    features_of_things,
    insert_many,
    insert_stream_rows,
    observation_values,
    result_columns,
    stream_facts,
    widen_phenomenon_spans,
    widen_streams,
)
from gelsencloud.apis.sensorthings.service.write import CLASSIFICATION_KEY, Writer
from gelsencloud.apps.sensorhub import decoders, rawrows
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.apps.sensorhub.models import CATEGORIES, Device, InventoryCount, Uplink, registry_version
from gelsencloud.apps.sensorhub.quantities import quantity, unit_of_measurement
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Classification

DEV_EUI_RE = re.compile(r"^[0-9a-f]{16}$")
# Devices whose payload the network server decodes (ChirpStack codec `object`, TTS `decoded_payload`).
NETWORK_SERVER_DECODER = "network-server"
CLASSES = {c.value for c in Classification}


@dataclass(frozen=True)
class IngestResult:
    """What happened to one network-server message (returned to the webhook caller)."""

    status: str  # processed | duplicate | unknown_device | failed | ignored
    uplink_id: int | None = None
    observations: int = 0
    message: str = ""


# --- registry ------------------------------------------------------------------------------------


def normalise_dev_eui(value: str) -> str:
    """Return a DevEUI as 16 lower-case hex digits, or explain what is wrong."""
    cleaned = value.strip().lower().replace(":", "").replace("-", "")
    if not DEV_EUI_RE.match(cleaned):
        raise InvalidInput(f"DevEUI must be 16 hex digits, got {value!r}")
    return cleaned


def register_device(
    session: Session,
    *,
    name: str,
    category: str,
    dev_eui: str | None = None,
    decoder: str | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    site: str | None = None,
    description: str = "",
    data_classification: str = "public",
    classification: str = "internal",
    expected_interval_s: int = 900,
) -> Device:
    """Register a device for the acting principal's tenant and create its SensorThings Thing."""
    if category not in CATEGORIES:
        raise InvalidInput(f"unknown category {category!r}; choose one of {', '.join(CATEGORIES)}")
    if decoder is not None and decoder != NETWORK_SERVER_DECODER and decoder not in decoders.names():
        choices = ", ".join([*decoders.names(), NETWORK_SERVER_DECODER])
        raise InvalidInput(f"unknown decoder {decoder!r}; available: {choices}")
    if dev_eui is not None and decoder is None:
        raise InvalidInput("a LoRaWAN device (with DevEUI) needs a decoder")
    for label, value in (("classification", classification), ("data_classification", data_classification)):
        if value not in CLASSES:
            raise InvalidInput(f"{label} must be public, internal or personal")
    if (longitude is None) != (latitude is None):
        raise InvalidInput("give both longitude and latitude, or neither")
    if dev_eui is not None and longitude is None:
        # Every Observation needs a FeatureOfInterest, which SensorThings derives from the position.
        raise InvalidInput("a LoRaWAN device needs its position (longitude and latitude)")
    if not name.strip():
        raise InvalidInput("device name must not be empty")
    device = Device(
        name=name.strip(),
        category=category,
        dev_eui=normalise_dev_eui(dev_eui) if dev_eui else None,
        decoder=decoder,
        longitude=longitude,
        latitude=latitude,
        site=site,
        description=description,
        data_classification=data_classification,
        classification=classification,
        expected_interval_s=expected_interval_s,
        datastreams={},
    )
    session.add(device)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise InvalidInput(f"DevEUI {device.dev_eui} is registered already") from None
    device.thing_id = _create_thing(session, device)
    return device


def _create_thing(session: Session, device: Device) -> int:
    label_de = CATEGORIES[device.category][0]
    body: dict[str, Any] = {
        "name": device.name,
        "description": f"{label_de}" + (f" – {device.site}" if device.site else ""),
        "properties": {"category": device.category, "devEui": device.dev_eui, "decoder": device.decoder},
        CLASSIFICATION_KEY: device.data_classification,
    }
    if device.longitude is not None:
        body["Locations"] = [
            {
                "name": device.site or device.name,
                "description": f"Standort {device.name}",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [device.longitude, device.latitude]},
                # A Location is an entity of its own: it must be as visible as the data it locates.
                CLASSIFICATION_KEY: device.data_classification,
            }
        ]
    # The device's tenant owns its data, also when the platform itself ingests (MQTT, demo).
    thing = Writer(session).create(ENTITY_TYPES["Thing"], body, {"tenant_id": device.tenant_id})
    return thing.id


def get_device(session: Session, device_id: int) -> Device:
    """Return a readable device."""
    device = session.scalar(select(Device).where(Device.id == device_id))
    if device is None:
        raise NotFound(f"device {device_id} not found")
    return device


def find_device(session: Session, dev_eui: str) -> Device | None:
    """Return the readable device with this DevEUI, if any."""
    return session.scalar(select(Device).where(Device.dev_eui == dev_eui))


def list_devices(session: Session, *, category: str | None = None) -> list[Device]:
    """Return the devices the principal may read."""
    stmt = select(Device).order_by(Device.category, Device.name)
    if category:
        stmt = stmt.where(Device.category == category)
    return list(session.scalars(stmt))


def device_state(device: Device, now: datetime | None = None) -> str:
    """Classify a device as ok, silent (missed 3 intervals), never seen or inactive."""
    if not device.active:
        return "inactive"
    if device.dev_eui is None:
        return "ok"
    if device.last_seen_at is None:
        return "never_seen"
    now = now or utcnow()
    if now - device.last_seen_at > timedelta(seconds=3 * device.expected_interval_s):
        return "silent"
    return "ok"


def ensure_datastream(session: Session, device: Device, key: str, ucum: str) -> int:
    """Return the Datastream of a device's quantity, creating Sensor/ObservedProperty/Datastream once."""
    streams = dict(device.datastreams or {})
    if key in streams:
        return streams[key]
    if device.thing_id is None:
        device.thing_id = _create_thing(session, device)
    meta = quantity(key)
    writer = Writer(session)
    sensor = _shared(
        session,
        device.tenant_id,
        "Sensor",
        device.decoder or device.category,
        {
            "name": device.decoder or device.category,
            "description": f"Gerätetyp {device.decoder or device.category}",
            "encodingType": "text/html",
            "metadata": f"urn:gelsencloud:decoder:{device.decoder or device.category}",
        },
    )
    observed = _shared(
        session,
        device.tenant_id,
        "ObservedProperty",
        meta.name_de,
        {
            "name": meta.name_de,
            "definition": meta.definition,
            "description": f"{meta.name_de} ({meta.name_en})",
        },
    )
    stream = writer.create(
        ENTITY_TYPES["Datastream"],
        {
            "name": f"{device.name}: {meta.name_de}",
            "description": f"{meta.name_de} gemessen von {device.name}",
            "observationType": meta.observation_type,
            "unitOfMeasurement": unit_of_measurement(ucum),
            "Thing": {"@iot.id": device.thing_id},
            "Sensor": {"@iot.id": sensor},
            "ObservedProperty": {"@iot.id": observed},
            "properties": {"quantity": key},
        },
    )
    streams[key] = stream.id
    device.datastreams = streams
    return stream.id


def _shared(session: Session, tenant_id: int, type_name: str, name: str, body: dict[str, Any]) -> int:
    """Reuse a public Sensor/ObservedProperty of the tenant by name, or create it."""
    etype = ENTITY_TYPES[type_name]
    model = etype.model
    stmt = select(model.id).where(
        model.name == name, model.classification == "public", model.tenant_id == tenant_id
    )
    existing = session.scalar(stmt.limit(1))
    if existing is not None:
        return existing
    return Writer(session).create(etype, {**body, CLASSIFICATION_KEY: "public"}, {"tenant_id": tenant_id}).id


# --- ingestion -----------------------------------------------------------------------------------


class BatchConflict(Exception):
    """A concurrent writer stored one of the batch's events first; retry the batch one by one."""


def ingest_uplink(session: Session, message: UplinkMessage, body: dict[str, Any]) -> IngestResult:
    """Store one uplink, decode it, and write its readings as Observations (one transaction)."""
    try:
        return ingest_uplinks(session, [(message, body)])[0]
    except BatchConflict:
        return IngestResult("duplicate", message="already received")


@dataclass
class PreparedUplinks:
    """A batch of uplinks checked, decoded and encoded for writing (``prepare_uplinks``).

    ``observations`` is None when a Datastream or FeatureOfInterest has to be created first; the write
    then plans the Observations itself.
    """

    items: list[tuple[UplinkMessage, dict[str, Any]]]
    results: list[IngestResult | None]
    first_of: dict[tuple, int]
    fresh: list[int]
    rows: list[dict[str, Any]]
    readings_of: dict[int, tuple[Any, dict]]
    newest: dict[int, tuple[Any, UplinkMessage, int]]
    observations: ObservationPlan | None
    # ``models.registry_version`` before anything else was read; only for a batch to be written apart
    registry_version: int | None


class RegistryChanged(Exception):
    """A device or Datastream changed between preparing a batch and writing it; prepare it again."""


def ingest_uplinks(session: Session, items: list[tuple[UplinkMessage, dict[str, Any]]]) -> list[IngestResult]:
    """Store a batch of uplinks, decode them and write their readings, with a handful of statements.

    Per batch, not per uplink: one query for repeats, one for the devices, one for their Datastreams, one
    insert of all uplinks and one of all Observations. Repeats (network-server retries, the same event
    in the batch twice) are stored once. Raises ``BatchConflict`` if a concurrent writer stored one of
    the events meanwhile (the caller retries one by one) and ``PermissionDenied`` if the principal may not
    write a device's data; nothing of the batch is then written.
    """
    return write_uplinks(session, prepare_uplinks(session, items))


@dataclass
class RegistrySnapshot:
    """Devices, Datastream facts and Features of Interest as one principal read them at one registry version.

    The webhook batcher keeps one per principal across batches: while the registry version stays the same,
    none of these has changed (the version's triggers count every change to them), so a batch reads only
    what the snapshot lacks. Unknown DevEUIs are remembered too; a device registration moves the version.
    """

    version: int | None = None
    devices: dict[str, Any] = field(default_factory=dict)  # DevEUI -> device row, or None if unknown
    streams: dict[int, Any] = field(default_factory=dict)  # Datastream id -> stream_facts row
    features: dict[int, int] = field(default_factory=dict)  # Thing id -> FeatureOfInterest id

    def at(self, version: int) -> None:
        """Forget everything if the registry has changed since (or the snapshot has grown too large)."""
        if version != self.version or len(self.devices) > SNAPSHOT_DEVICES:
            self.version = version
            self.devices, self.streams, self.features = {}, {}, {}


SNAPSHOT_DEVICES = 200_000  # far above a city's devices; bounds what unknown DevEUIs can fill


def prepare_uplinks(
    session: Session,
    items: list[tuple[UplinkMessage, dict[str, Any]]],
    snapshot: RegistrySnapshot | None = None,
) -> PreparedUplinks:
    """Read and decode a batch for ``write_uplinks``: repeats, devices, readings, Observation rows.

    Only reads. The webhook batcher runs it before it takes the SQLite writer lock, so that one server
    process prepares its next batch while another writes, and passes the principal's ``snapshot`` of the
    registry, so that a batch reads only devices and Datastreams it has not seen. Only such a batch,
    prepared with a snapshot, reads the registry version that ``write_uplinks(read_apart=True)`` checks.
    """
    version = None
    if snapshot is not None:
        version = session.connection().scalar(_REGISTRY_VERSION)
        snapshot.at(version)
    results: list[IngestResult | None] = [None] * len(items)
    known = _stored_events(session, [message for message, _ in items])
    first_of: dict[tuple, int] = {}
    fresh: list[int] = []
    for i, (message, _) in enumerate(items):
        key = _event_key(message)
        if key in known:
            results[i] = IngestResult("duplicate", known[key], message="already received")
        elif key in first_of:
            results[i] = IngestResult("duplicate", message="already received")  # id filled in below
        else:
            first_of[key] = i
            fresh.append(i)
    euis = {items[i][0].dev_eui for i in fresh}
    # Rows of the columns used here, not ORM objects (a fifth of the query's cost); still restricted
    # to the devices the principal may read. ``_device_object`` loads one when a Datastream is missing.
    devices = _devices_by_eui(session, euis, snapshot)
    principal = principal_of(session)
    rows: list[dict[str, Any]] = []
    readings_of: dict[int, tuple[Any, dict]] = {}
    newest: dict[int, tuple[Any, UplinkMessage, int]] = {}
    for i in fresh:
        message, body = items[i]
        device = devices.get(message.dev_eui)
        row = _uplink_row(session, message, body, device)
        if not principal.can_write(row["tenant_id"]):
            raise PermissionDenied(f"{principal.name} may not write data of tenant {row['tenant_id']}")
        if device is None:
            row.update(status="unknown_device", error=f"no registered device with DevEUI {message.dev_eui}")
        else:
            seen = newest.get(device.id)
            if seen is None or message.received_at >= seen[1].received_at:
                newest[device.id] = (device, message, i)
            if not device.active:
                row.update(status="ignored", error="device is inactive")
            else:
                try:
                    readings = _readings(device, message.payload, message.f_port, message.decoded)
                    readings_of[i] = (device, readings)
                    row.update(status="processed", observations=len(readings))
                except decoders.DecodeError as exc:
                    # Keep the raw uplink: a fixed decoder can reprocess it (`gelsencloud sensorhub reprocess`).
                    row.update(status="failed", error=f"{device.decoder}: {exc}")
        rows.append(row)
    plan = _plan_observations(session, items, readings_of, create=False, snapshot=snapshot)
    return PreparedUplinks(items, results, first_of, fresh, rows, readings_of, newest, plan, version)


def write_uplinks(
    session: Session, prepared: PreparedUplinks, *, read_apart: bool = False
) -> list[IngestResult]:
    """Write a prepared batch: its uplinks, Observations, device link states and Datastream time ranges.

    ``read_apart``: the batch was prepared before this transaction. Once the transaction holds the write
    lock (after its first insert) it checks what may have changed meanwhile: a repeat stored by another
    writer raises ``BatchConflict`` (events with an id meet the unique constraint, the others are
    counted), and a registry change since (or a batch prepared without snapshot, so without version)
    raises ``RegistryChanged``.
    """
    items, results, first_of = prepared.items, prepared.results, prepared.first_of
    ids = _insert_uplinks(session, prepared.rows)
    if read_apart:
        if _repeated_unnamed(session, [items[i][0] for i in prepared.fresh]):
            raise BatchConflict()
        version = _REGISTRY_VERSION
        if session.connection().dialect.name == "postgresql":
            # A registry change waits for this transaction (and its cascade then covers these rows), or
            # this read waits for the change to commit and sees the new count.
            version = version.with_for_update(read=True)
        if session.connection().scalar(version) != prepared.registry_version:
            raise RegistryChanged()
    _store_link_states(session, prepared.newest.values(), prepared.readings_of)
    plan = prepared.observations or _plan_observations(session, items, prepared.readings_of, create=True)
    _store_observations(session, plan)
    for i, row, uplink_id in zip(prepared.fresh, prepared.rows, ids, strict=True):
        status = row["status"]
        message = row["error"] or ""
        results[i] = IngestResult(status, uplink_id, row["observations"], message)
    for i, result in enumerate(results):
        if result.uplink_id is None and result.status == "duplicate":
            results[i] = IngestResult(
                "duplicate", results[first_of[_event_key(items[i][0])]].uplink_id, 0, "already received"
            )
    session.flush()  # device link state and Datastream time ranges
    return results


def _insert_uplinks(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the uplink rows of a batch; raise ``BatchConflict`` if one of the events is stored already."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        try:
            with session.begin_nested():
                return insert_many(session, Uplink.__table__, rows)
        # The same event stored meanwhile by another writer (a concurrent retry). PostgreSQL's COPY runs
        # on the driver's cursor, so its error arrives unwrapped.
        except (IntegrityError, connection.dialect.dbapi.IntegrityError):
            raise BatchConflict() from None
    table = Uplink.__table__
    at = column_encoder(table, "received_at", connection)
    as_json = column_encoder(table, "body", connection)
    encoded = [
        (
            at(r["received_at"]),
            r["network_server"],
            r["event"],
            r["event_id"],
            r["dev_eui"],
            r["device_id"],
            r["f_cnt"],
            r["f_port"],
            r["payload_hex"],
            as_json(r["body"]),
            r["status"],
            r["error"],
            r["observations"],
            r["classification"],
            r["tenant_id"],
        )
        for r in rows
    ]
    try:
        return rawrows.insert_rows(connection, table, UPLINK_COLUMNS, encoded)
    except sqlite3.IntegrityError:
        # Rows of this executemany before the conflicting one are in the transaction: the caller rolls
        # it back (a batch is retried one by one; a single uplink's one-row statement wrote nothing).
        raise BatchConflict() from None


UPLINK_COLUMNS = (
    "received_at",
    "network_server",
    "event",
    "event_id",
    "dev_eui",
    "device_id",
    "f_cnt",
    "f_port",
    "payload_hex",
    "body",
    "status",
    "error",
    "observations",
    "classification",
    "tenant_id",
)


def _uplink_row(
    session: Session, message: UplinkMessage, body: dict[str, Any], device: Device | None
) -> dict:
    return {
        "received_at": message.received_at,
        "network_server": message.network_server,
        "event": "up",
        "event_id": message.event_id,
        "dev_eui": message.dev_eui,
        "device_id": device.id if device else None,
        "f_cnt": message.f_cnt,
        "f_port": message.f_port,
        "payload_hex": message.payload.hex(),
        "body": body,
        "status": "stored",
        "error": None,
        "observations": 0,
        "classification": "internal",
        "tenant_id": device.tenant_id if device else _fallback_tenant(session),
    }


@dataclass
class ObservationPlan:
    """The Observation rows of a batch, ready to insert.

    SQLite: ``rows`` pre-encoded for the raw cursor (``rawrows``) and ``spans``, the (earliest, latest)
    time per Datastream. PostgreSQL: ``batches`` of (Datastream facts, column values) for the COPY path.
    """

    rows: list[tuple] = field(default_factory=list)
    spans: dict[int, list] = field(default_factory=dict)
    batches: list[tuple[Any, list[dict]]] = field(default_factory=list)


def _devices_by_eui(session: Session, euis: set[str], snapshot: RegistrySnapshot | None) -> dict[str, Any]:
    """The rows of the registered devices among ``euis`` that the session's principal may read."""
    if not euis:
        return {}
    if snapshot is None:
        return {d.dev_eui: d for d in session.execute(_DEVICES_BY_EUI, {"euis": list(euis)})}
    missing = [eui for eui in euis if eui not in snapshot.devices]
    if missing:
        found = {d.dev_eui: d for d in session.execute(_DEVICES_BY_EUI, {"euis": missing})}
        for eui in missing:
            snapshot.devices[eui] = found.get(eui)
    return {eui: device for eui in euis if (device := snapshot.devices[eui]) is not None}


def _stream_facts(session: Session, ids: set[int], snapshot: RegistrySnapshot | None) -> dict[int, Any]:
    """``stream_facts`` of these Datastreams, from the snapshot where it has them."""
    if snapshot is None:
        return stream_facts(session, ids)
    missing = ids - snapshot.streams.keys()
    if missing:
        snapshot.streams.update(stream_facts(session, missing))
    return {i: snapshot.streams[i] for i in ids if i in snapshot.streams}


def _features(session: Session, streams: dict[int, Any], create: bool, snapshot: RegistrySnapshot | None):
    """``features_of_things`` of these Datastreams' Things, from the snapshot where it has them."""
    if snapshot is None:
        return features_of_things(session, streams.values(), create=create)
    missing = [s for s in streams.values() if s.thing_id not in snapshot.features]
    if missing:
        found = features_of_things(session, missing, create=create)
        if found is None:
            return None
        snapshot.features.update(found)
    return snapshot.features


def _plan_observations(
    session: Session,
    items,
    readings_of: dict[int, tuple[Any, dict]],
    *,
    create: bool,
    snapshot: RegistrySnapshot | None = None,
) -> ObservationPlan | None:
    """Turn a batch's readings into Observation rows, one Datastream per reading key.

    A missing Datastream or FeatureOfInterest is created if ``create``; otherwise None is returned.
    """
    wanted: list[tuple[int, dict]] = []
    created: dict[int, dict[str, int]] = {}  # device id -> its Datastreams, once one was created here
    for i, (device, readings) in readings_of.items():
        message = items[i][0]
        parameters = signal_parameters(message)
        known = created.get(device.id) or device.datastreams or {}
        for key, reading in readings.items():
            stream_id = known.get(key)
            if stream_id is None:
                if not create:
                    return None
                stored = _device_object(session, device.id)
                stream_id = ensure_datastream(session, stored, key, reading["unit"])
                known = created[device.id] = stored.datastreams
            wanted.append(
                (
                    stream_id,
                    {
                        "phenomenonTime": message.received_at,
                        "result": reading["value"],
                        "parameters": parameters,
                    },
                )
            )
    if not wanted:
        return ObservationPlan()
    streams = _stream_facts(session, {stream_id for stream_id, _ in wanted}, snapshot)
    principal = principal_of(session)
    for stream in streams.values():
        if not principal.can_write(stream.tenant_id):
            raise PermissionDenied(f"{principal.name} may not write Datastream {stream.id}")
    features = _features(session, streams, create, snapshot)
    if features is None:
        return None
    if session.connection().dialect.name == "sqlite":
        return _encode_observations_sqlite(session, wanted, streams, features)
    values_of: dict[int, list[dict]] = {}
    for stream_id, row in wanted:
        stream = streams[stream_id]
        values = observation_values(stream, row)
        values["feature_of_interest_id"] = features[stream.thing_id]
        values_of.setdefault(stream_id, []).append(values)
    return ObservationPlan(batches=[(streams[stream_id], values) for stream_id, values in values_of.items()])


def _store_observations(session: Session, plan: ObservationPlan) -> None:
    """Insert a batch's planned Observations and widen their Datastreams' time ranges."""
    if plan.rows:
        ids = rawrows.insert_rows(session.connection(), Observation.__table__, OBSERVATION_COLUMNS, plan.rows)
        session.info.setdefault(CREATED_KEY, []).extend(("Observation", i) for i in ids)
        widen_phenomenon_spans(session, plan.spans)
    if plan.batches:
        insert_stream_rows(session, plan.batches, widen=False)
        widen_streams(session, plan.batches)


OBSERVATION_COLUMNS = (
    "phenomenon_time_start",
    "result",
    "result_number",
    "result_string",
    "parameters",
    "datastream_id",
    "feature_of_interest_id",
    "tenant_id",
    "classification",
)


def _encode_observations_sqlite(
    session: Session, wanted: list[tuple[int, dict]], streams: dict, features: dict[int, int]
) -> ObservationPlan:
    """The rows ``insert_stream_rows`` would write, pre-encoded for the raw cursor (``rawrows``).

    The readings come from a decoder (numbers and booleans, an aware time, a parameters object), so the
    checks of ``observation_values`` cannot fail here; the column values are the same as there. The hourly
    aggregates follow by database trigger; MQTT notification and Datastream time ranges as in bulk.py.
    """
    connection = session.connection()
    table = Observation.__table__
    at = rawrows.Memo(column_encoder(table, "phenomenon_time_start", connection))
    params = rawrows.Memo(column_encoder(table, "parameters", connection))
    as_json = rawrows.Memo(column_encoder(table, "result", connection), key=_typed)
    rows = []
    spans: dict[int, list] = {}  # Datastream id -> [earliest, latest]
    moment = parameters = None
    for stream_id, row in wanted:
        stream = streams[stream_id]
        if row["phenomenonTime"] is not moment or row["parameters"] is not parameters:
            # The rows of an uplink come one after another and share these objects: encode them once.
            moment, parameters = row["phenomenonTime"], row["parameters"]
            moment_text, parameters_text = at(moment), params(parameters)
        result = result_columns(row["result"])
        rows.append(
            (
                moment_text,
                as_json(result["result"]),
                result["result_number"],
                result["result_string"],
                parameters_text,
                stream_id,
                features[stream.thing_id],
                stream.tenant_id,
                stream.classification,
            )
        )
        span = spans.get(stream_id)
        if span is None:
            spans[stream_id] = [moment, moment]
        elif moment < span[0]:
            span[0] = moment
        elif moment > span[1]:
            span[1] = moment
    return ObservationPlan(rows=rows, spans=spans)


def _typed(value: Any) -> tuple:
    return (type(value), value)  # 1 and 1.0 and True are equal but encode differently


def _decode_and_store(
    session: Session,
    device: Device,
    row: Uplink,
    payload: bytes,
    f_port: int | None,
    at: datetime,
    decoded: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> IngestResult:
    try:
        readings = _readings(device, payload, f_port, decoded)
    except decoders.DecodeError as exc:
        # Keep the raw uplink: a fixed decoder can reprocess it later (`gelsencloud sensorhub reprocess`).
        row.status = "failed"
        row.error = f"{device.decoder}: {exc}"
        return IngestResult("failed", row.id, message=row.error)
    count = 0
    for key, reading in readings.items():
        stream_id = ensure_datastream(session, device, key, reading["unit"])
        observation = {"phenomenonTime": at, "result": reading["value"]}
        if parameters:
            observation["parameters"] = parameters
        count += len(add_observations(session, stream_id, [observation]))
        if key == "battery":
            device.battery = float(reading["value"])
    row.status = "processed"
    row.error = None
    row.observations = count
    return IngestResult("processed", row.id, count)


def _readings(device: Device, payload: bytes, f_port: int | None, decoded: dict[str, Any] | None) -> dict:
    """Decode with the device's decoder, or take the network server's decoded object."""
    if device.decoder == NETWORK_SERVER_DECODER:
        if not decoded:
            raise decoders.DecodeError("the network server sent no decoded object (configure its codec)")
        return network_server_readings(decoded)
    return decoders.decode(device.decoder, f_port or decoders.default_fport(device.decoder), payload)


# Units of quantities a network-server codec typically names (its object carries no units).
CODEC_UNITS = {
    "temperature": "Cel",
    "humidity": "%",
    "pressure": "hPa",
    "pm10": "ug/m3",
    "pm2_5": "ug/m3",
    "pm25": "ug/m3",
    "no2": "ug/m3",
    "co2": "[ppm]",
    "battery": "%",
    "distance": "mm",
    "fill_level": "%",
    "volume": "L",
    "energy": "W.h",
    "power": "W",
    "occupied": "{bool}",
    "count_in": "{count}",
    "count_out": "{count}",
}


def network_server_readings(decoded: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Turn a codec's JSON object into readings: numbers and booleans, nested keys joined by '_'."""
    readings: dict[str, dict[str, Any]] = {}
    for key, value in decoded.items():
        name = f"{prefix}{key}".lower()
        if isinstance(value, dict):
            readings.update(network_server_readings(value, name + "_"))
        elif isinstance(value, bool) or (isinstance(value, int | float) and value == value):
            readings[name] = {"value": value, "unit": CODEC_UNITS.get(name, "1")}
    if not readings and not prefix:
        raise decoders.DecodeError("the decoded object holds no numbers or booleans")
    return readings


def signal_parameters(message: UplinkMessage) -> dict[str, Any]:
    """Signal quality of an uplink, kept with each of its Observations (SensorThings ``parameters``)."""
    best = message.best_gateway
    params: dict[str, Any] = {"fCnt": message.f_cnt}
    if best is not None:
        params["gateway"] = best.gateway_id
    if message.best_rssi is not None:
        params["rssi"] = message.best_rssi
    if message.best_snr is not None:
        params["snr"] = message.best_snr
    if message.spreading_factor is not None:
        params["spreadingFactor"] = message.spreading_factor
    params["gateways"] = len(message.gateways)
    return params


def _store_link_states(session: Session, newest, readings_of: dict[int, tuple[Any, dict]]) -> None:
    """Record each device's newest reception of a batch with one executemany (raw on SQLite).

    ``newest`` holds (device row, message, index) per device; the battery level comes from that
    uplink's readings, if it has one. The ORM would flush one UPDATE per device through the unit of work
    and the audit hook (link state is telemetry, not audited), about a fifth of a batch's CPU time. The
    condition keeps the newest reception also when a concurrent writer stored a newer one meanwhile;
    devices this session has loaded as objects are given the stored state.
    """
    connection = session.connection()
    states = []
    for device, message, i in newest:
        if device.last_seen_at is not None and message.received_at < device.last_seen_at:
            continue
        battery = readings_of.get(i, (None, {}))[1].get("battery")
        state = {
            "last_seen_at": message.received_at,
            "last_f_cnt": message.f_cnt,
            "last_rssi": message.best_rssi,
            "last_snr": message.best_snr,
            "battery": None if battery is None else float(battery["value"]),
        }
        loaded = session.identity_map.get(session.identity_key(Device, device.id))
        if loaded is not None:
            for key, value in state.items():
                if key != "battery" or value is not None:
                    set_committed_value(loaded, key, value)  # what the row now holds, without a flush
        states.append({**state, "device": device.id})
    if not states:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(_LINK_STATE, states)
        return
    at = column_encoder(Device.__table__, "last_seen_at", connection)
    params = [
        (at(s["last_seen_at"]), s["last_f_cnt"], s["last_rssi"], s["last_snr"], s["battery"], s["device"])
        for s in states
    ]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(
            "UPDATE sensorhub_devices SET last_seen_at = ?1, last_f_cnt = ?2, last_rssi = ?3, last_snr = ?4, "
            "battery = coalesce(?5, battery) WHERE id = ?6 AND (last_seen_at IS NULL OR last_seen_at <= ?1)",
            params,
        )
    finally:
        cursor.close()


def _device_object(session: Session, device_id: int) -> Device:
    """The ORM object of a device row (to create a missing Datastream)."""
    device = session.get(Device, device_id)
    if device is None:  # cannot happen: the row was read in this transaction with the same criteria
        raise NotFound(f"device {device_id}")
    return device


_DEVICES = Device.__table__.c
_LINK_STATE = (
    update(Device.__table__)
    .where(
        _DEVICES.id == bindparam("device"),
        _DEVICES.last_seen_at.is_(None)
        | (_DEVICES.last_seen_at <= bindparam("last_seen_at", type_=_DEVICES.last_seen_at.type)),
    )
    .values(
        last_seen_at=bindparam("last_seen_at", type_=_DEVICES.last_seen_at.type),
        last_f_cnt=bindparam("last_f_cnt"),
        last_rssi=bindparam("last_rssi"),
        last_snr=bindparam("last_snr"),
        battery=func.coalesce(bindparam("battery", type_=_DEVICES.battery.type), _DEVICES.battery),
    )
)


def _event_key(message: UplinkMessage) -> tuple:
    # Network servers retry webhooks; the event id (or DevEUI + FCnt + time) identifies a repeat.
    if message.event_id:
        return (message.network_server, message.event_id)
    return (message.dev_eui, message.f_cnt, message.received_at)


def _stored_events(session: Session, messages: list[UplinkMessage]) -> dict[tuple, int]:
    """Return the stored uplink id of every message that was received before."""
    table = Uplink.__table__
    found: dict[tuple, int] = {}
    by_server: dict[str, set[str]] = {}
    for message in messages:
        if message.event_id:
            by_server.setdefault(message.network_server, set()).add(message.event_id)
        else:
            uplink_id = session.connection().scalar(select(table.c.id).where(*_same_event(message)).limit(1))
            if uplink_id is not None:
                found[_event_key(message)] = uplink_id
    # Core statements on the connection: event ids are unguessable, and a repeat must be recognised
    # whichever tenant's key delivers it, so the classification rule does not apply here.
    for server, event_ids in by_server.items():
        for uplink_id, event_id in session.connection().execute(
            _EVENTS_OF_SERVER, {"server": server, "event_ids": list(event_ids)}
        ):
            found[(server, event_id)] = uplink_id
    return found


def _repeated_unnamed(session: Session, messages: list[UplinkMessage]) -> bool:
    """Whether an event without id of this batch, just inserted, is now stored more than once."""
    for message in messages:
        if message.event_id:
            continue  # the unique constraint guards these
        if session.connection().scalar(select(func.count()).where(*_same_event(message))) > 1:
            return True
    return False


def _same_event(message: UplinkMessage) -> tuple:
    """Criteria on stored uplinks for an event without id: DevEUI, frame counter and time."""
    c = Uplink.__table__.c
    return (c.dev_eui == message.dev_eui, c.f_cnt == message.f_cnt, c.received_at == message.received_at)


_REGISTRY_VERSION = select(registry_version.c.version).where(registry_version.c.id == 1)

# Built once with expanding parameters: building ``in_(values)`` per batch coerced every value and
# computed a new cache key each time (a tenth of the batch's query time).
_UPLINKS = Uplink.__table__.c
_EVENTS_OF_SERVER = select(_UPLINKS.id, _UPLINKS.event_id).where(
    _UPLINKS.network_server == bindparam("server"),
    _UPLINKS.event_id.in_(bindparam("event_ids", expanding=True)),
)
_DEVICES_BY_EUI = select(
    Device.id,
    Device.dev_eui,
    Device.tenant_id,
    Device.active,
    Device.decoder,
    Device.datastreams,
    Device.last_seen_at,
).where(Device.dev_eui.in_(bindparam("euis", expanding=True)))


def _fallback_tenant(session: Session) -> int:
    principal = principal_of(session)
    if principal.tenant_id is not None:
        return principal.tenant_id
    from gelsencloud.core.models import Tenant

    # Messages from the shared broker with no known device belong to the platform operator (first tenant).
    return session.scalar(select(func.min(Tenant.id)))


def reprocess_failed(session: Session, limit: int = 1000) -> tuple[int, int]:
    """Decode stored uplinks again (after a decoder fix); return (processed, still failing)."""
    rows = list(
        session.scalars(select(Uplink).where(Uplink.status.in_(("failed", "unknown_device"))).limit(limit))
    )
    done = failed = 0
    for row in rows:
        device = find_device(session, row.dev_eui)
        if device is None:
            failed += 1
            continue
        row.device_id = device.id
        result = _decode_and_store(
            session,
            device,
            row,
            bytes.fromhex(row.payload_hex),
            row.f_port,
            row.received_at,
            decoded=_stored_decoded(row),  # devices whose network server decodes need its object again
        )
        done += result.status == "processed"
        failed += result.status != "processed"
    return done, failed


def _stored_decoded(row: Uplink) -> dict[str, Any] | None:
    body = row.body or {}
    found = body.get("object") or (body.get("uplink_message") or {}).get("decoded_payload")
    return found if isinstance(found, dict) else None


def list_uplinks(
    session: Session, *, status: str | None = None, device_id: int | None = None, limit: int = 100
) -> list[Uplink]:
    """Return the newest uplinks the principal may read (of one device, if given)."""
    stmt = select(Uplink).order_by(Uplink.id.desc()).limit(min(limit, 1000))
    if status:
        stmt = stmt.where(Uplink.status == status)
    if device_id is not None:
        stmt = stmt.where(Uplink.device_id == device_id)
    return list(session.scalars(stmt))


# --- inventory -----------------------------------------------------------------------------------


def set_inventory(
    session: Session, *, category: str, total: int, as_of: datetime, source: str
) -> InventoryCount:
    """Record how many of a kind of infrastructure exist (denominator of coverage KPIs)."""
    if total < 0:
        raise InvalidInput("total must not be negative")
    entry = InventoryCount(
        category=category, total=total, as_of=as_of, source=source, classification="public"
    )
    session.add(entry)
    session.flush()
    return entry


def latest_inventory(session: Session, category: str, at: datetime) -> int | None:
    """Return the newest total of a category known at ``at`` (summed over tenants that reported one)."""
    latest = (
        select(InventoryCount.tenant_id, func.max(InventoryCount.as_of).label("as_of"))
        .where(InventoryCount.category == category, InventoryCount.as_of <= at)
        .group_by(InventoryCount.tenant_id)
        .subquery()
    )
    stmt = (
        select(func.sum(InventoryCount.total))
        .join(
            latest,
            (InventoryCount.tenant_id == latest.c.tenant_id) & (InventoryCount.as_of == latest.c.as_of),
        )
        .where(InventoryCount.category == category)
    )
    return session.scalar(stmt)
