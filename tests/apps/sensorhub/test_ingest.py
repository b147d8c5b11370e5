"""LoRaWAN ingestion end to end: webhook or MQTT -> raw uplink -> decoder -> SensorThings Observations."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.apps.sensorhub.kpi import InfrastructureKpis
from gelsencloud.apps.sensorhub.lorawan.uplinks import (
    GatewayReception,
    chirpstack_topic,
    chirpstack_v4_body,
    tts_v3_body,
)
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.apps.sensorhub.models import Device, Uplink
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth, require_mqtt

DEV_EUI = "70b3d57ed0051234"
AIR = {"pm10": 23.4, "pm2_5": 12.1, "no2": 31.0, "temperature": 7.25, "humidity": 81.0, "pressure": 1012.5}


def message(
    dev_eui: str = DEV_EUI,
    f_cnt: int = 1,
    payload: bytes | None = None,
    network: str = "chirpstack",
    at: datetime | None = None,
) -> UplinkMessage:
    return UplinkMessage(
        dev_eui=dev_eui,
        received_at=at or datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        network_server=network,
        f_port=1,
        f_cnt=f_cnt,
        payload=decoders.encode("gelsencloud-airq", AIR) if payload is None else payload,
        application_id="luftqualitaet",
        device_name="Luftmessstation Buer",
        gateways=(GatewayReception("gw-rathaus-buer", rssi=-97.0, snr=6.5),),
        event_id=str(uuid.uuid4()) if network == "chirpstack" else None,
    )


def register(client, key: str, **extra):
    body = {
        "name": "Luftmessstation Buer",
        "category": "air_quality",
        "dev_eui": DEV_EUI,
        "decoder": "gelsencloud-airq",
        "longitude": 7.0513,
        "latitude": 51.5774,
        "site": "Rathaus Buer",
        **extra,
    }
    return client.post("/api/v1/sensorhub/devices", json=body, headers=auth(key))


@pytest.mark.usefixtures("backend")
def test_chirpstack_webhook_turns_an_uplink_into_observations(client, world):
    key = world.keys["net.operator"]
    created = register(client, key)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["thing_id"] and device["state"] == "never_seen"
    up = message()
    response = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(up), headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processed" and response.json()["observations"] == 6
    again = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(up), headers=auth(key))
    assert again.json()["status"] == "duplicate"
    device = client.get(f"/api/v1/sensorhub/devices/{device['id']}", headers=auth(key)).json()
    assert set(device["datastreams"]) == set(AIR) and device["last_rssi"] == -97.0
    pm10 = device["datastreams"]["pm10"]
    observations = client.get(f"/sta/v1.1/Datastreams({pm10})/Observations").json()["value"]  # public data
    assert [o["result"] for o in observations] == [23.4]
    assert observations[0]["phenomenonTime"].startswith("2026-11-27T10:00:00")
    stream = client.get(f"/sta/v1.1/Datastreams({pm10})?$expand=ObservedProperty,Thing").json()
    assert stream["unitOfMeasurement"]["symbol"] == "µg/m³"
    assert stream["ObservedProperty"]["name"] == "Feinstaub PM10"
    assert stream["Thing"]["properties"]["devEui"] == DEV_EUI


def test_tts_webhook_and_bad_messages(client, world):
    key = world.keys["net.operator"]
    register(client, key)
    up = replace(message(network="tts", f_cnt=7), application_id="luftqualitaet", device_name="luft-buer")
    ok = client.post("/ingest/ttn", json=tts_v3_body(up), headers=auth(key))
    assert ok.status_code == 200 and ok.json()["observations"] == 6
    other = client.post(
        "/ingest/ttn", json={"end_device_ids": {"device_id": "x"}, "join_accept": {}}, headers=auth(key)
    )
    assert other.status_code == 202 and other.json()["status"] == "ignored"
    broken = client.post("/ingest/chirpstack?event=up", json={"deviceInfo": {}}, headers=auth(key))
    assert broken.status_code == 400 and "devEui" in broken.json()["message"]
    protobuf = client.post(
        "/ingest/chirpstack?event=up",
        content=b"\x0a\x03abc",
        headers={**auth(key), "Content-Type": "application/octet-stream"},
    )
    assert protobuf.status_code == 400 and "JSON" in protobuf.json()["message"]
    assert client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(message())).status_code == 401


def test_undecodable_and_unknown_uplinks_are_kept_and_reprocessed(client, world, db):
    key = world.keys["net.operator"]
    unknown = client.post(
        "/ingest/chirpstack?event=up", json=chirpstack_v4_body(message(f_cnt=3)), headers=auth(key)
    )
    assert unknown.status_code == 422 and unknown.json()["status"] == "unknown_device"
    register(client, key)
    short = client.post(
        "/ingest/chirpstack?event=up",
        json=chirpstack_v4_body(message(f_cnt=4, payload=b"\x01\x00")),
        headers=auth(key),
    )
    assert short.status_code == 422 and short.json()["status"] == "failed"
    failed = client.get("/api/v1/sensorhub/uplinks?status=failed", headers=auth(key)).json()
    assert len(failed) == 1 and "too short" in failed[0]["error"] and failed[0]["payload_hex"] == "0100"
    result = client.post("/api/v1/sensorhub/uplinks/reprocess", headers=auth(key)).json()
    assert result == {"processed": 1, "still_failing": 1}  # the unknown one decodes now; the short one can't
    with db.transaction(SYSTEM) as session:
        statuses = sorted(u.status for u in session.scalars(select(Uplink)))
    assert statuses == ["failed", "processed"]


def test_registry_validation_and_tenant_isolation(client, world):
    assert register(client, world.keys["net.operator"], dev_eui="12345").status_code == 400
    nowhere = register(client, world.keys["net.operator"], longitude=None, latitude=None)
    assert nowhere.status_code == 400 and "position" in nowhere.json()["error"]["message"]
    assert (
        register(client, world.keys["net.operator"], decoder="nonsense")
        .json()["error"]["message"]
        .startswith("unknown decoder")
    )
    assert register(client, world.keys["net.operator"]).status_code == 201
    duplicate = register(client, world.keys["city.editor"])
    assert duplicate.status_code == 400 and "registered already" in duplicate.json()["error"]["message"]
    assert client.get("/api/v1/sensorhub/devices", headers=auth(world.keys["city.editor"])).json() == []
    # the city's key cannot feed GELSEN-NET's device: for it the device does not exist
    foreign = client.post(
        "/ingest/chirpstack?event=up",
        json=chirpstack_v4_body(message(f_cnt=9)),
        headers=auth(world.keys["city.editor"]),
    )
    assert foreign.json()["status"] == "unknown_device"
    assert (
        client.post(
            "/api/v1/sensorhub/devices",
            json={"name": "x", "category": "wifi_hotspot"},
            headers=auth(world.keys["city.viewer"]),
        ).status_code
        == 403
    )


@pytest.mark.mqtt
def test_chirpstack_events_over_the_real_broker(db, world, registry):
    url = require_mqtt()
    from gelsencloud.core.mqtt import MqttBus

    with db.transaction(
        Principal(kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.OPERATOR, name="op")
    ) as session:
        device = service.register_device(
            session,
            name="Luft",
            category="air_quality",
            dev_eui=DEV_EUI,
            decoder="gelsencloud-airq",
            longitude=7.05,
            latitude=51.57,
        )
        device_id = device.id
    ingestor = next(i for i in registry.ingestors() if i.name == "sensorhub.mqtt")
    bus = MqttBus(url, client_id=f"gc-hub-{uuid.uuid4().hex[:8]}")
    for topic in ingestor.mqtt_topics:
        bus.subscribe(topic, lambda t, p: ingestor.handle_mqtt(t, p, db))
    bus.connect()
    try:
        publisher = MqttBus(url, client_id=f"gc-hub-pub-{uuid.uuid4().hex[:8]}")
        publisher.connect()
        up = message(f_cnt=11)
        publisher.publish(
            chirpstack_topic("luftqualitaet", DEV_EUI, "up"), json.dumps(chirpstack_v4_body(up))
        )
        publisher.publish(chirpstack_topic("luftqualitaet", DEV_EUI, "up"), b"{broken")
        publisher.close()
        deadline, processed = time.monotonic() + 10, 0
        while time.monotonic() < deadline and not processed:
            with db.transaction(SYSTEM) as session:
                processed = session.get(Device, device_id).last_f_cnt == 11
            time.sleep(0.1)
    finally:
        bus.close()
    assert processed
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(Uplink.observations).where(Uplink.f_cnt == 11)) == 6


def test_device_state_detects_silent_sensors():
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    device = Device(name="x", category="air_quality", dev_eui=DEV_EUI, expected_interval_s=3600, active=True)
    assert service.device_state(device, now) == "never_seen"
    device.last_seen_at = now - timedelta(hours=2)
    assert service.device_state(device, now) == "ok"
    device.last_seen_at = now - timedelta(hours=4)
    assert service.device_state(device, now) == "silent"
    device.active = False
    assert service.device_state(device, now) == "inactive"


def test_infrastructure_kpis_on_known_data(db, world):
    net = Principal(kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.OPERATOR, name="op")
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    with db.transaction(net) as session:
        for i in range(3):
            service.register_device(session, name=f"WLAN {i}", category="wifi_hotspot")
        for i in range(4):
            service.register_device(
                session,
                name=f"Container {i}",
                category="waste_container",
                dev_eui=f"00000000000001{i:02x}",
                decoder="gelsencloud-fill",
                longitude=7.1,
                latitude=51.5,
            )
        for site, kind in (
            ("Rathaus Buer", "water_meter"),
            ("Rathaus Buer", "electricity_meter"),
            ("Hans-Sachs-Haus", "water_meter"),
        ):
            service.register_device(session, name=f"{kind} {site}", category=kind, site=site)
        service.set_inventory(
            session, category="waste_container", total=16, as_of=as_of, source="Bestand GELSENDIENSTE"
        )
        service.set_inventory(
            session, category="city_building", total=8, as_of=as_of, source="Liegenschaften"
        )
    with db.transaction(SYSTEM) as session:
        values = {v.kpi_id: v for v in InfrastructureKpis().compute(session, as_of, datetime.now(UTC))}
    assert values["ti-public-wifi-hotspots"].value == 3
    assert values["rv-smart-water-meters"].value == 2 and values["rv-smart-electricity-meters"].value == 1
    assert values["am-fill-level-sensors"].value == 25.0  # 4 of 16
    assert values["platform-city-buildings-metered-share"].value == 25.0  # 2 buildings of 8
    assert values["iv-parking-ict-monitoring"].value is None  # no inventory: not invented
    assert "no inventory" in values["iv-parking-ict-monitoring"].method


def test_air_quality_kpis_from_station_observations(db, world):
    from gelsencloud.apis.sensorthings.service import add_observations
    from gelsencloud.apps.cockpit.live import AirQualityKpis
    from gelsencloud.apps.sensorhub.air import load_air_series
    from gelsencloud.core.city import load_profile, sync_areas

    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
    city = Principal(kind="user", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="ed")
    start = datetime(2026, 3, 1, tzinfo=UTC)  # 00:00 UTC = 01:00 UTC+1: three reporting days need 72 h + 1
    with db.transaction(city) as session:
        station = service.register_device(
            session,
            name="Luft Altstadt",
            category="air_quality",
            dev_eui=DEV_EUI,
            decoder="gelsencloud-airq",
            longitude=7.0982,
            latitude=51.5093,
        )
        stream = service.ensure_datastream(session, station, "pm10", "ug/m3")
        service.ensure_datastream(session, station, "no2", "ug/m3")
        rows = [
            {
                "phenomenonTime": start - timedelta(hours=1) + timedelta(hours=h),
                "result": 60.0 if 24 <= h < 48 else 20.0,
            }
            for h in range(72)
        ]
        add_observations(session, stream, rows)
    with db.transaction(SYSTEM) as session:
        series = load_air_series(
            session, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
        )
        values = AirQualityKpis(loader=load_air_series).compute(
            session, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
        )
    assert set(series) == {"mitte", None} and len(series["mitte"]["pm10"]) == 72
    by_key = {(v.kpi_id, v.district_code): v.value for v in values}
    assert by_key[("air-pm10-days-over-50", "mitte")] == 1.0
    assert by_key[("air-pm10-annual-mean", "mitte")] == pytest.approx((48 * 20 + 24 * 60) / 72, abs=0.01)
    assert by_key[("air-pm10-annual-mean", None)] == by_key[("air-pm10-annual-mean", "mitte")]


def test_signal_quality_is_kept_with_each_observation(client, world):
    key = world.keys["net.operator"]
    device = register(client, key).json()
    client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(message(f_cnt=21)), headers=auth(key))
    stream = client.get(f"/api/v1/sensorhub/devices/{device['id']}", headers=auth(key)).json()["datastreams"][
        "no2"
    ]
    (observation,) = client.get(f"/sta/v1.1/Datastreams({stream})/Observations").json()["value"]
    assert observation["parameters"] == {
        "fCnt": 21,
        "gateway": "gw-rathaus-buer",
        "rssi": -97.0,
        "snr": 6.5,
        "gateways": 1,
    }


def test_network_server_decoded_payloads_are_used(client, world):
    key = world.keys["net.operator"]
    created = register(client, key, decoder="network-server", dev_eui="a84041000181c061")
    assert created.status_code == 201, created.text
    decoded = {
        "temperature": 21.5,
        "humidity": 48,
        "battery": {"voltage": 3.6},
        "status": "ok",
        "alarm": False,
    }
    up = replace(message(dev_eui="a84041000181c061", f_cnt=5, payload=b"\x01\x02"), decoded=decoded)
    response = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(up), headers=auth(key))
    assert response.status_code == 200 and response.json()["observations"] == 4, response.text
    streams = client.get(f"/api/v1/sensorhub/devices/{created.json()['id']}", headers=auth(key)).json()[
        "datastreams"
    ]
    assert set(streams) == {"temperature", "humidity", "battery_voltage", "alarm"}
    empty = replace(message(dev_eui="a84041000181c061", f_cnt=6, payload=b"\x01"), decoded=None)
    refused = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(empty), headers=auth(key))
    assert refused.status_code == 422 and "no decoded object" in refused.json()["message"]


@pytest.mark.usefixtures("backend")
def test_a_batch_of_uplinks_is_stored_with_the_same_outcome_as_one_by_one(client, world, db):
    from sqlalchemy import func

    from gelsencloud.apis.sensorthings.models import Observation

    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    operator = Principal(kind="apikey", tenant_id=world.tenants["gelsen-net"], role=Role.OPERATOR, name="op")
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    good = [message(f_cnt=n, at=start + timedelta(minutes=n)) for n in range(1, 6)]
    batch = [
        *((m, chirpstack_v4_body(m)) for m in good),
        (good[0], chirpstack_v4_body(good[0])),  # the same event twice in one batch
        (message(dev_eui="0000000000000bad", f_cnt=9), {}),  # unknown device
        (message(f_cnt=10, payload=b"\x01"), {}),  # undecodable
    ]
    with db.transaction(operator) as session:
        results = service.ingest_uplinks(session, batch)
    assert [r.status for r in results] == ["processed"] * 5 + ["duplicate", "unknown_device", "failed"]
    assert results[5].uplink_id == results[0].uplink_id and all(r.observations == 6 for r in results[:5])
    assert len({r.uplink_id for r in results}) == 7
    with db.transaction(operator) as session:
        again = service.ingest_uplinks(session, batch[:2])
        assert [r.status for r in again] == ["duplicate", "duplicate"]
        assert [r.uplink_id for r in again] == [results[0].uplink_id, results[1].uplink_id]
    with db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 30
        assert session.scalar(select(func.count()).select_from(Uplink)) == 7
        stored = session.scalars(select(Uplink).order_by(Uplink.id)).all()
        assert [u.observations for u in stored] == [6, 6, 6, 6, 6, 0, 0]
        device = session.scalar(select(Device))
        assert device.last_f_cnt == 10  # the newest reception (10:00, undecodable) sets the link state
        stream_id = device.datastreams["pm10"]
    pm10 = client.get(
        f"/sta/v1.1/Datastreams({stream_id})?$expand=Observations($orderby=phenomenonTime)", headers=auth(key)
    ).json()
    assert [o["result"] for o in pm10["Observations"]] == [AIR["pm10"]] * 5
    assert pm10["phenomenonTime"] == "2026-11-27T08:01:00Z/2026-11-27T08:05:00Z"
    assert pm10["Observations"][0]["parameters"]["rssi"] == -97.0


@pytest.mark.usefixtures("backend")
def test_a_batch_for_another_tenants_device_writes_nothing(client, world, db):
    from gelsencloud.core.classification import PermissionDenied

    assert register(client, world.keys["net.operator"], classification="public").status_code == 201
    outsider = Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.OPERATOR, name="city"
    )
    with pytest.raises(PermissionDenied):
        with db.transaction(outsider) as session:
            service.ingest_uplinks(session, [(message(f_cnt=1), {}), (message(f_cnt=2), {})])
    with db.transaction(SYSTEM) as session:
        assert session.scalars(select(Uplink)).all() == []


@pytest.mark.usefixtures("backend")
def test_concurrent_webhooks_share_transactions_and_each_answers_after_commit(app, client, world, db):
    import asyncio

    from sqlalchemy import func

    from gelsencloud.apis.sensorthings.models import Observation
    from helpers import post_all, serve

    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    start = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    ups = [message(f_cnt=n, at=start + timedelta(seconds=n)) for n in range(40)]
    bodies = [chirpstack_v4_body(u) for u in ups] + [chirpstack_v4_body(ups[0])]  # one repeat
    with serve(app) as base:
        responses = asyncio.run(post_all(base, key, "/ingest/chirpstack?event=up", bodies))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("processed") == 40 and statuses.count("duplicate") == 1
    with db.transaction(SYSTEM) as session:  # answered means committed
        assert session.scalar(select(func.count()).select_from(Observation)) == 240
        assert session.scalar(select(func.count()).select_from(Uplink)) == 40
    batchers = list(app.state._uplink_batchers.values())
    assert batchers and batchers[0].stats["uplinks"] == 41
    assert batchers[0].stats["batches"] < 41  # concurrent requests were written together


def test_two_server_processes_on_one_sqlite_file_take_turns_on_the_writer_lock(
    app, client, world, settings, registry
):
    """As `gelsencloud serve --workers 2` on SQLite: two apps, each with its own engine and batcher."""
    import asyncio

    from sqlalchemy import func

    from gelsencloud.apis.sensorthings.models import Observation
    from gelsencloud.core.app import create_app
    from gelsencloud.core.db import Database
    from helpers import post_all, serve

    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    other = create_app(settings, Database(settings.database_url), registry, run_jobs=False)
    start = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    ups = [message(f_cnt=n, at=start + timedelta(seconds=n)) for n in range(60)]

    bodies = [chirpstack_v4_body(u) for u in ups]
    path = "/ingest/chirpstack?event=up"

    async def both(first: str, second: str) -> list:
        answers = await asyncio.gather(
            post_all(first, key, path, bodies[0::2]), post_all(second, key, path, bodies[1::2])
        )
        return answers[0] + answers[1]

    with serve(app) as first, serve(other) as second:
        responses = asyncio.run(both(first, second))
    other.state.db.dispose()
    assert [r.status_code for r in responses] == [200] * 60, [
        r.text for r in responses if r.status_code != 200
    ]
    assert {r.json()["status"] for r in responses} == {"processed"}
    batchers = [b for a in (app, other) for b in a.state._uplink_batchers.values()]
    assert len(batchers) == 2 and all(b._lock is not None for b in batchers)
    assert sum(b.stats["uplinks"] for b in batchers) == 60
    with app.state.db.transaction(SYSTEM) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 360
        assert session.scalar(select(func.count()).select_from(Uplink)) == 60


@pytest.mark.usefixtures("backend")
def test_start_page_shows_the_air_now_with_the_european_index(client, world):
    from gelsencloud.apps.cockpit.air_quality import eaqi
    from gelsencloud.core.models import utcnow

    key = world.keys["net.operator"]
    assert register(client, key).status_code == 201
    old = message(f_cnt=1, at=utcnow() - timedelta(hours=5))
    assert (
        client.post("/ingest/chirpstack", json=chirpstack_v4_body(old), headers=auth(key)).status_code == 200
    )
    assert "Luftmessstation Buer" not in client.get("/").text  # five hours old is not "now"
    fresh = message(f_cnt=2, at=utcnow() - timedelta(minutes=10))
    assert (
        client.post("/ingest/chirpstack", json=chirpstack_v4_body(fresh), headers=auth(key)).status_code
        == 200
    )
    html = client.get("/").text
    expected = eaqi({"pm10": AIR["pm10"], "pm25": AIR["pm2_5"], "no2": AIR["no2"]})
    section = html[html.index("Die Luft jetzt") :]
    assert "Luftmessstation Buer" in section and f"eaqi-{expected.level}" in section
    assert expected.label_de in section and ">23<" in section  # PM10 rounded, German format
    english = client.get("/?lang=en").text
    assert "The air now" in english and expected.label_en in english


@pytest.mark.usefixtures("backend")
def test_reprocessing_uses_the_network_servers_decoded_object(client, world):
    key = world.keys["net.operator"]
    up = replace(
        message(dev_eui="a84041000181c062", f_cnt=7, payload=b"\x01\x02"), decoded={"temperature": 19.0}
    )
    early = client.post("/ingest/chirpstack?event=up", json=chirpstack_v4_body(up), headers=auth(key))
    assert early.status_code == 422 and early.json()["status"] == "unknown_device"
    created = register(client, key, decoder="network-server", dev_eui="a84041000181c062")
    assert created.status_code == 201, created.text
    again = client.post("/api/v1/sensorhub/uplinks/reprocess", headers=auth(key))
    assert again.json() == {"processed": 1, "still_failing": 0}
    device = client.get(f"/api/v1/sensorhub/devices/{created.json()['id']}", headers=auth(key)).json()
    assert set(device["datastreams"]) == {"temperature"}
