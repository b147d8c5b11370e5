"""Benchmark sensor ingestion against the physical limit (raw executemany / COPY of the same rows).

Run by hand:  .venv/bin/python bench/bench_sensors.py [--rows 20000] [--uplinks 2000]
Measures: bulk Observations through the service (``add_observations``) and through the HTTP
``CreateObservations`` endpoint, and decoded LoRaWAN webhook uplinks per second (in-process ASGI,
so the HTTP client's own cost is included but no network stack). Prints Markdown rows.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from gelsencloud.apis.sensorthings.models import Observation
from gelsencloud.apis.sensorthings.service import add_observations
from gelsencloud.apps.sensorhub import decoders, service
from gelsencloud.apps.sensorhub.lorawan.uplinks import GatewayReception, Uplink, chirpstack_v4_body
from gelsencloud.core import identity, migrate
from gelsencloud.core.app import create_app
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM, Principal, Role
from gelsencloud.core.settings import Settings

START = datetime(2026, 1, 1, tzinfo=UTC)


def fresh(url: str) -> tuple[Settings, Database]:
    if url.startswith("postgresql"):
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname='gelsencloud_bench'")):
                conn.execute(text("CREATE DATABASE gelsencloud_bench"))
        admin.dispose()
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    settings = Settings(_env_file=None, database_url=url, jobs_enabled=False, secret_key="b" * 40)
    db = Database(url)
    migrate.upgrade(db, discover(settings))
    with db.transaction(SYSTEM) as session:
        identity.seed_tenants(session)
    return settings, db


def operator(db) -> Principal:
    with db.transaction(SYSTEM) as session:
        tenant = identity.get_tenant(session, "gelsen-net")
    return Principal(kind="user", tenant_id=tenant.id, role=Role.OPERATOR, name="bench")


def make_stream(db, principal, eui: str) -> tuple[int, object]:
    with db.transaction(principal) as session:
        device = service.register_device(
            session,
            name=f"Bench {eui}",
            category="air_quality",
            dev_eui=eui,
            decoder="gelsencloud-airq",
            longitude=7.1,
            latitude=51.5,
        )
        stream = service.ensure_datastream(session, device, "pm10", "ug/m3")
        return stream, device.id


def _raw_insert(db, url: str, stream: int, feature: int, tenant: int, times: list) -> float:
    """Write the rows with the driver directly (executemany / COPY); return the seconds it took."""
    start = time.perf_counter()
    if url.startswith("postgresql"):
        raw_conn = db.engine.raw_connection()
        try:
            cur = raw_conn.cursor()
            with cur.copy(
                "COPY sta_observations (phenomenon_time_start, result, result_number, datastream_id, "
                "feature_of_interest_id, tenant_id, classification) FROM STDIN"
            ) as copy:
                for i, t in enumerate(times):
                    value = 20.0 + i % 7
                    copy.write_row((t, str(value), value, stream, feature, tenant, "public"))
            raw_conn.commit()
        finally:
            raw_conn.close()
    else:
        rows = [
            {
                "phenomenon_time_start": t,
                "result": 20.0 + i % 7,
                "result_number": 20.0 + i % 7,
                "datastream_id": stream,
                "feature_of_interest_id": feature,
                "tenant_id": tenant,
                "classification": "public",
            }
            for i, t in enumerate(times)
        ]
        with db.engine.begin() as conn:
            conn.execute(insert(Observation.__table__), rows)
    return time.perf_counter() - start


def bench_bulk(name: str, url: str, rows: int, rounds: int = 5) -> list[str]:
    """Interleave rounds of raw inserts, ``add_observations`` and ``CreateObservations``; report medians.

    Other processes on a shared machine make single runs swing by 2x; the median of interleaved rounds
    compares the platform with the limit under the same conditions.
    """
    settings, db = fresh(url)
    principal = operator(db)
    stream, _ = make_stream(db, principal, "00000000000000b1")
    with db.transaction(principal) as session:  # FoI is created on first insert
        add_observations(session, stream, [{"phenomenonTime": START, "result": 1.0}])
        feature = session.scalar(text("SELECT max(id) FROM sta_features_of_interest"))
    tenant = principal.tenant_id
    with db.transaction(SYSTEM) as session:
        key = identity.create_api_key(
            session, tenant=identity.get_tenant(session, "gelsen-net"), role="operator", name="bench"
        ).key
    limit_name = "COPY" if url.startswith("postgresql") else "raw executemany"
    raw_rates, service_rates, http_rates = [], [], []
    with TestClient(create_app(settings, db, run_jobs=False)) as client:
        for n in range(rounds):
            base = START + timedelta(days=1000 * (3 * n + 1))
            times = [base + timedelta(minutes=i) for i in range(rows)]
            raw_rates.append(rows / _raw_insert(db, url, stream, feature, tenant, times))
            shifted = [t + timedelta(days=400) for t in times]
            start = time.perf_counter()
            with db.transaction(principal) as session:
                add_observations(
                    session,
                    stream,
                    [{"phenomenonTime": t, "result": 20.0 + i % 7} for i, t in enumerate(shifted)],
                )
            service_rates.append(rows / (time.perf_counter() - start))
            doc = [
                {
                    "Datastream": {"@iot.id": stream},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": [
                        [(t + timedelta(days=800)).isoformat(), 20.0 + i % 7] for i, t in enumerate(times)
                    ],
                }
            ]
            start = time.perf_counter()
            response = client.post(
                "/sta/v1.1/CreateObservations", json=doc, headers={"Authorization": f"Bearer {key}"}
            )
            http_rates.append(rows / (time.perf_counter() - start))
            assert response.status_code == 201, response.text[:300]
    db.dispose()
    raw = statistics.median(raw_rates)
    service = statistics.median(service_rates)
    http = statistics.median(http_rates)
    ratios_service = sorted(s / r for s, r in zip(service_rates, raw_rates, strict=True))
    ratios_http = sorted(h / r for h, r in zip(http_rates, raw_rates, strict=True))
    return [
        f"| {name} | {rows:,} Observations, one Datastream, `add_observations` | {raw:,.0f}/s {limit_name} | "
        f"{service:,.0f}/s | {statistics.median(ratios_service):.0%} (rounds {ratios_service[0]:.0%}–{ratios_service[-1]:.0%}) |",
        f"| {name} | {rows:,} Observations via HTTP `CreateObservations` (dataArray) | {raw:,.0f}/s {limit_name} | "
        f"{http:,.0f}/s | {statistics.median(ratios_http):.0%} (rounds {ratios_http[0]:.0%}–{ratios_http[-1]:.0%}) |",
    ]


def bench_webhook(name: str, url: str, uplinks: int) -> list[str]:
    settings, db = fresh(url)
    principal = operator(db)
    make_stream(db, principal, "00000000000000c1")
    with db.transaction(SYSTEM) as session:
        key = identity.create_api_key(
            session, tenant=identity.get_tenant(session, "gelsen-net"), role="operator", name="bench"
        ).key
    payload = decoders.encode(
        "gelsencloud-airq",
        {"pm10": 20.0, "pm2_5": 12.0, "no2": 30.0, "temperature": 5.0, "humidity": 80.0, "pressure": 1010.0},
    )
    bodies = [
        chirpstack_v4_body(
            Uplink(
                dev_eui="00000000000000c1",
                received_at=START + timedelta(minutes=i),
                network_server="chirpstack",
                f_port=1,
                f_cnt=i,
                payload=payload,
                gateways=(GatewayReception("gw", rssi=-100.0, snr=5.0),),
                event_id=uuid.uuid4().hex,
            )
        )
        for i in range(uplinks)
    ]
    latencies = []
    with TestClient(create_app(settings, db, run_jobs=False)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        start = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = client.post("/ingest/chirpstack?event=up", json=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            assert response.status_code == 200
        elapsed = time.perf_counter() - start
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    db.dispose()
    return [
        f"| {name} | {uplinks:,} ChirpStack uplinks, decoded, 6 Observations each, one at a time | – | "
        f"{uplinks / elapsed:,.0f} uplinks/s (p95 {p95:.1f} ms) | – |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--uplinks", type=int, default=1000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/gelsencloud_bench"
    )
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        lines += bench_bulk("SQLite", f"sqlite:///{Path(tmp) / 'bulk.db'}", args.rows)
        lines += bench_webhook("SQLite", f"sqlite:///{Path(tmp) / 'hook.db'}", args.uplinks)
    lines += bench_bulk("PostgreSQL", args.postgres, args.rows)
    lines += bench_webhook("PostgreSQL", args.postgres, args.uplinks)
    print(
        "| backend | work | physical limit (median) | platform (median) | share of the limit (median of rounds) |"
    )
    print("|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
