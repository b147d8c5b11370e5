"""Demo city sensors: register devices, backfill their history, and send live LoRaWAN uplinks.

History goes through the bulk path (SensorThings ``add_observations``); live values go the whole
way a real sensor's do: the payload is encoded, wrapped in an encrypted LoRaWAN frame with a MIC,
"received" by a simulated network server that checks and decrypts it, and posted as a ChirpStack
or The Things Stack webhook to the running server.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.apps.sensorhub.lorawan import frames
from gelsencloud.apps.sensorhub.lorawan.uplinks import GatewayReception, chirpstack_v4_body, tts_v3_body
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.apps.sensorhub.models import Device
from gelsencloud.apps.sensorhub.simulation import (
    Scenario,
    SimDevice,
    demo_devices,
    make_scenario,
    noise,
    reading,
)
from gelsencloud.core import identity
from gelsencloud.core.city import load_profile
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Principal, Role

STATE_FILE = "demo-live.json"
DEMO_NOTE = "Demo – synthetische Daten, keine echten Messwerte."
INVENTORY = {  # category: (total, source) – synthetic denominators for the coverage KPIs
    "waste_container": (180, "Demo: Bestand Altpapiercontainer GELSENDIENSTE (synthetisch)"),
    "public_parking_space": (1200, "Demo: öffentliche Stellplätze (synthetisch)"),
    "city_building": (60, "Demo: städtische Gebäude mit Verbrauchsmessung geplant (synthetisch)"),
}
GATEWAYS = ("gw-hans-sachs-haus", "gw-rathaus-buer", "gw-arena-park", "gw-wissenschaftspark")
LIVE_BATCH = 60  # devices per job run: keeps one run well under the job interval


def _quarters(settings) -> list[tuple[str, float, float]]:
    return [(q.name, *q.seed) for q in load_profile(settings.city_profile).quarters]


def _tenant_principal(tenant_id: int) -> Principal:
    return Principal(kind="system", name="demo", tenant_id=tenant_id, role=Role.OPERATOR)


def generate(ctx) -> None:
    """Register the demo devices and backfill ``ctx.days`` days of their history."""
    scenario = make_scenario(utcnow(), ctx.days)
    sims = demo_devices(ctx.seed, _quarters(ctx.settings))
    keys: dict[str, str] = {}
    with ctx.transaction() as session:
        tenants = {t.slug: t for t in identity.list_tenants(session)}
        for slug, tenant in tenants.items():
            keys[slug] = identity.create_api_key(
                session, tenant=tenant, role=Role.OPERATOR, name="Demo: simulierter LoRaWAN-Netzwerkserver"
            ).key
    for slug in sorted({s.tenant for s in sims}):
        with ctx.db.transaction(_tenant_principal(tenants[slug].id)) as session:
            for sim in (s for s in sims if s.tenant == slug):
                service.register_device(
                    session,
                    name=sim.name,
                    category=sim.category,
                    dev_eui=sim.dev_eui,
                    decoder=sim.decoder,
                    longitude=sim.longitude,
                    latitude=sim.latitude,
                    site=sim.site,
                    description=DEMO_NOTE,
                    data_classification=sim.data_classification,
                    expected_interval_s=sim.interval_h * 3600,
                )
            if slug in ("gelsendienste", "stadt-gelsenkirchen"):
                for category, (total, source) in INVENTORY.items():
                    owner = "gelsendienste" if category == "waste_container" else "stadt-gelsenkirchen"
                    if owner == slug:
                        service.set_inventory(
                            session, category=category, total=total, as_of=scenario.start, source=source
                        )
    with_data = [s for s in sims if s.dev_eui]
    for done, sim in enumerate(with_data, 1):
        _backfill(ctx, sim, scenario, tenants[sim.tenant].id)
        ctx.progress("Sensor-Historie", done, len(with_data))
    _save_state(
        ctx.settings, {"end": scenario.end.isoformat(), "days": ctx.days, "seed": ctx.seed, "keys": keys}
    )


def _backfill(ctx, sim: SimDevice, scenario: Scenario, tenant_id: int) -> None:
    series: dict[str, list[dict]] = defaultdict(list)
    units: dict[str, str] = {}
    moment, last, count = scenario.start, None, 0
    while moment <= scenario.end:
        values = reading(sim, moment, scenario)
        if values is not None:
            # Round-trip through the device's binary format: history has exactly the live precision.
            decoded = decoders.decode(
                sim.decoder, decoders.default_fport(sim.decoder), decoders.encode(sim.decoder, values)
            )
            for key, item in decoded.items():
                series[key].append({"phenomenonTime": moment, "result": item["value"]})
                units[key] = item["unit"]
            last, count = moment, count + 1
        moment += timedelta(hours=sim.interval_h)
    with ctx.db.transaction(_tenant_principal(tenant_id)) as session:
        device = service.find_device(session, sim.dev_eui)
        for key, rows in series.items():
            add_observations(session, service.ensure_datastream(session, device, key, units[key]), rows)
        device.last_seen_at = last
        device.last_f_cnt = count
        device.last_rssi = round(-112 + 25 * (noise(sim.key, "rssi") + 1) / 2, 1)
        device.last_snr = round(-5 + 12 * (noise(sim.key, "snr") + 1) / 2, 1)
        if "battery" in series:
            device.battery = float(series["battery"][-1]["result"])


def _state_path(settings) -> Path:
    return Path(settings.var_dir) / STATE_FILE


def _save_state(settings, state: dict) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    path.chmod(0o600)  # holds API keys of the demo network server


def session_keys(dev_eui: str) -> frames.SessionKeys:
    """Demo devices' LoRaWAN session keys, derived from the DevEUI (never do this for real devices)."""
    digest = hashlib.sha256(f"gelsencloud-demo:{dev_eui}".encode()).digest()
    return frames.SessionKeys(digest[:16], digest[16:])


def lorawan_roundtrip(
    sim: SimDevice, values: dict, f_cnt: int, at, network: str
) -> tuple[UplinkMessage, dict]:
    """Encode, encrypt and sign a frame; check and decrypt it as a network server would; build its webhook body."""
    payload = decoders.encode(sim.decoder, values)
    keys = session_keys(sim.dev_eui)
    dev_addr = sim.dev_eui[-8:]
    fport = decoders.default_fport(sim.decoder)
    phy = frames.build_uplink(dev_addr, f_cnt, fport, payload, keys)
    frame = frames.decode_frame(phy, keys, fcnt_high=f_cnt >> 16)  # raises on a bad MIC
    rssi = round(-115 + 30 * (noise(sim.key, f_cnt) + 1) / 2, 1)
    message = UplinkMessage(
        dev_eui=sim.dev_eui,
        received_at=at,
        network_server=network,
        f_port=frame.fport,
        f_cnt=f_cnt,
        payload=frame.payload,
        dev_addr=dev_addr,
        application_id=sim.category,
        device_name=sim.key,
        gateways=(
            GatewayReception(GATEWAYS[f_cnt % len(GATEWAYS)], rssi=rssi, snr=round(rssi / 12 + 12, 1)),
        ),
        spreading_factor=7 + f_cnt % 4,
        bandwidth=125000,
        frequency=868100000,
        event_id=hashlib.sha1(f"{sim.dev_eui}:{f_cnt}:{at.isoformat()}".encode()).hexdigest()[:32],
    )
    body = tts_v3_body(message) if network == "tts" else chirpstack_v4_body(message)
    return message, body


def send_live_uplinks(ctx) -> str:
    """Job: post the due demo uplinks to the server's own webhooks (nothing happens without a demo)."""
    path = _state_path(ctx.settings)
    if not path.is_file():
        return "no demo city here: nothing sent"
    state = json.loads(path.read_text(encoding="utf-8"))
    scenario = make_scenario(utcnow(), state["days"])
    sims = {s.dev_eui: s for s in demo_devices(state["seed"], _quarters(ctx.settings)) if s.dev_eui}
    base = os.environ.get("GELSENCLOUD_DEMO_LIVE_URL") or ctx.settings.base_url or "http://127.0.0.1:8000"
    now = utcnow().replace(second=0, microsecond=0)
    with ctx.transaction() as session:
        devices = [
            (d.dev_eui, d.last_f_cnt or 0, d.tenant_id)
            for d in session.scalars(
                select(Device).where(Device.dev_eui.in_(list(sims)), Device.active.is_(True))
            )
            if d.last_seen_at is None or d.last_seen_at + timedelta(seconds=d.expected_interval_s) <= now
        ]
        slugs = {t.id: t.slug for t in identity.list_tenants(session)}
    sent = failed = 0
    with httpx.Client(base_url=base.rstrip("/"), timeout=10) as client:
        for dev_eui, f_cnt, tenant_id in devices[:LIVE_BATCH]:
            sim = sims[dev_eui]
            values = reading(sim, now, scenario)
            if values is None:
                continue  # the planted silent station stays silent
            network = "tts" if sim.tenant == "gelsenwasser" else "chirpstack"
            _, body = lorawan_roundtrip(sim, values, f_cnt + 1, now, network)
            url = "/ingest/ttn" if network == "tts" else "/ingest/chirpstack?event=up"
            try:
                response = client.post(
                    url, json=body, headers={"Authorization": f"Bearer {state['keys'][slugs[tenant_id]]}"}
                )
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            sent += ok
            failed += not ok
    return f"{sent} uplinks sent to {base}, {failed} failed, {max(0, len(devices) - LIVE_BATCH)} deferred"
