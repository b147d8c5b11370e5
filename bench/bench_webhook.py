"""Benchmark the LoRaWAN webhook path: real HTTP server, concurrent network-server traffic, SQLite.

Run by hand:  .venv/bin/python bench/bench_webhook.py [--uplinks 20000] [--connections 64] [--devices 200]

A uvicorn server (one worker process, as `gelsencloud serve` runs it) takes ChirpStack v4 uplink events,
one per HTTP request, over keep-alive connections from a load generator in this process (asyncio
streams with prepared requests, so it costs little of the shared CPU). Each uplink carries a real
air-quality payload that the server decodes into six Observations. Afterwards the database is
checked: every acknowledged uplink and its Observations must be there. Prints a Markdown row and the
CPU time per uplink of server and load generator. The server logs at INFO by default (its access log
goes to a file, as in production); ``--database postgresql+psycopg://…`` and ``--workers`` vary the setup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from bench_sensors import START, fresh, operator  # noqa: E402

from gelsencloud.apis.sensorthings.models import Observation  # noqa: E402
from gelsencloud.apps.sensorhub import decoders, service  # noqa: E402
from gelsencloud.apps.sensorhub.lorawan.uplinks import GatewayReception, Uplink, chirpstack_v4_body  # noqa: E402
from gelsencloud.apps.sensorhub.models import Uplink as StoredUplink  # noqa: E402
from gelsencloud.core import identity  # noqa: E402
from gelsencloud.core.db import Database  # noqa: E402
from gelsencloud.core.principal import SYSTEM  # noqa: E402


def prepare(url: str, devices: int) -> tuple[str, list[str]]:
    """Create the database with devices and an ingestion key; return the key and the DevEUIs."""
    _settings, db = fresh(url)
    principal = operator(db)
    euis = [f"{0xB0000000 + n:016x}" for n in range(devices)]
    with db.transaction(principal) as session:
        for n, eui in enumerate(euis):
            device = service.register_device(
                session,
                name=f"Bench {n}",
                category="air_quality",
                dev_eui=eui,
                decoder="gelsencloud-airq",
                longitude=7.0 + n / 1000,
                latitude=51.5,
            )
            for key, unit in (
                ("pm10", "ug/m3"),
                ("pm2_5", "ug/m3"),
                ("no2", "ug/m3"),
                ("temperature", "Cel"),
                ("humidity", "%"),
                ("pressure", "hPa"),
            ):
                service.ensure_datastream(session, device, key, unit)
    with db.transaction(SYSTEM) as session:
        key = identity.create_api_key(
            session, tenant=identity.get_tenant(session, "gelsen-net"), role="operator", name="bench"
        ).key
    db.dispose()
    return key, euis


def requests(key: str, euis: list[str], count: int, port: int) -> list[bytes]:
    """Prepared HTTP/1.1 requests, one ChirpStack uplink event each."""
    payload = decoders.encode(
        "gelsencloud-airq",
        {"pm10": 20.0, "pm2_5": 12.0, "no2": 30.0, "temperature": 5.0, "humidity": 80.0, "pressure": 1010.0},
    )
    out = []
    for i in range(count):
        body = json.dumps(
            chirpstack_v4_body(
                Uplink(
                    dev_eui=euis[i % len(euis)],
                    received_at=START + timedelta(seconds=i),
                    network_server="chirpstack",
                    f_port=1,
                    f_cnt=i // len(euis),
                    payload=payload,
                    gateways=(GatewayReception("gw-1", rssi=-100.0, snr=5.0),),
                    event_id=str(uuid.uuid4()),
                )
            )
        ).encode()
        head = (
            f"POST /ingest/chirpstack?event=up HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def _connection(port: int, queue: list[bytes], latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while queue:
        request = queue.pop()
        started = time.perf_counter()
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        statuses.append(int(status_line.split()[1]))
    writer.close()


async def load(port: int, prepared: list[bytes], connections: int) -> tuple[float, list[float], list[int]]:
    """Send every request over ``connections`` keep-alive connections; return (seconds, latencies, statuses)."""
    queue = list(reversed(prepared))
    latencies: list[float] = []
    statuses: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, queue, latencies, statuses) for _ in range(connections)))
    return time.perf_counter() - started, latencies, statuses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pid: int) -> float:
    """CPU time of the server process and its worker processes (uvicorn --workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(k) for k in children.read_text().split()] if children.exists() else []
    return cpu_seconds(pid) + sum(cpu_seconds(k) for k in kids if Path(f"/proc/{k}").exists())


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time of a process's main thread (the event loop) and of its other threads (batch writes)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        kind = "event loop" if task.name == str(pid) else "other threads"  # the main thread runs the loop
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def own_cpu_seconds() -> float:
    """User and system CPU time of this process (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raw_limit(path: Path, batch: int, background_checkpoints: bool) -> tuple[float, float]:
    """The physical limit: the run's stored rows inserted again with plain sqlite3, ``batch`` uplinks a commit.

    Each uplink is its uplink row and its 6 Observation rows, into a copy of the database with the same
    schema, indexes and stored-hours trigger; values are taken as stored, so nothing is decoded or
    encoded. With ``background_checkpoints`` the writer leaves checkpoints to a second connection (as
    the server does), otherwise it checkpoints itself every 1,000 log pages (SQLite's default).
    Returns (uplinks per second, CPU ms per uplink of this process including the checkpoint thread).
    """
    import shutil
    import sqlite3
    import threading

    copy = path.with_name("raw-limit.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(path)
    source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.close()
    shutil.copy(path, copy)
    con = sqlite3.connect(copy, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "temp_store=MEMORY"):
        con.execute(f"PRAGMA {pragma}")
    up_cols = [r[1] for r in con.execute("PRAGMA table_info(sensorhub_uplinks)") if r[1] != "id"]
    ob_cols = [r[1] for r in con.execute("PRAGMA table_info(sta_observations)") if r[1] != "id"]
    uplinks = [
        list(r) for r in con.execute(f"SELECT {', '.join(up_cols)} FROM sensorhub_uplinks ORDER BY id")
    ]
    rows = [list(r) for r in con.execute(f"SELECT {', '.join(ob_cols)} FROM sta_observations ORDER BY id")]
    event, moment = up_cols.index("event_id"), ob_cols.index("phenomenon_time_start")
    for row in uplinks:
        row[event] += "-again"  # the event ids are unique
    for row in rows:
        row[moment] = "2031" + row[moment][4:]  # new hours, as in the run (the trigger inserts, not updates)
    insert_up = (
        f"INSERT INTO sensorhub_uplinks ({', '.join(up_cols)}) VALUES ({', '.join('?' * len(up_cols))})"
    )
    insert_ob = (
        f"INSERT INTO sta_observations ({', '.join(ob_cols)}) VALUES ({', '.join('?' * len(ob_cols))})"
    )
    stop = threading.Event()
    checkpointer = None
    if background_checkpoints:
        con.execute("PRAGMA wal_autocheckpoint=16384")

        def checkpoint() -> None:
            other = sqlite3.connect(copy, isolation_level=None)
            while not stop.wait(0.25):
                other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            other.close()

        checkpointer = threading.Thread(target=checkpoint)
        checkpointer.start()
    cpu, started = own_cpu_seconds(), time.perf_counter()
    for first in range(0, len(uplinks), batch):
        con.execute("BEGIN IMMEDIATE")
        con.executemany(insert_up, uplinks[first : first + batch])
        con.executemany(insert_ob, rows[6 * first : 6 * (first + batch)])
        con.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, own_cpu_seconds() - cpu
    stop.set()
    if checkpointer is not None:
        checkpointer.join()
    con.close()
    return len(uplinks) / elapsed, 1000 * cpu / len(uplinks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uplinks", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--database", help="database URL (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--raw-batch", type=int, default=32, help="uplinks per commit of the raw-insert limit (SQLite)"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="server log level (INFO: one access-log line per request, as served)",
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database or f"sqlite:///{Path(tmp) / 'webhook.db'}"
    key, euis = prepare(url, args.devices)
    port = free_port()
    log_file = (Path(tmp) / "server.log").open("wb")
    env = {
        **os.environ,
        "GELSENCLOUD_DATABASE_URL": url,
        "GELSENCLOUD_JOBS_ENABLED": "false",
        "GELSENCLOUD_LOG_LEVEL": args.log_level,
        "GELSENCLOUD_SECRET_KEY": "b" * 40,
        "GELSENCLOUD_VAR_DIR": tmp,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            # BENCH_APP=module:factory serves another app factory (variants for profiling experiments).
            os.environ.get("BENCH_APP", "gelsencloud.core.app:create_app"),
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--http",
            "httptools",
            "--loop",
            "uvloop",  # what `gelsencloud serve` gets ("auto" picks both when installed)
            "--no-proxy-headers",  # as `gelsencloud serve`: the app applies trusted proxy headers itself
        ],
        env=env,
        stderr=log_file,  # the server's log (the access log at INFO), as a log collector would take it
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        warm = requests(key, euis, 200, port)
        asyncio.run(load(port, warm, 8))  # first requests compile SQL and fill caches
        prepared = requests(key, euis, args.uplinks, port)
        if os.environ.get("BENCH_PROFILE"):
            # e.g. BENCH_PROFILE=/tmp/webhook.txt: sample the server with py-spy; --gil samples only the
            # thread holding the GIL (Python CPU time; without it threads waiting for the GIL count too).
            command = [
                "py-spy",
                "record",
                "-p",
                str(server.pid),
                "-d",
                "15",
                "-f",
                "raw",
                "--gil",
                "--nonblocking",
            ]
            subprocess.Popen([*command, "-o", os.environ["BENCH_PROFILE"]])
        server_cpu, own_cpu = server_cpu_seconds(server.pid), own_cpu_seconds()
        threads = thread_cpu_seconds(server.pid) if args.workers == 1 else {}
        elapsed, latencies, statuses = asyncio.run(load(port, prepared, args.connections))
        server_cpu = server_cpu_seconds(server.pid) - server_cpu
        if threads:
            after = thread_cpu_seconds(server.pid)
            threads = {kind: after[kind] - threads.get(kind, 0.0) for kind in after}
        own_cpu = own_cpu_seconds() - own_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
    wrong = [s for s in statuses if s != 200]
    db = Database(url)
    with db.transaction(SYSTEM) as session:
        stored = session.scalar(select(func.count()).select_from(StoredUplink))
        observations = session.scalar(select(func.count()).select_from(Observation))
    db.dispose()
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(
        f"| {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'} | {args.uplinks:,} ChirpStack uplinks over HTTP, {args.workers} worker(s), {args.connections} connections, "
        f"{args.devices} devices, 6 Observations each | {args.uplinks / elapsed:,.0f} uplinks/s | "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms | server CPU {server_cpu:.1f} s, load generator {own_cpu:.1f} s |"
    )
    per_uplink = 1000 / args.uplinks
    print(
        f"CPU per uplink: server {server_cpu * per_uplink:.3f} ms, load generator {own_cpu * per_uplink:.3f} ms, "
        f"together {(server_cpu + own_cpu) * per_uplink:.3f} ms (2,000 uplinks/s on 2 cores needs <= 1.0 ms; "
        f"log level {args.log_level}, {os.getloadavg()[0]:.1f} load average)"
    )
    if threads:
        print(
            "server CPU per uplink by thread: "
            + ", ".join(f"{kind} {seconds * per_uplink:.3f} ms" for kind, seconds in sorted(threads.items()))
        )
    print(
        f"non-200 answers: {len(wrong)}; stored uplinks {stored:,} (incl. 200 warm-up), observations {observations:,}"
    )
    assert not wrong and stored == args.uplinks + 200 and observations == 6 * stored, "data missing"
    if not url.startswith("postgresql"):
        path = Path(url.removeprefix("sqlite:///"))
        for background in (False, True):
            rate, cpu = raw_limit(path, args.raw_batch, background)
            how = "checkpoints in a second thread" if background else "writer checkpoints itself"
            print(
                f"physical limit, raw sqlite3 inserts of the same rows ({args.raw_batch} uplinks a commit, "
                f"{how}): {rate:,.0f} uplinks/s, CPU {cpu:.3f} ms per uplink"
            )


if __name__ == "__main__":
    main()
