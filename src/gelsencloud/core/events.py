"""In-process event bus: events published inside a unit of work reach subscribers after its commit.

``publish(session, topic, payload)`` only queues the event on the SQLAlchemy session. When the
session's outermost transaction commits, every queued event is handed to the subscribers whose
pattern matches its topic. Work that is rolled back (the whole transaction, or a SAVEPOINT the
event was published in) never produces events, so subscribers never react to data that does not
exist. Subscribers run synchronously in the committing thread after the commit; their errors are
logged and never reach the request that published the event. Optionally every event is mirrored
to MQTT as ``gelsencloud/events/<topic>`` (see :func:`enable_mqtt_mirror`).

Topics are dotted names (``maengelmelder.request.created``); subscription patterns are shell-style
(``maengelmelder.request.*``, ``*``) matched with :func:`fnmatch.fnmatchcase`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

LOGGER = logging.getLogger(__name__)
MQTT_PREFIX = "gelsencloud/events/"
_QUEUE = "gelsencloud.events.queue"  # key in Session.info
_TOPIC = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Event:
    """One delivered event: topic, JSON-serialisable payload, unique id and time of publication."""

    topic: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        """Serialise the event (the MQTT mirror's message body)."""
        return json.dumps(
            {
                "id": self.id,
                "topic": self.topic,
                "occurred_at": self.occurred_at.isoformat(),
                "payload": self.payload,
            },
            ensure_ascii=False,
        )


Handler = Callable[[Event], None]
_subscribers: list[tuple[str, Handler]] = []
_lock = threading.Lock()


def subscribe(topic_pattern: str, handler: Handler) -> Callable[[], None]:
    """Call ``handler(event)`` for every committed event matching the pattern; return an unsubscriber."""
    if not topic_pattern:
        raise ValueError("topic pattern must not be empty")
    entry = (topic_pattern, handler)
    with _lock:
        _subscribers.append(entry)

    def unsubscribe() -> None:
        with _lock:
            if entry in _subscribers:
                _subscribers.remove(entry)

    return unsubscribe


def publish(session: Session, topic: str, payload: dict[str, Any]) -> Event:
    """Queue an event on the session; it is delivered after the session's transaction commits."""
    if not _TOPIC.match(topic):
        raise ValueError(f"event topic {topic!r} must be dotted lower-case words, e.g. app.thing.happened")
    # Serialise now: a payload that cannot be delivered must fail in the publisher, not later.
    json.dumps(payload)
    published = Event(topic=topic, payload=dict(payload))
    if session.get_transaction() is None:
        session.begin()  # bind the event to a transaction from the start (autobegin is lazy)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_QUEUE, []).append((transaction, published))
    return published


def pending(session: Session) -> list[Event]:
    """Return the events queued on a session and not yet delivered (for tests and debugging)."""
    return [e for _, e in session.info.get(_QUEUE, [])]


def deliver(published: Event) -> None:
    """Hand one event to every matching subscriber; a failing subscriber is logged and skipped."""
    with _lock:
        targets = [h for pattern, h in _subscribers if fnmatchcase(published.topic, pattern)]
    for handler in targets:
        try:
            handler(published)
        except Exception:  # a subscriber's bug must not break the request that caused the event
            LOGGER.exception("event subscriber %r failed on %s (%s)", handler, published.topic, published.id)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@sa_event.listens_for(Session, "after_soft_rollback")
def _discard_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queue = session.info.get(_QUEUE)
    if queue:
        # Events of the rolled-back transaction and of everything nested in it are void.
        queue[:] = [(t, e) for t, e in queue if not _within(t, previous_transaction)]


@sa_event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    queue = session.info.pop(_QUEUE, None)
    for _, published in queue or ():
        deliver(published)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_unfinished(session: Session, transaction: SessionTransaction) -> None:
    # A root transaction that ended without commit (session.close()) leaves no events behind.
    if transaction.parent is None and transaction.nested is False:
        queue = session.info.get(_QUEUE)
        if queue:
            queue[:] = [(t, e) for t, e in queue if not _within(t, transaction)]


# --- optional MQTT mirror -----------------------------------------------------------------------

_mirror: dict[str, Any] = {}


def enable_mqtt_mirror(bus: Any) -> Callable[[], None]:
    """Mirror every event to ``gelsencloud/events/<topic>`` on a started ``core.mqtt.MqttBus``.

    Messages are handed to the MQTT client's queue (QoS 1) without waiting for the broker, so a
    slow or absent broker never delays the request; paho retries while it reconnects.
    """
    disable_mqtt_mirror()

    def mirror(published: Event) -> None:
        bus.client.publish(MQTT_PREFIX + published.topic.replace(".", "/"), published.to_json(), qos=1)

    _mirror["unsubscribe"] = subscribe("*", mirror)
    return disable_mqtt_mirror


def disable_mqtt_mirror() -> None:
    """Stop mirroring events to MQTT."""
    unsubscribe = _mirror.pop("unsubscribe", None)
    if unsubscribe is not None:
        unsubscribe()
