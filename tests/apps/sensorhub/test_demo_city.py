"""The demo city's sensors: planted faults are really in the data, live uplinks survive the whole path."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apps.sensorhub import demo, service
from gelsencloud.apps.sensorhub.models import Device
from gelsencloud.apps.sensorhub.simulation import demo_devices, make_scenario, reading
from gelsencloud.core import identity
from gelsencloud.core.city import load_profile, sync_areas
from gelsencloud.core.plugins import DemoContext
from gelsencloud.core.principal import SYSTEM
from helpers import auth

END = datetime(2026, 11, 27, 12, tzinfo=UTC)


def sims():
    quarters = [(q.name, *q.seed) for q in load_profile("gelsenkirchen").quarters]
    return {s.key: s for s in demo_devices(5513, quarters)}


def test_planted_faults_are_in_the_values():
    scenario = make_scenario(END, 30)
    devices = sims()
    hassel = next(s for s in devices.values() if s.params.get("fails"))
    assert reading(hassel, scenario.silent_from - timedelta(hours=1), scenario) is not None
    assert reading(hassel, scenario.silent_from + timedelta(hours=1), scenario) is None
    leak = next(s for s in devices.values() if s.params.get("leak"))
    assert not reading(leak, scenario.leak_from - timedelta(hours=1), scenario)["leak"]
    assert reading(leak, scenario.leak_from + timedelta(hours=1), scenario)["leak"]
    station = devices["air-0"]
    daily_means = []
    for day in range(30):
        start = scenario.start + timedelta(days=day)
        daily_means.append(
            statistics.mean(reading(station, start + timedelta(hours=h), scenario)["pm10"] for h in range(24))
        )
    over = sum(m > 50 for m in daily_means)  # EU daily limit value for PM10
    assert 1 <= over <= 3, daily_means
    assert scenario.match_days, "a 30-day window has home matches"
    parking = [s for s in devices.values() if s.params.get("zone") == "arena"]
    kickoff = scenario.match_days[0]
    busy = sum(reading(s, kickoff, scenario)["occupied"] for s in parking)
    quiet = sum(reading(s, kickoff - timedelta(days=2), scenario)["occupied"] for s in parking)
    assert busy >= 0.8 * len(parking) > quiet


def test_same_time_same_value():
    scenario = make_scenario(END, 30)
    station = sims()["air-3"]
    assert reading(station, END, scenario) == reading(station, END, make_scenario(END, 30))


def test_demo_generator_backfills_and_live_uplinks_pass_the_webhooks(db, settings, world, client):
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
    ctx = DemoContext(db=db, settings=settings, days=1, seed=5513, progress=lambda *a: None)
    demo.generate(ctx)
    with db.transaction(SYSTEM) as session:
        devices = list(session.scalars(select(Device)))
        observations = session.scalar(select(func.count()).select_from(Observation))
        categories = {d.category for d in devices}
    assert (
        len(devices) == 166 and {"wifi_hotspot", "ev_charger", "air_quality", "people_counter"} <= categories
    )
    assert observations > 4000
    assert all("Demo" in d.name for d in devices)
    # a live uplink for a GELSENWASSER meter goes through TTS, an air station through ChirpStack
    devices_by_key = sims()
    later = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    scenario = make_scenario(later, 1)
    with db.transaction(SYSTEM) as session:
        keys = {
            t.slug: identity.create_api_key(session, tenant=t, role="operator", name="t").key
            for t in identity.list_tenants(session)
        }
    for key, network, url in (
        ("water-0", "tts", "/ingest/ttn"),
        ("air-0", "chirpstack", "/ingest/chirpstack?event=up"),
    ):
        sim = devices_by_key[key]
        values = reading(sim, later, scenario)
        message, body = demo.lorawan_roundtrip(sim, values, 5000, later, network)
        assert message.payload and message.network_server == network
        response = client.post(url, json=body, headers=auth(keys[sim.tenant]))
        assert response.status_code == 200 and response.json()["status"] == "processed", response.text
    with db.transaction(SYSTEM) as session:
        water = service.find_device(session, devices_by_key["water-0"].dev_eui)
        assert water.last_f_cnt == 5000 and water.last_seen_at == later
