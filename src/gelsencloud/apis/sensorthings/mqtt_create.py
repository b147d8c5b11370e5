"""MQTT extension, create side (STA 1.1 §14.3): Observations published to ``v1.1/…/Observations``.

Topics: ``v1.1/Observations`` (the body links its Datastream or MultiDatastream by ``@iot.id``),
``v1.1/Datastreams(<id>)/Observations``, ``v1.1/MultiDatastreams(<id>)/Observations`` and
``v1.1/FeaturesOfInterest(<id>)/Observations``. As for every platform ingestor the broker is trusted
(its ACL decides who may publish); the Observation is written as an operator of the tenant owning the
Datastream. Messages carrying ``@iot.id`` are our own notifications on the same topics and are skipped.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings import notify
from gelsencloud.apis.sensorthings.dispatch import Call, dispatch
from gelsencloud.apis.sensorthings.errors import StaError
from gelsencloud.apis.sensorthings.query import QueryError
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.principal import SYSTEM, Principal, Role

LOGGER = logging.getLogger(__name__)
TOPICS = ("v1.1/Observations", "v1.1/+/Observations")
_PARENT = re.compile(r"^v1\.1/(Datastreams|MultiDatastreams|FeaturesOfInterest)\((\d+)\)/Observations$")


def _stream_of(session, topic: str, body: dict[str, Any]) -> Any | None:
    match = _PARENT.match(topic)
    if match and match.group(1) != "FeaturesOfInterest":
        model = m.Datastream if match.group(1) == "Datastreams" else m.MultiDatastream
        key = int(match.group(2))
        return session.get(model, key) if key < 2**31 else None
    for key, model in (("Datastream", m.Datastream), ("MultiDatastream", m.MultiDatastream)):
        link = body.get(key)
        if isinstance(link, dict) and isinstance(link.get("@iot.id"), int) and 0 < link["@iot.id"] < 2**31:
            return session.get(model, link["@iot.id"])
    return None


def handle_message(topic: str, payload: bytes, db) -> None:
    """Create one Observation from an MQTT message (invalid messages are logged and dropped)."""
    if topic != "v1.1/Observations" and not _PARENT.match(topic):
        return
    try:
        body = json.loads(payload)
    except ValueError:
        LOGGER.warning("ignored non-JSON SensorThings message on %s", topic)
        return
    if not isinstance(body, dict) or "@iot.id" in body or "@iot.selfLink" in body:
        return  # a notification we (or another server) published, not a create request
    url, base = notify.config_for(db)
    with db.transaction(SYSTEM) as session:
        stream = _stream_of(session, topic, body)
        if stream is None:
            LOGGER.warning("ignored SensorThings message on %s: no known Datastream", topic)
            return
        session.info["principal"] = Principal(
            kind="apikey", tenant_id=stream.tenant_id, role=Role.OPERATOR, name=f"mqtt:{topic}"
        )
        notify.watch(session, db, url, base)
        savepoint = session.begin_nested()
        try:
            dispatch(session, base, Call("POST", topic.removeprefix("v1.1/"), {}, body))
            savepoint.commit()
        except (StaError, QueryError, PermissionDenied) as exc:
            savepoint.rollback()
            LOGGER.warning("ignored invalid SensorThings message on %s: %s", topic, exc)
