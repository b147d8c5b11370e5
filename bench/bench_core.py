"""Benchmark the core's per-request costs against the physical limit of the same work in raw SQL.

Run by hand:  .venv/bin/python bench/bench_core.py [--rows 20000] [--postgres URL]
Prints a Markdown table for docs/performance.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from gelsencloud.apps.example.models import Notice
from gelsencloud.core import identity, migrate
from gelsencloud.core.db import Database
from gelsencloud.core.plugins import discover
from gelsencloud.core.principal import SYSTEM, Principal, Role
from gelsencloud.core.security import hash_password, verify_password
from gelsencloud.core.settings import Settings


def timed(fn, repeat: int = 5) -> float:
    """Return the median wall time of ``fn`` in seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def prepare(url: str) -> tuple[Database, int, int]:
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    settings = Settings(_env_file=None, database_url=url, jobs_enabled=False)
    db = Database(url)
    migrate.upgrade(db, discover(settings))
    with db.transaction(SYSTEM) as session:
        tenants = identity.seed_tenants(session)
    return db, tenants[0].id, tenants[1].id


def bench_backend(name: str, url: str, rows: int) -> list[tuple[str, str, str, str]]:
    db, city, net = prepare(url)
    results = []
    now = datetime.now(UTC)
    batch = [
        {
            "tenant_id": city if i % 2 else net,
            "classification": ("public", "internal", "personal")[i % 3],
            "title": f"n{i}",
            "body": "",
            "created_at": now,
            "archived": False,
        }
        for i in range(rows)
    ]

    def raw_insert():
        with db.engine.begin() as conn:
            conn.execute(insert(Notice.__table__), batch)

    raw_write = timed(raw_insert, repeat=1)

    def orm_insert():
        with db.transaction(SYSTEM) as session:
            session.add_all(Notice(**row) for row in batch)

    orm_write = timed(orm_insert, repeat=1)
    results.append(
        (
            name,
            f"write {rows} records",
            f"{raw_write * 1000:.0f} ms raw executemany",
            f"{orm_write * 1000:.0f} ms ORM + classification check + audit ({orm_write / raw_write:.1f}×)",
        )
    )

    viewer = Principal(kind="user", tenant_id=city, role=Role.VIEWER, name="bench")
    raw_sql = text(
        "SELECT id, title FROM example_notices WHERE classification = 'public' "
        "OR (tenant_id = :t AND classification IN ('internal'))"
    )

    def raw_read():
        with db.engine.connect() as conn:
            return conn.execute(raw_sql, {"t": city}).all()

    def orm_read():
        with db.transaction(viewer) as session:
            return session.execute(select(Notice.id, Notice.title)).all()

    assert len(raw_read()) == len(orm_read()), "both reads must return the same rows"
    raw_r, orm_r = timed(raw_read), timed(orm_read)
    results.append(
        (
            name,
            f"read visible rows of {2 * rows} (viewer)",
            f"{raw_r * 1000:.1f} ms raw SQL",
            f"{orm_r * 1000:.1f} ms ORM with classification ({orm_r / raw_r:.2f}×)",
        )
    )

    def raw_point():
        with db.engine.connect() as conn:
            for i in range(1, 201):
                conn.execute(
                    text(
                        "SELECT id, title FROM example_notices WHERE id = :i AND "
                        "(classification = 'public' OR tenant_id = :t)"
                    ),
                    {"i": i, "t": city},
                ).first()

    def orm_point():
        with db.transaction(viewer) as session:
            for i in range(1, 201):
                session.execute(select(Notice.id, Notice.title).where(Notice.id == i)).first()

    raw_p, orm_p = timed(raw_point), timed(orm_point)
    results.append(
        (
            name,
            "200 point reads by id",
            f"{raw_p / 200 * 1e6:.0f} µs/read raw",
            f"{orm_p / 200 * 1e6:.0f} µs/read ORM with classification ({orm_p / raw_p:.1f}×)",
        )
    )
    db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/gelsencloud_bench"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench_backend("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows)
    try:
        admin = create_engine(args.postgres.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname='gelsencloud_bench'")):
                conn.execute(text("CREATE DATABASE gelsencloud_bench"))
        admin.dispose()
        rows += bench_backend("PostgreSQL", args.postgres, args.rows)
    except Exception as exc:  # report, don't hide, a missing server
        print(f"PostgreSQL skipped: {exc}")
    stored = hash_password("benchmark password")
    login = timed(lambda: verify_password(stored, "benchmark password"), repeat=9)
    rows.append(("–", "argon2id password check (log-in)", "–", f"{login * 1000:.0f} ms"))
    print(
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    print("| backend | work | physical limit | platform |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
