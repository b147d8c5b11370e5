"""The webhook hot path: lean routes, raw SQLite rows, group commit - same answers and data as before."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.apps.sensorhub.batcher import UplinkBatcher, _Pending
from gelsencloud.apps.sensorhub.lorawan.uplinks import GatewayReception, chirpstack_v4_body
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.apps.sensorhub.models import Device, Uplink, registry_version
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth

DEV_EUI = "70b3d57ed0051234"
AIR = {"pm10": 23.4, "pm2_5": 12.1, "no2": 31.0, "temperature": 7.25, "humidity": 81.0, "pressure": 1012.5}


def message(f_cnt: int = 1, at: datetime | None = None) -> UplinkMessage:
    return UplinkMessage(
        dev_eui=DEV_EUI,
        received_at=at or datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        network_server="chirpstack",
        f_port=1,
        f_cnt=f_cnt,
        payload=decoders.encode("gelsencloud-airq", AIR),
        gateways=(GatewayReception("gw-rathaus-buer", rssi=-97.0, snr=6.5),),
        event_id=str(uuid.uuid4()),
    )


def register(client, key: str, **extra):
    body = {
        "name": "Luftmessstation Buer",
        "category": "air_quality",
        "dev_eui": DEV_EUI,
        "decoder": "gelsencloud-airq",
        "longitude": 7.0513,
        "latitude": 51.5774,
        **extra,
    }
    return client.post("/api/v1/sensorhub/devices", json=body, headers=auth(key))


OBSERVATION_COLUMNS = (
    "phenomenon_time_start, phenomenon_time_end, result_time, result, result_number, result_string, "
    "result_quality, valid_time_start, valid_time_end, parameters, datastream_id, feature_of_interest_id, "
    "tenant_id, classification"
)


def operator(world) -> Principal:
    return Principal(kind="apikey", tenant_id=world.tenants["gelsen-net"], role=Role.OPERATOR, name="op")


@pytest.mark.usefixtures("backend")
def test_the_webhook_stores_what_the_bulk_path_stores(client, world, db):
    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    up = message(f_cnt=5, at=datetime(2026, 11, 27, 10, 0, 0, 250000, tzinfo=UTC))
    answer = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(up), headers=auth(key))
    assert answer.status_code == 200 and answer.json()["observations"] == 6
    with db.transaction(SYSTEM) as session:
        device = session.scalar(select(Device))
        stream_id = device.datastreams["pm10"]
        assert device.last_seen_at == up.received_at and device.last_f_cnt == 5 and device.last_snr == 6.5
        stored = session.scalar(select(Uplink))
        assert stored.received_at == up.received_at and stored.body == chirpstack_v4_body(up)
        webhook_row = session.execute(
            text(f"SELECT {OBSERVATION_COLUMNS} FROM sta_observations WHERE datastream_id = :s"),
            {"s": stream_id},
        ).one()
    # The same reading through bulk.add_observations (the Core path): the stored columns must be identical.
    with db.transaction(operator(world)) as session:
        parameters = service.signal_parameters(up)
        [bulk_id] = add_observations(
            session,
            stream_id,
            [{"phenomenonTime": up.received_at, "result": AIR["pm10"], "parameters": parameters}],
        )
    with db.transaction(SYSTEM) as session:
        bulk_row = session.execute(
            text(f"SELECT {OBSERVATION_COLUMNS} FROM sta_observations WHERE id = :i"), {"i": bulk_id}
        ).one()
        read_back = session.get(Observation, bulk_id - 1)
    assert tuple(webhook_row) == tuple(bulk_row)
    assert read_back.phenomenon_time_start == up.received_at and read_back.parameters["rssi"] == -97.0
    stream = client.get(f"/sta/v1.1/Datastreams({stream_id})", headers=auth(key)).json()
    assert stream["phenomenonTime"] == "2026-11-27T10:00:00.250000Z/2026-11-27T10:00:00.250000Z"


@pytest.mark.usefixtures("backend")
def test_datastream_bounds_and_link_state_only_move_forward(client, world, db):
    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    late, early, middle = (message(f_cnt=n, at=start + timedelta(hours=n)) for n in (3, 1, 2))
    with db.transaction(operator(world)) as session:
        service.ingest_uplinks(session, [(late, {}), (early, {})])
    with db.transaction(operator(world)) as session:
        service.ingest_uplinks(session, [(middle, {})])  # older than the stored link state and end bound
    with db.transaction(SYSTEM) as session:
        device = session.scalar(select(Device))
        assert device.last_seen_at == late.received_at and device.last_f_cnt == 3
        stream_id = device.datastreams["no2"]
    stream = client.get(f"/sta/v1.1/Datastreams({stream_id})", headers=auth(key)).json()
    assert stream["phenomenonTime"] == "2026-11-27T09:00:00Z/2026-11-27T11:00:00Z"


@pytest.mark.usefixtures("backend")
def test_a_conflict_found_only_by_the_insert_is_retried_one_by_one(client, world, db, monkeypatch):
    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    first = message(f_cnt=1)
    assert (
        client.post("/ingest/chirpstack", json=chirpstack_v4_body(first), headers=auth(key)).status_code
        == 200
    )
    # A concurrent writer stored `first` after this batch looked for repeats: only the insert notices.
    monkeypatch.setattr(service, "_stored_events", lambda session, messages: {})
    start = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    fresh = [message(f_cnt=n, at=start + timedelta(minutes=n)) for n in (2, 3)]
    batch = [_Pending(operator(world), m, chirpstack_v4_body(m), None) for m in (fresh[0], first, fresh[1])]
    outcomes = UplinkBatcher(db).write(batch)
    assert [o.status for o in outcomes] == ["processed", "duplicate", "processed"]
    with db.transaction(SYSTEM) as session:  # the failed batch left nothing half-written behind
        assert session.scalar(select(func.count()).select_from(Uplink)) == 3
        assert session.scalar(select(func.count()).select_from(Observation)) == 18
        assert sorted(u.f_cnt for u in session.scalars(select(Uplink))) == [1, 2, 3]


@pytest.mark.usefixtures("backend")
def test_repeats_sent_concurrently_are_stored_once(app, client, world, db):
    from helpers import post_all, serve

    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    start = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    ups = [message(f_cnt=n, at=start + timedelta(seconds=n)) for n in range(10)]
    bodies = [chirpstack_v4_body(u) for u in ups] * 3  # every event delivered three times at once
    with serve(app) as base:
        responses = asyncio.run(post_all(base, key, "/ingest/chirpstack?event=up", bodies))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    by_event: dict[str, set[int]] = {}
    for body, response in zip(bodies, responses, strict=True):
        by_event.setdefault(body["deduplicationId"], set()).add(response.json()["uplink_id"])
    assert all(len(ids) == 1 for ids in by_event.values())  # each answer names the one stored uplink
    assert [r.json()["status"] for r in responses].count("processed") == 10
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Uplink)) == 10
        assert session.scalar(select(func.count()).select_from(Observation)) == 60


def test_the_lean_webhook_routes_answer_errors_as_the_platform_does(app, client, world):
    key = world.keys["net.operator"]
    body = chirpstack_v4_body(message())
    anonymous = client.post("/ingest/chirpstack?event=up", json=body, headers={"X-Request-ID": "trace-1234"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["error"]["code"] == "unauthorized"
    assert anonymous.json()["error"]["request_id"] == anonymous.headers["x-request-id"] == "trace-1234"
    wrong = client.post("/ingest/ttn", json={}, headers=auth("gck_" + uuid.uuid4().hex))
    assert wrong.status_code == 401 and "API key" in wrong.json()["error"]["message"]
    assert client.get("/ingest/chirpstack", headers=auth(key)).status_code == 405
    huge = client.post(
        "/ingest/chirpstack",
        content=b'{"x": "' + b"a" * (1024 * 1024) + b'"}',
        headers={**auth(key), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    not_json = client.post(
        "/ingest/ttn", content=b"{", headers={**auth(key), "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["status"] == "rejected"
    join = client.post("/ingest/chirpstack?event=join", json=body, headers=auth(key))
    assert join.status_code == 202 and join.json()["status"] == "ignored"
    unknown = client.post("/ingest/chirpstack", json=chirpstack_v4_body(message(f_cnt=2)), headers=auth(key))
    assert unknown.status_code == 422 and unknown.json()["status"] == "unknown_device"  # "up" is the default
    spec = client.get("/api/openapi.json").json()["paths"]
    assert [p["name"] for p in spec["/ingest/chirpstack"]["post"]["parameters"]] == ["event"]
    assert "/ingest/ttn" in spec


def test_a_device_of_another_tenant_is_refused_with_403(client, world):
    assert register(client, world.keys["net.operator"], classification="public").status_code == 201
    up = replace(message(f_cnt=9), event_id=str(uuid.uuid4()))
    answer = client.post(
        "/ingest/chirpstack", json=chirpstack_v4_body(up), headers=auth(world.keys["city.editor"])
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


@pytest.mark.mqtt
@pytest.mark.usefixtures("backend")
def test_observations_of_a_webhook_batch_are_published_over_mqtt(settings, db, registry, world):
    import json
    import queue
    import time

    import paho.mqtt.client as paho
    from fastapi.testclient import TestClient
    from paho.mqtt.enums import CallbackAPIVersion

    from gelsencloud.core.app import create_app
    from gelsencloud.core.mqtt import parse_url
    from helpers import require_mqtt

    url = require_mqtt()
    host, port, *_ = parse_url(url)
    received: queue.Queue = queue.Queue()
    subscriber = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"hub-test-{uuid.uuid4().hex[:8]}")
    subscriber.on_message = lambda _c, _u, msg: received.put((msg.topic, msg.payload.decode()))
    subscriber.connect(host, port)
    subscriber.subscribe("v1.1/Observations", qos=1)
    subscriber.loop_start()
    time.sleep(0.3)
    marker = f"gw-{uuid.uuid4().hex[:8]}"  # the gateway is in every Observation's parameters
    try:
        app = create_app(settings.model_copy(update={"mqtt_url": url}), db, registry, run_jobs=False)
        with TestClient(app) as client:
            key = world.keys["net.operator"]
            assert register(client, key).status_code == 201
            client.get("/sta/v1.1/Datastreams", headers=auth(key))  # records the broker for this database
            up = replace(message(), gateways=(GatewayReception(marker, rssi=-90.0, snr=5.0),))
            answer = client.post("/ingest/chirpstack", json=chirpstack_v4_body(up), headers=auth(key))
            assert answer.status_code == 200
            published = []
            deadline = time.monotonic() + 5
            while len(published) < 6 and time.monotonic() < deadline:
                try:
                    topic, payload = received.get(timeout=0.2)
                except queue.Empty:
                    continue
                if marker in payload:
                    published.append(json.loads(payload))
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()
    assert sorted(o["result"] for o in published) == sorted(AIR.values())


def test_the_webhooks_are_served_without_routing_and_answer_as_routed(app, client, world, monkeypatch):
    routed: list[str] = []
    router_class = type(app.router)
    route_request = router_class.__call__

    async def counting(self, scope, receive, send):
        routed.append(scope["path"])
        await route_request(self, scope, receive, send)

    monkeypatch.setattr(router_class, "__call__", counting)
    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    answer = client.post("/ingest/chirpstack", json=chirpstack_v4_body(message()), headers=auth(key))
    assert answer.status_code == 200 and answer.json()["status"] == "processed"
    assert len(answer.headers["x-request-id"]) == 32
    refused = client.post("/ingest/ttn", json={}, headers={"X-Request-ID": "trace-5678"})
    assert refused.status_code == 401 and refused.json()["error"]["request_id"] == "trace-5678"
    assert client.get("/ingest/chirpstack", headers=auth(key)).status_code == 405  # GET is routed
    assert routed == ["/api/v1/sensorhub/devices", "/ingest/chirpstack"]


@pytest.mark.usefixtures("backend")
def test_battery_level_follows_the_newest_uplink_and_new_quantities_get_datastreams(client, world, db):
    key = world.keys["net.operator"]
    fill = {
        "name": "Unterflurbehälter Heinrich-König-Platz",
        "decoder": "gelsencloud-fill",
        "category": "waste_container",
    }
    assert register(client, key, **fill).status_code == 201
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def reading(f_cnt: int, hours: int, battery: int) -> UplinkMessage:
        payload = decoders.encode("gelsencloud-fill", {"distance": 800, "battery": battery, "tilt": 0})
        return replace(message(f_cnt=f_cnt, at=start + timedelta(hours=hours)), payload=payload)

    # One batch: the newest uplink (f_cnt 2, battery 80) wins, whatever the order in the batch.
    with db.transaction(operator(world)) as session:
        results = service.ingest_uplinks(session, [(reading(2, 2, 80), {}), (reading(1, 1, 95), {})])
    assert [r.status for r in results] == ["processed", "processed"]
    with db.transaction(operator(world)) as session:  # older than the stored state: battery unchanged
        service.ingest_uplinks(session, [(reading(0, 0, 99), {})])
    with db.transaction(SYSTEM) as session:
        device = session.scalar(select(Device))
        assert (device.battery, device.last_f_cnt) == (80.0, 2)
        # The first uplink of a new device created its Datastreams (through the ORM object) once.
        assert set(device.datastreams) == {"distance", "battery", "tilt"}
        assert session.scalar(select(func.count()).select_from(Observation)) == 9
    with db.transaction(operator(world)) as session:
        loaded = session.scalar(select(Device))  # a device this session holds sees the stored state
        service.ingest_uplinks(session, [(reading(3, 3, 70), {})])
        assert (loaded.battery, loaded.last_f_cnt) == (70.0, 3)


# --- batches read before the writer lock and written after it: what changed in between counts ---
START = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


def batch_of(world, *messages) -> list[_Pending]:
    return [_Pending(operator(world), m, chirpstack_v4_body(m), None) for m in messages]


def uplinks(count: int) -> list[UplinkMessage]:
    return [message(f_cnt=n, at=START + timedelta(minutes=n)) for n in range(1, count + 1)]


def version(db) -> int:
    with db.transaction(SYSTEM) as session:
        return session.scalar(select(registry_version.c.version))


@pytest.mark.usefixtures("backend")
def test_a_thing_reclassified_meanwhile_gives_the_batch_its_new_classification(client, world, db):
    key = world.keys["net.operator"]
    device = register(client, key).json()
    batcher = UplinkBatcher(db)
    first, second = uplinks(2)
    assert [o.status for o in batcher.write(batch_of(world, first))] == ["processed"]  # its FoI exists now
    batch = batch_of(world, second)
    prepared = batcher.prepare(batch)  # reads the Datastreams as public
    assert next(iter(prepared.values()))[1].observations.rows or not db.backend == "sqlite"
    answer = client.patch(
        f"/sta/v1.1/Things({device['thing_id']})",
        json={"@gelsencloud.classification": "internal"},
        headers=auth(key),
    )
    assert answer.status_code == 200, answer.text
    assert [o.status for o in batcher.write(batch, prepared)] == ["processed"]
    with db.transaction(SYSTEM) as session:
        classes = session.scalars(select(Observation.classification)).all()
    # The reclassification covered the first uplink's rows; written with what was read before it, the
    # second uplink's rows would have stayed public.
    assert len(classes) == 12 and set(classes) == {"internal"}


@pytest.mark.usefixtures("backend")
def test_a_device_deactivated_meanwhile_gets_its_uplinks_ignored(client, world, db):
    key = world.keys["net.operator"]
    device = register(client, key).json()
    batcher = UplinkBatcher(db)
    batch = batch_of(world, *uplinks(2))
    prepared = batcher.prepare(batch)
    assert client.delete(f"/api/v1/sensorhub/devices/{device['id']}", headers=auth(key)).status_code == 204
    outcomes = batcher.write(batch, prepared)
    assert [o.status for o in outcomes] == ["ignored", "ignored"]
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
        assert session.scalar(select(func.count()).select_from(Uplink)) == 2


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("named", [True, False], ids=["event-id", "no-event-id"])
def test_a_repeat_stored_meanwhile_is_answered_as_duplicate(client, world, db, named):
    key = world.keys["net.operator"]
    register(client, key)
    first, second = uplinks(2)
    if not named:  # recognised by DevEUI, frame counter and time, which no constraint guards
        first, second = replace(first, event_id=None), replace(second, event_id=None)
    batcher = UplinkBatcher(db)
    batch = batch_of(world, first, second)
    prepared = batcher.prepare(batch)
    with db.transaction(operator(world)) as session:  # another server process stores `first`
        stored = service.ingest_uplink(session, first, {}).uplink_id
    outcomes = batcher.write(batch, prepared)
    assert [o.status for o in outcomes] == ["duplicate", "processed"]
    assert outcomes[0].uplink_id == stored
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Uplink)) == 2
        assert session.scalar(select(func.count()).select_from(Observation)) == 12


@pytest.mark.usefixtures("backend")
def test_only_registry_changes_move_the_version(client, world, db):
    key = world.keys["net.operator"]
    before = version(db)
    device = register(client, key).json()
    batcher = UplinkBatcher(db)
    first, second = uplinks(2)
    assert [o.status for o in batcher.write(batch_of(world, first))] == ["processed"]
    registered = version(db)  # the device, then its Datastreams, created by its first uplink
    assert registered > before
    assert [o.status for o in batcher.write(batch_of(world, second))] == ["processed"]
    # Link state, Datastream time ranges and Observations are what every batch writes: not counted,
    # or every batch prepared apart would be prepared twice.
    assert version(db) == registered
    with db.transaction(SYSTEM) as session:
        assert session.get(Device, device["id"]).last_f_cnt == 2
    assert client.delete(f"/api/v1/sensorhub/devices/{device['id']}", headers=auth(key)).status_code == 204
    assert version(db) > registered


@pytest.mark.usefixtures("backend")
def test_the_batcher_reads_the_registry_once_until_it_changes(client, world, db):
    from sqlalchemy import event

    key = world.keys["net.operator"]
    register(client, key)
    batcher = UplinkBatcher(db)
    first, second, third = uplinks(3)
    assert [o.status for o in batcher.write(batch_of(world, first))] == ["processed"]  # creates Datastreams
    assert [o.status for o in batcher.write(batch_of(world, second))] == ["processed"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        prepared = batcher.prepare(batch_of(world, third))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # The registry version and the repeat check; devices, Datastreams and features come from the snapshot.
    registry_reads = [s for s in statements if "sensorhub_devices" in s or "sta_datastreams" in s]
    assert len(statements) == 2 and not registry_reads, statements
    assert [o.status for o in batcher.write(batch_of(world, third), prepared)] == ["processed"]


@pytest.mark.usefixtures("backend")
def test_a_thing_moved_between_batches_gets_a_new_feature_of_interest(client, world, db):
    key = world.keys["net.operator"]
    device = register(client, key).json()
    batcher = UplinkBatcher(db)
    first, second, third = uplinks(3)
    for up in (first, second):  # the first creates the Datastreams; the second fills the snapshot
        assert [o.status for o in batcher.write(batch_of(world, up))] == ["processed"]
    moved = client.post(
        "/sta/v1.1/Locations",
        json={
            "name": "Neuer Standort",
            "description": "Luftmessstation nach dem Umzug",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [7.0861, 51.5427]},
        },
        headers=auth(key),
    )
    assert moved.status_code == 201, moved.text
    answer = client.patch(
        f"/sta/v1.1/Things({device['thing_id']})",
        json={"Locations": [{"@iot.id": moved.json()["@iot.id"]}]},
        headers=auth(key),
    )
    assert answer.status_code == 200, answer.text
    assert [o.status for o in batcher.write(batch_of(world, third))] == ["processed"]
    with db.transaction(SYSTEM) as session:
        features = dict(
            session.execute(
                select(Observation.phenomenon_time_start, Observation.feature_of_interest_id).distinct()
            ).all()
        )
    at = [up.received_at for up in (first, second, third)]
    assert features[at[0]] == features[at[1]] != features[at[2]]  # the third uplink's are at the new place
