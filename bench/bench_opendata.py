"""Benchmark the open data portal over real HTTP (uvicorn in this process), issue 4's targets.

Run by hand:
    .venv/bin/python bench/bench_opendata.py [--quick] [--postgres URL] [--no-pygeoapi]

Measures, on a catalogue of 5,000 datasets: CKAN ``package_search`` and the catalogue page (p95
<= 30 ms); the data API on a 1,000,000-row table, filtered and sorted (p95 <= 100 ms); the CSV
export of that table (>= 50 MB/s, memory flat); OGC API Features ``items?bbox=..&limit=100`` on
100,000 point features side by side with pygeoapi (GeoJSON provider, Starlette app) serving the
same features; and the cost of one usage-counter upsert. ``--quick`` uses 1,000 datasets,
100,000 rows and 20,000 features. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text

from gelsencloud.apps.opendata import search_index, tabular, usage
from gelsencloud.apps.opendata.models import Dataset, Distribution
from gelsencloud.core import identity, migrate
from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM
from gelsencloud.core.settings import Settings

WORDS = (
    "Luftqualität Verkehr Parken Bäume Schulen Haushalt Abfall Radverkehr Bevölkerung Wahlen Energie Wasser "
    "Lärm Spielplätze Kitas Sport Kultur Friedhöfe Baustellen Haltestellen Ladesäulen Wohnen Gewerbe Klima"
).split()
THEMES = ["ENVI", "TRAN", "SOCI", "GOVE", "EDUC", "ECON", "ENER", "HEAL", "REGI", "JUST"]
CATEGORIES = ["Straße", "Licht", "Müll", "Grün", "Schild", "Spielplatz", "Kanal", "Sonstiges"]


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def serve(app):
    """Serve an ASGI app with uvicorn on a free port in a thread; yield its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def prepare(url: str, var_dir: Path) -> tuple[Settings, Database, list[int]]:
    """A migrated, empty database with the seed tenants and the city areas."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    settings = Settings(_env_file=None, database_url=url, jobs_enabled=False, var_dir=var_dir)
    db = Database(url)
    migrate.upgrade(db, discover(settings))
    with db.transaction(SYSTEM) as session:
        tenants = [t.id for t in identity.seed_tenants(session)]
        sync_areas(session, cached_profile(settings.city_profile))
    return settings, db, tenants


def seed_catalogue(db: Database, count: int, tenants: list[int], rng: random.Random) -> None:
    """``count`` datasets (10 % internal) with one file distribution each (bulk insert, as a harvest would)."""
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        for start in range(0, count, 1000):
            datasets = []
            for i in range(start, min(count, start + 1000)):
                words = rng.sample(WORDS, 3)
                datasets.append(
                    {
                        "id": i + 1,
                        "name": f"bench-{i:05d}-{words[0].lower()}",
                        "identifier": str(uuid.UUID(int=rng.getrandbits(128))),
                        "title": f"{words[0]} und {words[1]} {2000 + i % 25}",
                        "title_en": "",
                        "description": f"Daten zu {' '.join(words)} in Gelsenkirchen, Jahr {2000 + i % 25}.",
                        "description_en": "",
                        "license_id": "dl-zero-de/2.0",
                        "license_attribution": "",
                        "themes": rng.sample(THEMES, 2),
                        "keywords": words,
                        "spatial_area": "",
                        "accrual_periodicity": "",
                        "contact_name": "",
                        "contact_email": "",
                        "contact_url": "",
                        "synthetic": True,
                        "issued": now - timedelta(days=i),
                        "modified": now - timedelta(minutes=i),
                        "tenant_id": tenants[i % len(tenants)],
                        "classification": "public" if i % 10 else "internal",
                    }
                )
            conn.execute(insert(Dataset.__table__), datasets)
            conn.execute(
                insert(Distribution.__table__),
                [
                    {
                        "dataset_id": d["id"],
                        "identifier": str(uuid.uuid4()),
                        "title": "daten.csv",
                        "description": "",
                        "kind": "file",
                        "format": ("CSV", "JSON", "XLSX", "GEOJSON")[d["id"] % 4],
                        "media_type": "text/csv",
                        "access_url": "",
                        "file_name": "daten.csv",
                        "storage_key": "",
                        "checksum": "",
                        "license_id": "",
                        "columns": [],
                        "row_count": 0,
                        "tabular": False,
                        "geo": False,
                        "counts_people": False,
                        "live_generator": "",
                        "version": 1,
                        "issued": now,
                        "modified": now,
                        "tenant_id": d["tenant_id"],
                        "classification": d["classification"],
                    }
                    for d in datasets
                ],
            )
        if conn.dialect.name == "postgresql":
            # explicit ids do not advance PostgreSQL's sequence; later inserts would collide
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('opendata_datasets', 'id'), :n)"), {"n": count}
            )


def _table(db: Database, tenant: int, name: str, columns: list[dict], rows, count: int, geo: bool) -> int:
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        dataset_id = conn.execute(
            insert(Dataset.__table__).returning(Dataset.__table__.c.id),
            {
                "name": name,
                "identifier": str(uuid.uuid4()),
                "title": name,
                "title_en": "",
                "description": "",
                "description_en": "",
                "license_id": "dl-zero-de/2.0",
                "license_attribution": "",
                "themes": ["REGI"],
                "keywords": [],
                "spatial_area": "",
                "accrual_periodicity": "",
                "contact_name": "",
                "contact_email": "",
                "contact_url": "",
                "synthetic": True,
                "issued": now,
                "modified": now,
                "tenant_id": tenant,
                "classification": "public",
            },
        ).scalar_one()
        dist_id = conn.execute(
            insert(Distribution.__table__).returning(Distribution.__table__.c.id),
            {
                "dataset_id": dataset_id,
                "identifier": str(uuid.uuid4()),
                "title": name,
                "description": "",
                "kind": "live",
                "format": "CSV",
                "media_type": "text/csv",
                "access_url": "",
                "file_name": "",
                "storage_key": "",
                "checksum": "",
                "license_id": "",
                "columns": columns,
                "row_count": count,
                "tabular": True,
                "geo": geo,
                "counts_people": False,
                "live_generator": "",
                "version": 1,
                "issued": now,
                "modified": now,
                "tenant_id": tenant,
                "classification": "public",
            },
        ).scalar_one()
    # The rows go through the import path of the app (typed table, and the row store for geo tables).
    with db.transaction(SYSTEM) as session:
        tabular.load_rows(session, session.get(Distribution, dist_id), rows, version=1)
    return dist_id


def seed_big_table(db: Database, tenant: int, count: int, rng: random.Random) -> int:
    """A Mängelmelder-like table: id, datum, stadtteil, kategorie, wert, text."""
    quarters = [q.name for q in cached_profile("gelsenkirchen").quarters]
    start = datetime(2020, 1, 1)

    seed = rng.random()

    def rows():
        rng = random.Random(seed)  # the import reads the rows twice; both passes must agree
        for i in range(count):
            yield (
                {
                    "meldung": i + 1,
                    "datum": (start + timedelta(minutes=3 * i)).strftime("%Y-%m-%d %H:%M"),
                    "stadtteil": quarters[i % len(quarters)],
                    "kategorie": CATEGORIES[rng.randrange(len(CATEGORIES))],
                    "wert": round(rng.uniform(0, 1000), 2),
                    "text": f"Meldung {i + 1} zu {CATEGORIES[i % len(CATEGORIES)]}",
                },
                None,
            )

    columns = [
        {"name": "meldung", "type": "integer"},
        {"name": "datum", "type": "string"},
        {"name": "stadtteil", "type": "string"},
        {"name": "kategorie", "type": "string"},
        {"name": "wert", "type": "number"},
        {"name": "text", "type": "string"},
    ]
    return _table(db, tenant, "bench-maengel", columns, rows, count, geo=False)


def features(count: int, rng: random.Random) -> list[dict]:
    """Point features inside the city's bounding box (trees)."""
    min_lon, min_lat, max_lon, max_lat = cached_profile("gelsenkirchen").bbox
    species = ["Linde", "Ahorn", "Eiche", "Platane", "Kastanie"]
    return [
        {
            "type": "Feature",
            "id": i + 1,
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(rng.uniform(min_lon, max_lon), 6),
                    round(rng.uniform(min_lat, max_lat), 6),
                ],
            },
            "properties": {"baum": i + 1, "art": species[i % 5], "hoehe": round(rng.uniform(3, 30), 1)},
        }
        for i in range(count)
    ]


def seed_geo(db: Database, tenant: int, feats: list[dict]) -> int:
    columns = [
        {"name": "baum", "type": "integer"},
        {"name": "art", "type": "string"},
        {"name": "hoehe", "type": "number"},
    ]
    return _table(
        db,
        tenant,
        "bench-baeume",
        columns,
        lambda: ((f["properties"], f["geometry"]) for f in feats),
        len(feats),
        geo=True,
    )


LAST_CPU = [0.0]  # CPU ms per request of the last timed_requests (client and server: one process)


def timed_requests(client: httpx.Client, urls: list[str], repeat: int) -> tuple[float, float]:
    """Request the URLs ``repeat`` times round-robin (after one warm-up each); return (p50, p95) in ms.

    Also leaves the process CPU time per request (uvicorn and the client share this process) in
    ``LAST_CPU``: on a shared machine it moves less than wall-clock times do.
    """
    for url in urls:
        response = client.get(url)
        response.raise_for_status()
    samples = []
    cpu = time.process_time()
    for i in range(repeat):
        url = urls[i % len(urls)]
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    LAST_CPU[0] = (time.process_time() - cpu) / repeat * 1000
    return statistics.median(samples), percentile(samples, 95)


def export_rate(client: httpx.Client, url: str) -> tuple[float, float, float, float]:
    """Stream an export; return (MB, seconds, RSS before MB, peak RSS during MB)."""
    before = rss_mb()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = 0
    start = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            size += len(chunk)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return size / 1e6, seconds, before, peak[0]


def bbox_queries(rng: random.Random, n: int) -> list[str]:
    """Small windows (about 1 km) inside the city."""
    min_lon, min_lat, max_lon, max_lat = cached_profile("gelsenkirchen").bbox
    boxes = []
    for _ in range(n):
        x, y = rng.uniform(min_lon, max_lon - 0.015), rng.uniform(min_lat, max_lat - 0.01)
        boxes.append(f"{x:.5f},{y:.5f},{x + 0.015:.5f},{y + 0.01:.5f}")
    return boxes


@contextmanager
def pygeoapi_server(folder: Path, feats: list[dict]):
    """pygeoapi (Starlette app) serving the same features from a GeoJSON file; yield the base URL."""
    data = folder / "baeume.geojson"
    data.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    config = folder / "pygeoapi.yml"
    config.write_text(
        f"""server:
  bind: {{host: 127.0.0.1, port: 5000}}
  url: http://127.0.0.1:5000
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  language: de-DE
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: OSM}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none, url: http://example.org}}
  license: {{name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}}
  provider: {{name: bench, url: http://example.org}}
  contact: {{name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: http://example.org, hours: x, instructions: x, role: pointOfContact}}
resources:
  baeume:
    type: collection
    title: Bäume
    description: Bäume
    keywords: [Bäume]
    extents:
      spatial: {{bbox: [6.99, 51.484, 7.15, 51.628], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: GeoJSON
        data: {data}
        id_field: id
"""
    )
    openapi = folder / "openapi.yml"
    os.environ["PYGEOAPI_CONFIG"] = str(config)
    from pygeoapi.models.openapi import OAPIFormat
    from pygeoapi.openapi import generate_openapi_document

    openapi.write_text(generate_openapi_document(config, OAPIFormat(root="yaml")))
    os.environ["PYGEOAPI_OPENAPI"] = str(openapi)
    from pygeoapi.starlette_app import APP

    with serve(APP) as url:
        yield url


def run(
    url: str,
    datasets: int,
    rows: int,
    geo: int,
    with_pygeoapi: bool,
    repeat: int,
    catalogue_only: bool = False,
) -> list[tuple]:
    rng = random.Random(4)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings, db, tenants = prepare(url, folder)
        t0 = time.perf_counter()
        seed_catalogue(db, datasets, tenants, rng)
        t1 = time.perf_counter()
        with db.engine.begin() as conn:
            search_index.rebuild(conn)  # bulk inserts bypass the ORM flush that keeps the index
        print(f"search index of {datasets:,} datasets built in {time.perf_counter() - t1:.1f} s", flush=True)
        big = seed_big_table(db, tenants[0], rows if not catalogue_only else 10, rng)
        feats = features(geo if not catalogue_only else 10, rng)
        geo_dist = seed_geo(db, tenants[0], feats)
        if url.startswith("postgresql"):
            # bulk inserts leave no planner statistics until autovacuum gets round to them, and the
            # search index's backfill (an UPDATE per dataset) dead rows: do what autovacuum would
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        print(f"seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        from gelsencloud.core.app import create_app

        app = create_app(settings, db, discover(settings), run_jobs=False)
        headers = {"User-Agent": "bench_opendata/1"}
        with serve(app) as base, httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            timed = timed_requests(client, ["/healthz"], repeat)
            results.append(
                (
                    f"baseline: GET /healthz (HTTP + middleware only; CPU {LAST_CPU[0]:.1f} ms/req)",
                    *timed,
                    None,
                )
            )
            words = [w.lower() for w in WORDS]
            searches = [f"/api/3/action/package_search?q={w}&rows=10" for w in words[:8]]
            searches += ['/api/3/action/package_search?fq=groups:envi&rows=10&facet.field=["tags"]']
            timed = timed_requests(client, searches, repeat)
            results.append(
                (f"CKAN package_search (q or fq, rows=10; CPU {LAST_CPU[0]:.1f} ms/req)", *timed, 30)
            )
            pages = [f"/daten?page={p}" for p in (1, 7, 42)] + [f"/daten?q={w}" for w in words[:3]]
            timed = timed_requests(client, pages, repeat)
            results.append((f"catalogue page /daten (CPU {LAST_CPU[0]:.1f} ms/req)", *timed, 30))
            if catalogue_only:
                return results
            rows_url = f"/api/v1/opendata/distributions/{big}/rows"
            filtered = [
                f"{rows_url}?kategorie={c}&wert__gt=500&_sort_desc=wert&_size=100" for c in CATEGORIES[:4]
            ] + [f"{rows_url}?stadtteil=Buer&_sort=datum&_size=100"]
            results.append(
                (
                    f"data API, {rows:,} rows, filtered + sorted",
                    *timed_requests(client, filtered, repeat),
                    100,
                )
            )
            # the first whole-table export renders the CSV in the database and keeps it as a file,
            # the second sends that file; a filtered export is always rendered
            export_url = f"/api/v1/opendata/distributions/{big}/export.csv"
            for label, url in (
                ("first, rendered", export_url),
                ("again, kept file", export_url),
                ("filtered wert__gt=0, rendered", f"{export_url}?wert__gt=0"),
            ):
                mb, seconds, before, peak = export_rate(client, url)
                results.append(
                    (
                        f"CSV export of {rows:,} rows ({label}): {mb:.0f} MB in {seconds:.1f} s = "
                        f"{mb / seconds:.1f} MB/s; RSS {before:.0f} -> peak {peak:.0f} MB",
                        None,
                        None,
                        None,
                    )
                )
            collection = f"/ogc/collections/bench-baeume-{geo_dist}/items"
            boxes = bbox_queries(rng, 20)
            ours = [f"{collection}?bbox={b}&limit=100" for b in boxes]
            ours_p50, ours_p95 = timed_requests(client, ours, repeat)
            results.append(
                (f"OGC API items bbox limit=100, {geo:,} features (GELSENcloud)", ours_p50, ours_p95, None)
            )
            if with_pygeoapi:
                with pygeoapi_server(folder, feats) as pg, httpx.Client(base_url=pg, timeout=120) as other:
                    theirs = [f"/collections/baeume/items?bbox={b}&limit=100&f=json" for b in boxes]
                    p50, p95 = timed_requests(other, theirs, min(repeat, 10))  # it reads the file per request
                    check = other.get(theirs[0]).json()
                    mine = client.get(ours[0]).json()
                    same = {f["id"] for f in check["features"]} == {int(f["id"]) for f in mine["features"]}
                results.append(
                    (f"same query, pygeoapi (GeoJSON provider); same features: {same}", p50, p95, None)
                )
                results.append(
                    (f"ratio GELSENcloud / pygeoapi (p50): {ours_p50 / p50:.2f}", None, None, None)
                )
        dataset_id = 1
        start = time.perf_counter()
        for _ in range(500):
            usage.count(db.engine, dataset_id, usage.VIEW)
        per = (time.perf_counter() - start) / 500 * 1000
        results.append((f"usage counter upsert (after the response): {per:.2f} ms each", None, None, None))
        db.dispose()
    return results


def main() -> None:
    import logging

    logging.disable(logging.INFO)  # the per-request access log would drown the figures
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 datasets, 100,000 rows, 20,000 features")
    parser.add_argument("--postgres", help="PostgreSQL URL (its public schema is dropped!) instead of SQLite")
    parser.add_argument("--no-pygeoapi", action="store_true", help="skip the pygeoapi comparison")
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per measurement")
    parser.add_argument("--catalogue-only", action="store_true", help="only the catalogue measurements")
    args = parser.parse_args()
    datasets, rows, geo = (1000, 100_000, 20_000) if args.quick else (5000, 1_000_000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/bench.db"
        results = run(url, datasets, rows, geo, not args.no_pygeoapi, args.repeat, args.catalogue_only)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{backend}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {datasets:,} datasets\n"
    )
    print("| measurement | p50 ms | p95 ms | target p95 ms |\n|---|---|---|---|")
    for name, p50, p95, target in results:
        cells = [
            f"{v:.1f}" if isinstance(v, float) else ("–" if v is None else str(v)) for v in (p50, p95, target)
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
