"""MQTT extension, receive side (STA 1.1 §14.2): publish created and changed public entities.

After a transaction commits, each created or changed entity is re-read through an *anonymous* session,
so only public entities reach the (unauthenticated) broker, and is published to the STA topics:
``v1.1/Observations``, ``v1.1/Observations(7)``, ``v1.1/Datastreams(1)/Observations`` (navigation
from each related entity) and, for updates, ``v1.1/Things(1)/name`` per changed property.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings.query import QueryOptions
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, EntityType, inverse
from gelsencloud.apis.sensorthings.serialize import prop_value
from gelsencloud.apis.sensorthings.service.bulk import CREATED_KEY  # ids of Core-inserted rows
from gelsencloud.core.mqtt import MqttBus, MqttError

LOGGER = logging.getLogger(__name__)
VERSION = "v1.1"
_BY_MODEL = {e.model: e for e in ENTITY_TYPES.values()}
_buses: dict[str, MqttBus] = {}
_lock = threading.Lock()
# Broker URL and public service root per database, recorded by the HTTP routes: MQTT ingestors get only
# the database, and need both to re-publish what they create (a core hook passing settings would be cleaner).
_config: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_selects: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remember(db: Any, url: str | None, base: str, select_topics: list[str] | None = None) -> None:
    """Record where changes made in ``db`` are published (called by the routes on each request)."""
    _config[db] = (url, base)
    if select_topics is not None:
        _selects[db] = _parsed_selects(tuple(select_topics))


def config_for(db: Any) -> tuple[str | None, str]:
    """Return (broker URL, service root) recorded for ``db``, else from the environment settings."""
    if db in _config:
        return _config[db]
    from gelsencloud.core.settings import get_settings

    settings = get_settings()
    return settings.mqtt_url, (settings.base_url or "").rstrip("/") + "/sta/v1.1"


@lru_cache(maxsize=16)
def _parsed_selects(configured: tuple[str, ...]) -> dict:
    # Called on every request: parse once; a bad entry is reported (also by `config validate`) and skipped.
    good = []
    for topic in configured:
        try:
            parse_select_topics([topic])
            good.append(topic)
        except ValueError as exc:
            LOGGER.error("%s", exc)
    return parse_select_topics(good)


def parse_select_topics(configured: list[str]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Parse ``v1.1/Things?$select=name,description`` topics into {entity set: [(topic, props)]}.

    STA 1.1 §14.2.4: a subscriber to such a topic receives each created or updated entity of the set
    with only the selected properties. Unknown sets or properties are configuration errors.
    """
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    by_set = {e.set_name: e for e in ENTITY_TYPES.values()}
    for topic in configured:
        path, _, query = topic.partition("?$select=")
        set_name = path.removeprefix(f"{VERSION}/")
        etype = by_set.get(set_name)
        if etype is None or not query:
            raise ValueError(f"MQTT $select topic {topic!r}: expected '{VERSION}/<EntitySet>?$select=a,b'")
        props = tuple(p.strip() for p in query.split(",") if p.strip())
        unknown = [p for p in props if p not in etype.props and p not in ("id", "@iot.id")]
        if unknown:
            raise ValueError(f"MQTT $select topic {topic!r}: {set_name} has no property {unknown[0]!r}")
        out.setdefault(set_name, []).append((topic, props))
    return out


def bus_for(url: str) -> MqttBus:
    """Return the process-wide publishing connection to ``url`` (connecting on first use)."""
    with _lock:
        bus = _buses.get(url)
        if bus is None:
            bus = MqttBus(url, client_id="")
            bus.start()
            bus.wait_connected(5)
            _buses[url] = bus
        return bus


def topics(etype: EntityType, obj: Any, changed: set[str] | None) -> list[tuple[str, Any]]:
    """(topic, payload-or-None) pairs for one entity; None means "the entity JSON"."""
    set_topic = f"{VERSION}/{etype.set_name}"
    out: list[tuple[str, Any]] = [(set_topic, None), (f"{set_topic}({obj.id})", None)]
    for nav in etype.navs.values():
        if nav.fk and getattr(obj, nav.fk) is not None:
            back = inverse(nav, etype)
            if back is not None:
                target = ENTITY_TYPES[nav.target]
                out.append((f"{VERSION}/{target.set_name}({getattr(obj, nav.fk)})/{back.name}", None))
    for name in sorted(changed or ()):
        out.append((f"{set_topic}({obj.id})/{name}", {name: prop_value(etype.props[name], obj)}))
    return out


def watch(session: Session, db: Any, url: str | None, base: str) -> None:
    """Publish this session's committed STA changes to the broker at ``url`` (no-op without one)."""
    if not url:
        return
    pending: dict[tuple[str, int], set[str] | None] = {}

    def after_flush(sess: Session, _context) -> None:
        for obj in list(sess.new) + list(sess.dirty):
            etype = _BY_MODEL.get(type(obj))
            if etype is None:
                continue
            key = (etype.name, obj.id)
            if obj in sess.new:
                pending[key] = None
                continue
            state = inspect(obj)
            changed = {n for n, p in etype.props.items() if state.attrs[p.attr].history.has_changes()}
            if changed and pending.get(key, set()) is not None:
                pending[key] = pending.get(key, set()) | changed
        for name, entity_id in sess.info.pop(CREATED_KEY, []):
            pending[(name, entity_id)] = None

    committed = {"flag": False}

    def after_commit(sess: Session) -> None:
        committed["flag"] = True  # also fired by savepoint commits: publish when the root transaction ends

    def after_transaction_end(sess: Session, transaction) -> None:
        if transaction.parent is not None or transaction.nested or not committed["flag"]:
            return
        committed["flag"] = False
        for name, entity_id in sess.info.pop(CREATED_KEY, []):
            pending[(name, entity_id)] = None
        items = dict(pending)
        pending.clear()
        if items:
            try:
                publish(db, url, base, items)
            except (MqttError, OSError):  # the broker is optional: the write has succeeded anyway
                LOGGER.exception("publishing SensorThings changes to MQTT failed")

    def after_soft_rollback(_sess: Session, previous) -> None:
        # A rolled-back request publishes nothing; rolled-back savepoints are filtered by the re-read.
        if previous.parent is None:
            pending.clear()
            committed["flag"] = False

    event.listen(session, "after_flush", after_flush)
    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_transaction_end", after_transaction_end)
    event.listen(session, "after_soft_rollback", after_soft_rollback)


def publish(db: Any, url: str, base: str, items: dict[tuple[str, int], set[str] | None]) -> int:
    """Publish entities readable by anonymous callers; return the number of messages sent.

    Also keeps a retained message with the newest Observation of each Datastream on
    ``v1.1/Datastreams(id)/Observations/latest`` (a GELSENcloud extension: a dashboard subscribing gets
    the current value at once), and serves the configured ``$select`` topics.
    """
    from gelsencloud.apis.sensorthings.service.read import ReadContext, entity_json

    bus = bus_for(url)
    selects = _selects.get(db, {})
    sent = 0
    by_type: dict[str, dict[int, set[str] | None]] = {}
    for (name, entity_id), changed in items.items():
        by_type.setdefault(name, {})[entity_id] = changed
    with db.transaction() as anonymous:  # only public entities are ever published
        ctx = ReadContext(anonymous, base)
        for name, changes in by_type.items():
            etype = ENTITY_TYPES[name]
            newest: dict[int, Any] = {}
            for obj in _load(anonymous, etype, list(changes)):
                document = entity_json(ctx, etype, obj, QueryOptions())
                body = json.dumps(document)
                for topic, payload in topics(etype, obj, changes[obj.id]):
                    bus.client.publish(topic, body if payload is None else json.dumps(payload), qos=1)
                    sent += 1
                for topic, props in selects.get(etype.set_name, ()):
                    wanted = {"@iot.id" if p == "id" else p for p in props}
                    picked = {k: v for k, v in document.items() if k in wanted}
                    bus.client.publish(topic, json.dumps(picked), qos=1)
                    sent += 1
                stream_id = getattr(obj, "datastream_id", None) if name == "Observation" else None
                if stream_id is not None:
                    best = newest.get(stream_id)
                    if best is None or obj.phenomenon_time_start >= best[0].phenomenon_time_start:
                        newest[stream_id] = (obj, body)
            sent += _retain_latest(anonymous, bus, newest)
    return sent


def _load(session: Session, etype: EntityType, ids: list[int]) -> list[Any]:
    """Load entities by id in chunks (one query per 500, not one per entity)."""
    from sqlalchemy import select

    model = etype.model
    found = []
    for i in range(0, len(ids), 500):
        found.extend(session.scalars(select(model).where(model.id.in_(ids[i : i + 500]))))
    return found


def _retain_latest(session: Session, bus: MqttBus, newest: dict[int, Any]) -> int:
    """Retain each Datastream's newest Observation, unless a newer one was stored before (backfill)."""
    from gelsencloud.apis.sensorthings.models import Datastream

    sent = 0
    for stream_id, (obj, body) in newest.items():
        stream = session.get(Datastream, stream_id)
        end = stream.phenomenon_time_end if stream is not None else None
        if (
            end is None
            or obj.phenomenon_time_start >= end
            or (obj.phenomenon_time_end is not None and obj.phenomenon_time_end >= end)
        ):
            bus.client.publish(
                f"{VERSION}/Datastreams({stream_id})/Observations/latest", body, qos=1, retain=True
            )
            sent += 1
    return sent
