"""SQLite's log checkpointed beside the writers, and the writer lock that server processes share."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from sqlalchemy import text

from gelsencloud.core.db import Database
from gelsencloud.core.sqlite_wal import FALLBACK_PAGES, WriterLock


def _fill(db: Database, rows: int = 3000) -> None:
    """Write about 3,000 log pages (far below the writers' fallback threshold) in small commits."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, blob TEXT)"))
    for _ in range(rows // 100):
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO filler (blob) VALUES (:blob)"), [{"blob": "x" * 3000}] * 100)


def _file_pages(path) -> int:
    return os.path.getsize(path) // 4096


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_checkpointer_copies_the_log_that_writers_leave_behind(tmp_path):
    path = tmp_path / "wal.db"
    db = Database(f"sqlite:///{path}")
    try:
        assert db.start_wal_checkpointer(interval=0.05)
        with db.engine.connect() as connection:  # new connections leave checkpoints to the thread
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == FALLBACK_PAGES
        _fill(db)
        # The writers never checkpointed (3,000 pages < the fallback); the thread copied the log into the file.
        assert _wait_for(lambda: _file_pages(path) > 2500), _file_pages(path)
        assert _wait_for(lambda: db.checkpointer.checkpoints > 0)  # the file grows before the call returns
    finally:
        db.dispose()
    assert db.checkpointer is None


def test_without_the_checkpointer_the_same_writes_stay_in_the_log(tmp_path):
    """The control for the test above: writers with the fallback threshold alone copy nothing."""
    path = tmp_path / "wal.db"
    db = Database(f"sqlite:///{path}")
    try:
        from sqlalchemy import event

        from gelsencloud.core.sqlite_wal import defer_checkpoints

        event.listen(db.engine, "connect", defer_checkpoints)
        _fill(db)
        time.sleep(0.3)
        assert _file_pages(path) < 100
        assert os.path.getsize(f"{path}-wal") // 4096 > 2500
    finally:
        db.dispose()


def test_dispose_stops_the_thread_and_new_connections_checkpoint_themselves_again(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    db.start_wal_checkpointer(interval=0.05)
    thread = db.checkpointer._thread
    assert not db.start_wal_checkpointer()  # one thread per database
    db.dispose()
    assert not thread.is_alive()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_no_checkpointer_for_memory_databases_or_postgresql():
    assert not Database("sqlite://").start_wal_checkpointer()
    assert Database("sqlite://").writer_lock() is None
    assert not Database("postgresql+psycopg://nobody@127.0.0.1:1/none").start_wal_checkpointer()


def test_the_server_runs_the_checkpointer_while_it_serves(app):
    from fastapi.testclient import TestClient

    db = app.state.db
    with TestClient(app):
        assert db.checkpointer is not None and db.checkpointer._thread.is_alive()
    assert db.checkpointer is None


def test_the_writer_lock_excludes_another_holder_until_released(tmp_path):
    first, second = WriterLock(str(tmp_path / "x.db")), WriterLock(str(tmp_path / "x.db"))
    got = threading.Event()
    first.acquire()

    def take() -> None:
        second.acquire()
        got.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert not got.wait(0.3)  # blocked while the first holder has it
    first.release()
    assert got.wait(5)  # woken at once when it is released
    second.release()
    thread.join(5)
    first.close()
    second.close()


def test_the_writer_lock_excludes_another_process(tmp_path):
    lock = WriterLock(str(tmp_path / "x.db"))
    lock.acquire()
    probe = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
        "except BlockingIOError:\n print('held')"
    )
    held = subprocess.run(
        [sys.executable, "-c", probe, lock.path], capture_output=True, text=True, check=True
    )
    lock.release()
    free = subprocess.run(
        [sys.executable, "-c", probe, lock.path], capture_output=True, text=True, check=True
    )
    lock.close()
    assert (held.stdout.strip(), free.stdout.strip()) == ("held", "free")
