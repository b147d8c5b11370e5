"""Benchmark SensorThings reads on a large Observations table (issue 3, performance section).

Run by hand:  .venv/bin/python bench/bench_sta_queries.py [--rows 10000000] [--streams 500]
              [--year-rows 525600] [--backend sqlite|postgresql|both] [--repeat 30]

Loads ``--rows`` Observations (``--streams`` public Datastreams, one value per minute each, inserted
minute by minute as live ingestion would, so one Datastream's rows are spread over the whole table)
plus one Datastream with ``--year-rows`` one-minute values, with a raw ``executemany`` (SQLite) /
``COPY`` (PostgreSQL), not through the API. Secondary indexes and the triggers that keep the stored
hourly aggregates are dropped for the load and recreated after it; the aggregates are then built with
the platform's ``aggregates.rebuild`` (timed). ``--load-only`` stops there (load outside the benchmark
lock); ``--reuse`` measures an earlier run's database, after applying new migrations to it (timed).
Then it measures through the HTTP API in-process (FastAPI TestClient, anonymous caller, so the
classification criterion applies; wall-clock p50/p95 and the median CPU time of the process per
request) and compares with the same reads in raw SQL:

- latest Observation of all Datastreams: ``Datastreams?$top=500&$expand=Observations($top=1;$orderby=phenomenonTime desc)``
  (and the per-Datastream queries of the previous implementation, for comparison);
- one day of one-minute data of one Datastream (1,440 rows, `$select=phenomenonTime,result`, one page);
- one year of one-minute data aggregated to daily means (Europe/Berlin days; from the stored hours);
- ``$count``: per Datastream (exact) and of the whole table (PostgreSQL: estimate, flagged).

Prints Markdown table rows. The PostgreSQL database is ``gelsencloud_bench_sta`` (dropped and rebuilt;
``--postgres-url`` chooses another).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gelsencloud.apis.sensorthings import aggregates
from gelsencloud.apis.sensorthings import models as m
from gelsencloud.apis.sensorthings.service import read
from gelsencloud.core import identity, migrate
from gelsencloud.core.app import create_app
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM
from gelsencloud.core.settings import Settings

START = datetime(2025, 1, 1, tzinfo=UTC)
ROOT = "/sta/v1.1"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/gelsencloud_bench_sta"
COLUMNS = "phenomenon_time_start, result, result_number, datastream_id, tenant_id, classification"


def fresh(url: str) -> tuple[Settings, Database]:
    """An empty, migrated database with the seed tenants."""
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    settings = Settings(
        _env_file=None, database_url=url, jobs_enabled=False, secret_key="b" * 40, plugins="sensorthings"
    )
    db = Database(url)
    migrate.upgrade(db, discover(settings))
    with db.transaction(SYSTEM) as session:
        identity.seed_tenants(session)
    return settings, db


def make_streams(db: Database, count: int) -> tuple[int, list[int]]:
    """One public Thing with ``count`` Datastreams; returns (tenant id, Datastream ids)."""
    with db.transaction(SYSTEM) as session:
        tenant = identity.get_tenant(session, "stadt-gelsenkirchen")
        common = {"tenant_id": tenant.id, "classification": "public"}
        thing = m.Thing(name="Bench", description="bench", **common)
        sensor = m.Sensor(name="S", description="s", encoding_type="text/html", metadata_="x", **common)
        prop = m.ObservedProperty(name="T", definition="t", description="t", **common)
        session.add_all([thing, sensor, prop])
        session.flush()
        streams = [
            m.Datastream(
                name=f"Stream {i}",
                description="bench",
                observation_type="OM_Measurement",
                unit_of_measurement={"name": "degree Celsius"},
                thing_id=thing.id,
                sensor_id=sensor.id,
                observed_property_id=prop.id,
                **common,
            )
            for i in range(count)
        ]
        session.add_all(streams)
        session.flush()
        return tenant.id, [s.id for s in streams]


def value(minute: int, stream: int) -> float:
    """A deterministic, varying measurement."""
    return round(10 + (minute % 1440) / 100 + stream % 7, 2)


def rows(stream_ids: list[int], per_stream: int, tenant: int, chunk: int = 50_000):
    """Rows minute by minute over all streams (interleaved as in live ingestion), in chunks."""
    batch = []
    for minute in range(per_stream):
        moment = START + timedelta(minutes=minute)
        for stream in stream_ids:
            number = value(minute, stream)
            batch.append((moment, json.dumps(number), number, stream, tenant, "public"))
            if len(batch) >= chunk:
                yield batch
                batch = []
    if batch:
        yield batch


def secondary_indexes(conn, dialect: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the Observations table's secondary indexes."""
    if dialect == "sqlite":
        found = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='sta_observations'")
        )
        return [(n, s) for n, s in found if s]
    found = conn.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename='sta_observations'")
    )
    return [(n, s) for n, s in found if not n.startswith("pk_")]


def triggers(conn, dialect: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the Observations table's triggers (the stored aggregates' upkeep)."""
    if dialect == "sqlite":
        found = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='sta_observations'")
        )
        return list(found)
    found = conn.execute(
        text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'sta_observations'::regclass AND NOT tgisinternal"
        )
    )
    return list(found)


def load(db: Database, stream_ids: list[int], per_stream: int, tenant: int) -> float:
    """Bulk-load the Observations with raw executemany / COPY; returns seconds (indexes included).

    The triggers that keep the stored hourly aggregates are dropped for the load, like the indexes, and
    recreated afterwards; ``build_aggregates`` then builds the aggregates with the platform's rebuild.
    """
    dialect = db.backend
    began = time.perf_counter()
    with db.engine.begin() as conn:
        indexes = secondary_indexes(conn, dialect)
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
        upkeep = triggers(conn, dialect)
        for name, _ in upkeep:
            conn.execute(
                text(f"DROP TRIGGER {name}" + (" ON sta_observations" if dialect != "sqlite" else ""))
            )
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "sqlite":
            sql = f"INSERT INTO sta_observations ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            for batch in rows(stream_ids, per_stream, tenant):
                cursor.executemany(
                    sql, [(t.strftime("%Y-%m-%d %H:%M:%S.000000"), *rest) for t, *rest in batch]
                )
        else:
            with cursor.copy(f"COPY sta_observations ({COLUMNS}) FROM STDIN") as copy:
                for batch in rows(stream_ids, per_stream, tenant):
                    buffer = io.StringIO()
                    for t, result, number, stream, tenant_id, klass in batch:
                        buffer.write(f"{t.isoformat()}\t{result}\t{number}\t{stream}\t{tenant_id}\t{klass}\n")
                    copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
    with db.engine.begin() as conn:
        for _, create in indexes:
            conn.execute(text(create))
        for _, create in upkeep:
            conn.execute(text(create))
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE sta_observations"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


def build_aggregates(db: Database) -> tuple[float, int]:
    """Build the stored hourly aggregates of the raw-loaded rows with the platform's own rebuild."""
    began = time.perf_counter()
    with db.transaction(SYSTEM) as session:
        hours = aggregates.rebuild(session.connection())
    if db.backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE sta_observation_hours"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE sta_observation_hours"))
    return time.perf_counter() - began, hours


def upgrade_schema(settings: Settings, db: Database) -> float | None:
    """Bring an earlier run's database to the current schema; seconds, or None if it was current."""
    with db.engine.connect() as conn:
        before = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    began = time.perf_counter()
    migrate.upgrade(db, discover(settings))
    with db.engine.connect() as conn:
        after = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return None if after == before else time.perf_counter() - began


class Timing(tuple):
    """(p50, p95) wall-clock milliseconds; ``cpu`` is the median CPU time of the process per run."""

    cpu: float = 0.0


def timed(action: Callable[[], object], repeat: int) -> Timing:
    """p50 and p95 in milliseconds of ``repeat`` runs after one warm-up run (and the median CPU time:
    the machine is shared, so wall-clock time includes waiting for a core)."""
    action()
    samples, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    samples.sort()
    result = Timing(
        (statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))])
    )
    result.cpu = statistics.median(cpu)
    return result


def get_all(client: TestClient, url: str) -> list:
    """GET a collection and follow @iot.nextLink; returns all entities."""
    items: list = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        items += body["value"]
        url = body.get("@iot.nextLink")
    return items


def per_parent(ctx, etype, nav, parent_ids, options, *, option_prefix=""):
    """The previous implementation: one collection query per parent."""
    target = read.ENTITY_TYPES[nav.target]
    pages = {}
    for parent_id in parent_ids:
        parent = ctx.session.get(etype.model, parent_id)
        where = [read.related_where(nav, parent, target)]
        pages[parent_id] = read.fetch(ctx, target, options, where, option_prefix=option_prefix)
    return pages


def bench(name: str, url: str, args) -> list[str]:
    per_stream = args.rows // args.streams
    total = per_stream * args.streams + args.year_rows
    if args.reuse:  # measure again on the database of an earlier run with the same sizes
        settings = Settings(
            _env_file=None, database_url=url, jobs_enabled=False, secret_key="b" * 40, plugins="sensorthings"
        )
        db = Database(url)
        with db.engine.connect() as conn:
            ids = list(conn.execute(text("SELECT id FROM sta_datastreams ORDER BY id")).scalars())
        streams, year_stream = ids[: args.streams], ids[args.streams :]
        out = [f"| {name} | (database of the earlier run: {total:,} Observations) | | | |"]
        upgraded = upgrade_schema(settings, db)
        if upgraded is not None:  # e.g. sta0003: aggregates the existing Observations in the migration
            out.append(
                f"| {name} | schema upgrade of the earlier run's database (new migrations, e.g. sta0003 builds the aggregates) | | {upgraded:.0f} s | |"
            )
        if args.load_only:
            db.dispose()
            return out
    else:
        settings, db = fresh(url)
        tenant, streams = make_streams(db, args.streams)
        _, year_stream = make_streams(db, 1) if args.year_rows else (tenant, [])
        seconds = load(db, streams, per_stream, tenant)
        if args.year_rows:
            seconds += load(db, year_stream, args.year_rows, tenant)
        out = [f"| {name} | load {total:,} Observations (raw, indexes after) | {seconds:.0f} s | | |"]
        seconds, hours = build_aggregates(db)
        out.append(
            f"| {name} | build the stored hourly aggregates ({hours:,} hours; `aggregates.rebuild`) | | {seconds:.0f} s | |"
        )
        if args.load_only:
            db.dispose()
            return out
    client = TestClient(create_app(settings, db, discover(settings), run_jobs=False))
    repeat = args.repeat

    latest = (
        f"{ROOT}/Datastreams?$top={len(streams)}&$filter="
        + quote(f"id le {streams[-1]}")
        + "&$expand="
        + quote("Observations($top=1;$orderby=phenomenonTime desc)")
    )
    body = client.get(latest).json()
    assert len(body["value"]) == len(streams) and all(len(d["Observations"]) == 1 for d in body["value"])
    newest = (START + timedelta(minutes=per_stream - 1)).isoformat().replace("+00:00", "Z")
    assert body["value"][0]["Observations"][0]["phenomenonTime"] == newest
    raw_latest = raw_latest_sql(db, streams)
    timing = timed(lambda: client.get(latest), repeat)
    p50, p95, cpu = *timing, timing.cpu
    out.append(
        f"| {name} | latest Observation of {len(streams)} Datastreams (`$expand=Observations($top=1;"
        f"$orderby=phenomenonTime desc)`) | {raw_latest:.1f} ms | p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU {cpu:.1f} ms) | ≤ 50 ms |"
    )
    original = read.fetch_per_parent
    read.fetch_per_parent = per_parent
    try:
        p50_old, p95_old = timed(lambda: client.get(latest), max(3, repeat // 5))
    finally:
        read.fetch_per_parent = original
    out.append(
        f"| {name} | same, one query per Datastream (previous implementation) | | "
        f"p50 {p50_old:.1f} ms, p95 {p95_old:.1f} ms | |"
    )

    stream = streams[len(streams) // 2]
    day = START + timedelta(minutes=per_stream // 2)
    day_filter = quote(
        f"phenomenonTime ge {day.isoformat().replace('+00:00', 'Z')} and "
        f"phenomenonTime lt {(day + timedelta(days=1)).isoformat().replace('+00:00', 'Z')}"
    )
    one_day = (
        f"{ROOT}/Datastreams({stream})/Observations?$filter={day_filter}"
        f"&$orderby=phenomenonTime&$top=2000&$select=phenomenonTime,result"
    )
    expected = min(1440, per_stream - per_stream // 2)
    assert len(get_all(client, one_day)) == expected
    raw_day = raw_day_sql(db, stream, day)
    timing = timed(lambda: get_all(client, one_day), repeat)
    p50, p95, cpu = *timing, timing.cpu
    out.append(
        f"| {name} | one day of one-minute data of one Datastream ({expected} rows, one page) | "
        f"{raw_day:.1f} ms | p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU {cpu:.1f} ms) | ≤ 20 ms |"
    )

    if args.year_rows:
        aggregate = (
            f"{ROOT}/Datastreams({year_stream[0]})/Observations/$aggregate?aggrMethod=avg&aggrPeriod=day"
        )
        days = client.get(aggregate).json()["value"]
        assert sum(d["count"] for d in days) == args.year_rows, days[:2]
        raw_year = raw_year_sql(db, year_stream[0])
        timing = timed(lambda: client.get(aggregate), max(3, repeat // 3))
        p50, p95, cpu = *timing, timing.cpu
        out.append(
            f"| {name} | {args.year_rows:,} one-minute values aggregated to {len(days)} daily means "
            f"(Europe/Berlin) | {raw_year:.1f} ms (UTC days) | p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU {cpu:.1f} ms) | ≤ 100 ms |"
        )

    count_one = f"{ROOT}/Datastreams({stream})/Observations?$count=true&$top=0"
    assert client.get(count_one).json()["@iot.count"] == per_stream
    timing = timed(lambda: client.get(count_one), repeat)
    p50, p95, cpu = *timing, timing.cpu
    out.append(
        f"| {name} | `$count` of one Datastream's {per_stream:,} Observations (exact) | | p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU {cpu:.1f} ms) | |"
    )
    count_all = f"{ROOT}/Observations?$count=true&$top=0"
    body = client.get(count_all).json()
    flag = " (estimate, flagged)" if body.get(read.ESTIMATED_FLAG) else " (exact)"
    timing = timed(lambda: client.get(count_all), max(3, repeat // 5))
    p50, p95, cpu = *timing, timing.cpu
    out.append(
        f"| {name} | `$count` of all {total:,} Observations → {body['@iot.count']:,}{flag} | "
        f"{raw_count_sql(db):.0f} ms exact count(*) | p50 {p50:.1f} ms, p95 {p95:.1f} ms (CPU {cpu:.1f} ms) | |"
    )
    client.close()
    db.dispose()
    return out


def _raw_ms(db: Database, sql: str, params: dict, repeat: int = 5) -> float:
    with db.engine.connect() as conn:
        conn.execute(text(sql), params).fetchall()
        began = time.perf_counter()
        for _ in range(repeat):
            conn.execute(text(sql), params).fetchall()
        return (time.perf_counter() - began) * 1000 / repeat


def raw_latest_sql(db: Database, streams: list[int]) -> float:
    """Newest row per Datastream in raw SQL (LATERAL on PostgreSQL, correlated IN on SQLite)."""
    if db.backend == "postgresql":
        sql = (
            "SELECT o.* FROM unnest(CAST(:ids AS int[])) AS p(id) CROSS JOIN LATERAL (SELECT * FROM "
            "sta_observations WHERE datastream_id = p.id ORDER BY phenomenon_time_start DESC LIMIT 1) o"
        )
        return _raw_ms(db, sql, {"ids": streams})
    sql = (
        "SELECT o.* FROM sta_datastreams p, sta_observations o WHERE p.id BETWEEN :a AND :b AND o.id IN "
        "(SELECT id FROM sta_observations WHERE datastream_id = p.id ORDER BY phenomenon_time_start DESC LIMIT 1)"
    )
    return _raw_ms(db, sql, {"a": streams[0], "b": streams[-1]})


def raw_day_sql(db: Database, stream: int, day: datetime) -> float:
    """One day of one Datastream in raw SQL."""
    if db.backend == "sqlite":
        fmt = "%Y-%m-%d %H:%M:%S.000000"
        params = {"s": stream, "a": day.strftime(fmt), "b": (day + timedelta(days=1)).strftime(fmt)}
    else:
        params = {"s": stream, "a": day, "b": day + timedelta(days=1)}
    sql = (
        "SELECT phenomenon_time_start, result FROM sta_observations WHERE datastream_id = :s "
        "AND phenomenon_time_start >= :a AND phenomenon_time_start < :b ORDER BY phenomenon_time_start"
    )
    return _raw_ms(db, sql, params)


def raw_year_sql(db: Database, stream: int) -> float:
    """Daily means (UTC days) of one Datastream in raw SQL."""
    if db.backend == "sqlite":
        day = "strftime('%Y-%m-%d', phenomenon_time_start)"
    else:
        day = "date_trunc('day', phenomenon_time_start AT TIME ZONE 'UTC')"
    sql = f"SELECT {day}, avg(result_number) FROM sta_observations WHERE datastream_id = :s GROUP BY 1"
    return _raw_ms(db, sql, {"s": stream}, repeat=3)


def raw_count_sql(db: Database) -> float:
    return _raw_ms(db, "SELECT count(*) FROM sta_observations", {}, repeat=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="Observations of the Datastreams")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--year-rows", type=int, default=525_600, help="one-minute values of the year stream")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres-url", default=PG_URL)
    parser.add_argument("--sqlite-path", help="keep the SQLite database here (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="skip the load; measure an earlier run's data")
    parser.add_argument("--load-only", action="store_true", help="load the data, measure nothing")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # one log line per request would cost time and bury the table
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, --rows {args.rows} --streams {args.streams} "
        f"--year-rows {args.year_rows} --repeat {args.repeat}"
    )
    print("| backend | work | raw SQL | platform (HTTP, in-process) | issue 3 target |")
    print("|---|---|---|---|---|")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="gelsencloud-bench-sta-") as tmp:
            path = Path(args.sqlite_path) if args.sqlite_path else Path(tmp) / "bench.db"
            if path.exists() and not args.reuse:
                for stale in path.parent.glob(path.name + "*"):
                    stale.unlink()
            for line in bench("SQLite", f"sqlite:///{path}", args):
                print(line, flush=True)
    if args.backend in ("postgresql", "both"):
        for line in bench("PostgreSQL", args.postgres_url, args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
