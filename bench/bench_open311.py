"""Benchmark GE-meldet's Open311 API with a city's worth of history (issue 7 targets).

Run by hand:  .venv/bin/python bench/bench_open311.py [--reports 200000] [--postgres URL]
              [--sqlite-file PATH] [--postgres-reuse] [--seed-only]

Seeding and measuring can run apart (``--seed-only`` once, then measure with ``--sqlite-file`` /
``--postgres-reuse``), so that only the measurement needs a quiet machine. The history ends at the
time of seeding, so reseed a database that is more than a few days old (the default 90-day window
would hold fewer reports). "CPU" is this process's CPU time per request (client and server); on
PostgreSQL "DB" adds the database server processes' CPU time per request (mean, from /proc).

* ``GET requests.json`` with bbox and filters: p95 over many requests (target <= 50 ms);
* ``POST requests.json`` with a 5 MB photo (multipart ``media``): p95 (target <= 1 s).

The history is synthetic: 200,000 reports over three years (two thirds illegal dumping, like
GE-meldet's real mix), clustered around the quarters' centres, with two status notes each on
average, written with bulk inserts (the benchmark measures reading and posting, not seeding).
Requests go through the full ASGI application in-process (Starlette's TestClient): routing,
authentication, the classification filter, queries and serialisation, without network.
Prints a Markdown table for docs/performance.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import create_engine, insert, text

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.models import Report, ReportNote
from gelsencloud.core import identity, migrate
from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM
from gelsencloud.core.settings import Settings

SERVICES = [
    ("ablagerung", 66),
    ("sperrmuell", 8),
    ("strassenschaden", 8),
    ("beleuchtung", 6),
    ("baum-gruen", 6),
]
CLOSED = ["fixed", "fixed", "fixed", "closed_duplicate", "closed_not_responsible", "closed_not_fixable"]


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def prepare(url: str) -> tuple[Database, Settings, int]:
    """Empty database, migrated, with tenants, city areas and the GE-meldet services."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    var = Path(tempfile.mkdtemp(prefix="bench-open311-"))
    settings = Settings(
        _env_file=None, database_url=url, jobs_enabled=False, var_dir=var, log_level="WARNING"
    )
    db = Database(url)
    migrate.upgrade(db, discover(settings))
    with db.transaction(SYSTEM) as session:
        identity.seed_tenants(session)
        city = identity.get_tenant(session, "stadt-gelsenkirchen").id
        sync_areas(session, cached_profile(settings.city_profile))
        svc.seed_services(session, city)
    return db, settings, city


def reopen(url: str) -> tuple[Database, Settings, int]:
    """Open a database seeded by an earlier run (``--sqlite-file``), skipping the seeding."""
    var = Path(tempfile.mkdtemp(prefix="bench-open311-"))
    settings = Settings(
        _env_file=None, database_url=url, jobs_enabled=False, var_dir=var, log_level="WARNING"
    )
    db = Database(url)
    with db.transaction(SYSTEM) as session:
        city = identity.get_tenant(session, "stadt-gelsenkirchen").id
    return db, settings, city


def seed_history(db: Database, city: int, count: int, rng: random.Random) -> None:
    """Bulk-insert ``count`` historical reports (three years) with their status notes."""
    profile = cached_profile("gelsenkirchen")
    seeds = [q.seed for q in profile.quarters]  # (lon, lat) of the 18 quarters
    codes = [c for c, w in SERVICES for _ in range(w)]
    names = {c: c for c, _ in SERVICES}
    now = datetime.now(UTC)
    span = timedelta(days=3 * 365).total_seconds()
    note_id = 0
    batch_size = 10_000
    for start in range(0, count, batch_size):
        reports, notes = [], []
        for i in range(start, min(count, start + batch_size)):
            requested = now - timedelta(seconds=rng.random() * span)
            age_days = (now - requested).days
            closed = age_days > 14 or rng.random() < 0.4
            status = rng.choice(CLOSED) if closed else rng.choice(["new", "acknowledged", "in_progress"])
            updated = requested + timedelta(days=rng.uniform(0.2, 14)) if status != "new" else requested
            updated = min(updated, now)
            lon0, lat0 = rng.choice(seeds)
            code = rng.choice(codes)
            reports.append(
                {
                    "id": i + 1,
                    "tenant_id": city,
                    "classification": "public" if rng.random() < 0.97 else "internal",
                    "token": f"bench-{i}",
                    "service_code": code,
                    "service_name": names[code],
                    "status": status,
                    "description": "Synthetischer Verlauf für den Benchmark.",
                    "lat": round(lat0 + rng.gauss(0, 0.006), 6),
                    "lon": round(lon0 + rng.gauss(0, 0.009), 6),
                    "address": "",
                    "address_id": "",
                    "zipcode": "",
                    "district_code": None,
                    "quarter_code": None,
                    "attributes": {},
                    "media_url": "",
                    "department": "stadtreinigung",
                    "agency_responsible": "GELSENDIENSTE",
                    "priority": "normal",
                    "moderation": "approved",
                    "moderation_reason": "",
                    "channel": "web",
                    "synthetic": True,
                    "location_source": "pin",
                    "address_source": "",
                    "requested_at": requested,
                    "updated_at": updated,
                    "expected_at": requested + timedelta(days=14),
                    "closed_at": updated if closed else None,
                }
            )
            texts = [("new", requested, "Meldung eingegangen.")]
            if status != "new":
                texts.append((status, updated, "Statusmeldung."))
            for note_status, at, body in texts:
                note_id += 1
                notes.append(
                    {
                        "id": note_id,
                        "tenant_id": city,
                        "classification": reports[-1]["classification"],
                        "report_id": i + 1,
                        "kind": "status",
                        "status": note_status,
                        "text": body,
                        "author": "GE-meldet",
                        "created_at": at,
                    }
                )
        with db.engine.begin() as conn:
            conn.execute(insert(Report.__table__), reports)
            conn.execute(insert(ReportNote.__table__), notes)
    if db.backend == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval('mm_reports_id_seq', (SELECT max(id) FROM mm_reports))"))
            conn.execute(
                text("SELECT setval('mm_report_notes_id_seq', (SELECT max(id) FROM mm_report_notes))")
            )
        # Vacuumed like a database that autovacuum has kept up with: index-only scans need the visibility map.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def five_mb_photo(rng: random.Random) -> bytes:
    """A 12-megapixel camera-like JPEG of about 5 MB (noise keeps it from compressing away)."""
    width, height = 4000, 3000
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    base = Image.new("RGB", (width, height), (110, 130, 90))
    image = Image.blend(base, noise, 0.3)
    for quality in (97, 96, 95, 93, 91, 89, 87, 85, 80, 75, 70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= 5 * 1024 * 1024:
            return out.getvalue()
    return out.getvalue()


def bbox_around(lon: float, lat: float, km: float) -> str:
    """A square bbox of ``km`` edge length around a point (minLong,minLat,maxLong,maxLat)."""
    dlat = km / 2 / 111.32
    dlon = km / 2 / (111.32 * 0.62)
    return f"{lon - dlon:.5f},{lat - dlat:.5f},{lon + dlon:.5f},{lat + dlat:.5f}"


def _load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def server_cpu_seconds(db: Database) -> float | None:
    """CPU time (user + system) of the PostgreSQL server processes of this database, from /proc."""
    if db.backend != "postgresql":
        return None
    with db.engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the server runs elsewhere or the process has gone
                return None
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def bench_backend(
    name: str, url: str, count: int, samples: int, posts: int, reuse: bool = False, seed_only: bool = False
) -> list[tuple]:
    """Seed, then time GET with filters and POST with a 5 MB photo; return table rows."""
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    rng = random.Random(7)
    started = time.perf_counter()
    if reuse:
        db, settings, city = reopen(url)
        print(f"{name}: reusing the seeded database {url}")
    else:
        db, settings, city = prepare(url)
        seed_history(db, city, count, rng)
        print(f"{name}: {count} reports seeded in {time.perf_counter() - started:.0f} s")
    if seed_only:
        db.dispose()
        return []
    print(f"{name}: measuring at {datetime.now(UTC):%H:%M:%S} UTC, load average {_load()}")
    os.environ["GELSENCLOUD_MAENGELMELDER_RATE_LIMIT_PER_IP_HOUR"] = "100000"
    app = create_app(settings, db, discover(settings), run_jobs=False)
    rows = []
    min_lon, min_lat, max_lon, max_lat = cached_profile("gelsenkirchen").bbox
    now = datetime.now(UTC)
    queries = {
        "bbox 1 km², last 90 days (default window)": lambda: {
            "bbox": bbox_around(rng.uniform(7.0, 7.14), rng.uniform(51.49, 51.61), 1.0)
        },
        "bbox 2 km² + service_code + status=open": lambda: {
            "bbox": bbox_around(rng.uniform(7.0, 7.14), rng.uniform(51.49, 51.61), 1.4),
            "service_code": "ablagerung",
            "status": "open",
        },
        "whole city, 2 services, closed, 30-day window, page_size=100": lambda: {
            "bbox": f"{min_lon},{min_lat},{max_lon},{max_lat}",
            "service_code": "ablagerung,sperrmuell",
            "status": "closed",
            "start_date": (now - timedelta(days=rng.randint(31, 900))).isoformat(timespec="seconds"),
            "page_size": "100",
        },
        "bbox 1 km² + extensions=true": lambda: {
            "bbox": bbox_around(rng.uniform(7.0, 7.14), rng.uniform(51.49, 51.61), 1.0),
            "extensions": "true",
        },
        # XML is the format every GeoReport v2 server must speak
        "bbox 1 km² + extensions=true (XML)": lambda: {
            "bbox": bbox_around(rng.uniform(7.0, 7.14), rng.uniform(51.49, 51.61), 1.0),
            "extensions": "true",
            "format": "xml",
        },
    }
    with TestClient(app) as client:
        client.get("/open311/v2/requests.json", params={"bbox": bbox_around(7.1, 51.51, 1)})  # warm up
        for label, make in queries.items():
            times, cpu, sizes = [], [], []
            server_before = server_cpu_seconds(db)
            for _ in range(samples):
                params = make()
                if "start_date" in params:
                    start = datetime.fromisoformat(params["start_date"])
                    params["end_date"] = (start + timedelta(days=30)).isoformat(timespec="seconds")
                fmt = params.pop("format", "json")
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(f"/open311/v2/requests.{fmt}", params=params)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                assert response.status_code == 200, response.text
                sizes.append(len(response.json()) if fmt == "json" else response.text.count("<request>"))
            server_after = server_cpu_seconds(db)
            server = (
                f" + DB {(server_after - server_before) / samples * 1000:.1f} ms mean"
                if server_before is not None and server_after is not None
                else ""
            )
            rows.append(
                (
                    name,
                    f"GET requests.{fmt}: {label}",
                    f"{statistics.median(sizes):.0f} items (max {max(sizes)})",
                    f"{statistics.median(times) * 1000:.1f} ms",
                    f"{percentile(times, 95) * 1000:.1f} ms",
                    f"{statistics.median(cpu) * 1000:.1f} / {percentile(cpu, 95) * 1000:.1f} ms{server}",
                    "≤ 50 ms",
                )
            )
            print(rows[-1])
        photo = five_mb_photo(rng)
        times, cpu = [], []
        for i in range(posts):
            data = {
                "service_code": "ablagerung",
                "lat": f"{rng.uniform(51.50, 51.60):.5f}",
                "long": f"{rng.uniform(7.02, 7.12):.5f}",
                "attribute[menge]": "mittel",
                "description": f"Benchmark-Meldung {i} mit Foto",
            }
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.post(
                "/open311/v2/requests.json", data=data, files={"media": ("foto.jpg", photo, "image/jpeg")}
            )
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert response.status_code == 201, response.text
        rows.append(
            (
                name,
                f"POST requests.json with a {len(photo) / 1e6:.1f} MB JPEG (4000×3000)",
                f"{posts} posts",
                f"{statistics.median(times) * 1000:.0f} ms",
                f"{percentile(times, 95) * 1000:.0f} ms",
                f"{statistics.median(cpu) * 1000:.0f} / {percentile(cpu, 95) * 1000:.0f} ms",
                "≤ 1 s",
            )
        )
        print(rows[-1])
    db.dispose()
    return rows


def main() -> None:
    """Run the benchmark on SQLite (and PostgreSQL when a URL is given) and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=200, help="GET requests per query type")
    parser.add_argument("--posts", type=int, default=20, help="POSTs with a 5 MB photo")
    parser.add_argument("--postgres", help="postgresql+psycopg://… (its public schema is emptied!)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here; reused if it exists")
    parser.add_argument(
        "--postgres-reuse",
        action="store_true",
        help="measure the PostgreSQL database seeded by an earlier run",
    )
    parser.add_argument("--seed-only", action="store_true", help="seed the databases, measure nothing")
    args = parser.parse_args()
    rows = []
    if not args.no_sqlite:
        path = args.sqlite_file or Path(tempfile.mkdtemp(prefix="bench-open311-db-")) / "bench.db"
        reuse = path.exists()
        rows += bench_backend(
            "SQLite", f"sqlite:///{path}", args.reports, args.samples, args.posts, reuse, args.seed_only
        )
    if args.postgres:
        rows += bench_backend(
            "PostgreSQL",
            args.postgres,
            args.reports,
            args.samples,
            args.posts,
            args.postgres_reuse,
            args.seed_only,
        )
    if args.seed_only:
        return
    print()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
    )
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.reports:,} reports, load average {_load()}")
    print()
    print("| backend | request | result size | median | p95 | CPU median / p95 (+ DB mean) | target (p95) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
