"""MQTT extension (receive updates) against the real broker: public changes are pushed, internal ones not."""

from __future__ import annotations

import json
import queue
import time
import uuid

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sta_helpers import ROOT, create, weather_station

from gelsencloud.core.mqtt import parse_url
from helpers import require_mqtt

pytestmark = [pytest.mark.mqtt, pytest.mark.usefixtures("backend")]


@pytest.fixture
def mqtt_client(settings, db, registry, world):
    """The app configured with the broker, plus a subscriber on v1.1/# collecting messages."""
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    url = require_mqtt()
    host, port, *_ = parse_url(url)
    received: queue.Queue = queue.Queue()
    subscriber = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sta-test-{uuid.uuid4().hex[:8]}")

    def on_message(_client, _userdata, msg) -> None:
        try:
            received.put((msg.topic, json.loads(msg.payload)))
        except ValueError:
            pass  # a malformed message published by the test itself

    subscriber.on_message = on_message
    subscriber.connect(host, port)
    subscriber.subscribe("v1.1/#", qos=1)
    subscriber.loop_start()
    time.sleep(0.3)
    app = create_app(settings.model_copy(update={"mqtt_url": url}), db, registry, run_jobs=False)
    with TestClient(app) as client:
        yield client, received
    subscriber.loop_stop()
    subscriber.disconnect()


def _collect(received: queue.Queue, marker: str, seconds: float = 3.0) -> dict[str, list]:
    """Messages whose payload mentions ``marker`` (other tests may share the broker)."""
    found: dict[str, list] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            topic, payload = received.get(timeout=0.2)
        except queue.Empty:
            continue
        if marker in json.dumps(payload):
            found.setdefault(topic, []).append(payload)
    return found


def test_public_changes_are_published_on_sta_topics(mqtt_client, editor):
    client, received = mqtt_client
    marker = f"MQTT-{uuid.uuid4().hex[:8]}"
    thing_id = create(client, "Things", weather_station(name=marker), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    obs_id = create(
        client, f"Datastreams({stream_id})/Observations", {"result": 7, "parameters": {"m": marker}}, editor
    )
    client.patch(f"{ROOT}/Things({thing_id})", json={"description": f"neu {marker}"}, headers=editor)
    found = _collect(received, marker)
    assert f"v1.1/Things({thing_id})" in found and "v1.1/Things" in found
    assert found["v1.1/Observations"][0]["@iot.id"] == obs_id
    assert found[f"v1.1/Datastreams({stream_id})/Observations"][0]["result"] == 7
    assert found[f"v1.1/Observations({obs_id})"][0]["parameters"] == {"m": marker}
    assert found[f"v1.1/Things({thing_id})/description"] == [{"description": f"neu {marker}"}]


def test_service_root_advertises_the_mqtt_extension(mqtt_client):
    client, _ = mqtt_client
    settings = client.get(ROOT).json()["serverSettings"]
    receive = "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates"
    assert receive in settings["conformance"]
    assert settings[receive]["endpoints"][0].startswith("mqtt://")


def test_internal_changes_are_not_published(mqtt_client, editor):
    client, received = mqtt_client
    marker = f"SECRET-{uuid.uuid4().hex[:8]}"
    thing_id = create(client, "Things", weather_station(name=marker, classification="internal"), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    create(
        client, f"Datastreams({stream_id})/Observations", {"result": 1, "parameters": {"m": marker}}, editor
    )
    assert _collect(received, marker, seconds=1.5) == {}
    # a failed (rolled back) public write publishes nothing either
    bad = weather_station(name=f"{marker}-bad")
    del bad["Datastreams"][0]["Sensor"]["metadata"]
    assert client.post(f"{ROOT}/Things", json=bad, headers=editor).status_code == 400
    assert _collect(received, f"{marker}-bad", seconds=1.0) == {}


def test_observations_published_to_the_broker_are_created(mqtt_client, editor, db):
    from gelsencloud.apis.sensorthings.models import Datastream
    from gelsencloud.core.principal import SYSTEM

    client, received = mqtt_client
    marker = f"PUB-{uuid.uuid4().hex[:8]}"
    thing_id = create(client, "Things", weather_station(name=marker), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    # A random, large id: other test runs sharing the broker have no such Datastream and ignore the message.
    unique = 100_000 + uuid.uuid4().int % 800_000_000
    with db.transaction(SYSTEM) as session:
        session.get(Datastream, stream_id).id = unique
    host, port, *_ = parse_url(require_mqtt())
    publisher = paho.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(host, port)
    publisher.loop_start()
    publisher.publish(
        f"v1.1/Datastreams({unique})/Observations",
        json.dumps({"result": 42, "parameters": {"m": marker}}),
        qos=1,
    ).wait_for_publish(5)
    publisher.publish(
        "v1.1/Observations", json.dumps({"result": 43, "Datastream": {"@iot.id": unique}}), qos=1
    ).wait_for_publish(5)
    publisher.publish(f"v1.1/Datastreams({unique})/Observations", b"{broken", qos=1).wait_for_publish(5)
    publisher.loop_stop()
    publisher.disconnect()
    deadline, results = time.monotonic() + 5, []
    while time.monotonic() < deadline and len(results) < 2:
        time.sleep(0.2)
        results = sorted(
            o["result"]
            for o in client.get(f"{ROOT}/Datastreams({unique})/Observations", headers=editor).json()["value"]
        )
    assert results == [42, 43]
    # created over MQTT, pushed over MQTT like any other insert (FROST #2097)
    found = _collect(received, marker)
    notifications = [p for p in found[f"v1.1/Datastreams({unique})/Observations"] if "@iot.id" in p]
    assert [p["result"] for p in notifications] == [42]
    assert notifications[0]["@iot.selfLink"].startswith(f"http://testserver{ROOT}/Observations(")


@pytest.fixture
def select_client(settings, db, registry, world):
    """The app with a configured $select topic, and a subscriber on it and on the retained latest topics."""
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    url = require_mqtt()
    host, port, *_ = parse_url(url)
    received: queue.Queue = queue.Queue()
    subscriber = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sta-sel-{uuid.uuid4().hex[:8]}")
    subscriber.on_message = lambda _c, _u, msg: received.put((msg.topic, json.loads(msg.payload)))
    subscriber.connect(host, port)
    subscriber.subscribe("v1.1/Observations?$select=result,phenomenonTime", qos=1)
    subscriber.loop_start()
    time.sleep(0.3)
    topics = ["v1.1/Observations?$select=result,phenomenonTime"]
    app = create_app(
        settings.model_copy(update={"mqtt_url": url, "sta_mqtt_select_topics": topics}),
        db,
        registry,
        run_jobs=False,
    )
    with TestClient(app) as client:
        yield client, received
    subscriber.loop_stop()
    subscriber.disconnect()


def test_select_topics_carry_only_the_selected_properties(select_client, editor):
    client, received = select_client
    thing_id = create(client, "Things", weather_station(name=f"SEL-{uuid.uuid4().hex[:6]}"), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    value = uuid.uuid4().int % 1_000_000 + 0.5  # identifies this test's message on a shared broker
    create(
        client,
        f"Datastreams({stream_id})/Observations",
        {"result": value, "phenomenonTime": "2026-01-01T00:00:00Z"},
        editor,
    )
    deadline, found = time.monotonic() + 5, None
    while time.monotonic() < deadline and found is None:
        try:
            topic, payload = received.get(timeout=0.2)
        except queue.Empty:
            continue
        if payload.get("result") == value:
            found = (topic, payload)
    assert found == (
        "v1.1/Observations?$select=result,phenomenonTime",
        {"result": value, "phenomenonTime": "2026-01-01T00:00:00Z"},
    )


def test_the_newest_observation_of_a_datastream_is_retained(mqtt_client, editor):
    client, _ = mqtt_client
    newest = uuid.uuid4().int % 1_000_000 + 0.25  # retained messages outlive test runs: be unique
    thing_id = create(client, "Things", weather_station(name=f"RET-{uuid.uuid4().hex[:6]}"), editor)
    stream_id = client.get(f"{ROOT}/Things({thing_id})/Datastreams", headers=editor).json()["value"][0][
        "@iot.id"
    ]
    create(
        client,
        f"Datastreams({stream_id})/Observations",
        {"result": newest, "phenomenonTime": "2026-01-02T00:00:00Z"},
        editor,
    )
    # A backfilled older value must not replace the retained latest one.
    create(
        client,
        f"Datastreams({stream_id})/Observations",
        {"result": 1, "phenomenonTime": "2026-01-01T00:00:00Z"},
        editor,
    )
    time.sleep(0.5)
    host, port, *_ = parse_url(require_mqtt())
    late: queue.Queue = queue.Queue()
    subscriber = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sta-ret-{uuid.uuid4().hex[:8]}")
    subscriber.on_message = lambda _c, _u, msg: late.put((msg.topic, json.loads(msg.payload), msg.retain))
    subscriber.connect(host, port)
    topic = f"v1.1/Datastreams({stream_id})/Observations/latest"
    subscriber.subscribe(
        topic, qos=1
    )  # subscribed after the fact: the broker hands over the retained message
    subscriber.loop_start()
    try:
        got = late.get(timeout=5)
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()
    assert got[0] == topic and got[2] is True
    assert got[1]["result"] == newest and got[1]["phenomenonTime"] == "2026-01-02T00:00:00Z"
