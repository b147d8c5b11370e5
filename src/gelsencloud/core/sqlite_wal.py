"""Checkpoint SQLite's write-ahead log beside the writers instead of inside their commits.

In WAL mode a commit only appends to the log. The connection whose commit takes the log past
``wal_autocheckpoint`` pages (1,000 by default) then copies the log back into the database file and
waits for its fsyncs before the commit returns - inside a writer's critical section, while every other
writer waits for the lock. On the project's virtual disk that was half the wall time of raw inserts
(`bench/bench_webhook.py` measures both). The server therefore runs a ``WalCheckpointer``: a thread
with its own connection that runs a PASSIVE checkpoint a few times a second. PASSIVE never waits for
and never blocks a reader or writer, so commits return without disk waits; durability is unchanged
(the log is the durable copy until it is checkpointed). Writers keep a high ``wal_autocheckpoint``
as the fallback for when the thread falls behind. Processes without the thread (CLI commands, tests)
keep SQLite's default.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading

LOGGER = logging.getLogger(__name__)

# A writer checkpoints itself only past this many log pages (64 MiB at 4 KiB pages) - the thread does
# it long before, unless long-lived readers hold old pages (then nobody can copy them anyway).
FALLBACK_PAGES = 16_384


def defer_checkpoints(dbapi_connection, _record) -> None:
    """Engine ``connect`` hook: leave checkpoints to the thread unless the log grows far."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}")
    cursor.close()


class WalCheckpointer:
    """A daemon thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` on one SQLite file every ``interval`` s."""

    def __init__(self, path: str, interval: float = 0.25) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0  # completed calls, for the tests and operators
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpointer", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (a checkpoint in progress finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                try:
                    # Returns (busy, log pages, pages copied); the call releases the GIL while it copies.
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. the file went away in a test; try again next round
                    LOGGER.warning("WAL checkpoint of %s failed: %s", self.path, exc)
        finally:
            connection.close()


class WriterLock:
    """An exclusive lock on ``<database>.writer-lock`` that writer processes queue on in the kernel.

    SQLite serialises writers itself, but a writer that finds the database locked sleeps in its busy
    handler for 1, 2, 5, 10, ... ms and retries, so the lock often sits free while the next writer
    sleeps. Writers that take this lock first (the webhook batcher, when several server processes share
    one file) are woken the moment it is released. Each instance has its own open file, so two instances
    exclude each other in one process too; an instance is not shared between threads.
    """

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}.writer-lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Block until this process holds the lock."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        """Let the next writer in."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (releasing the lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
