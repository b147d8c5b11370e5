"""Group commit for webhook uplinks: concurrent requests share one transaction, each answers after it.

A network server delivers every uplink as its own HTTP request. Committing each one alone costs a
transaction, a handful of queries and an fsync per uplink. The batcher queues the parsed uplinks of
concurrent requests, and one worker writes whatever has queued up (up to ``max_batch``) in a single
transaction. A request gets its answer only after that transaction has committed, so an acknowledged
uplink is durable. Under light load a batch holds one uplink and nothing waits; under heavy load
batches grow and the per-uplink cost falls.

A batch is first prepared (``service.prepare_uplinks``: reads and decoding, without the SQLite writer
lock, from a registry snapshot kept across batches), then written (``service.write_uplinks``, holding
the lock), which checks that nothing it relied on changed in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gelsencloud.apis.sensorthings import notify
from gelsencloud.apps.sensorhub import service
from gelsencloud.apps.sensorhub.lorawan.uplinks import Uplink as UplinkMessage
from gelsencloud.core.principal import Principal

LOGGER = logging.getLogger(__name__)


@dataclass
class _Pending:
    principal: Principal
    message: UplinkMessage
    body: dict[str, Any]
    future: asyncio.Future = field(repr=False)


class UplinkBatcher:
    """Queues uplinks of one event loop and writes them in shared transactions."""

    def __init__(self, db, max_batch: int = 500, collect_window: float = 0.001) -> None:
        self.db = db
        self.max_batch = max_batch
        self.collect_window = collect_window
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self.stats = {"batches": 0, "uplinks": 0, "largest": 0}  # read by the tests
        self._snapshots: dict[Principal, service.RegistrySnapshot] = {}  # devices and Datastreams read
        # SQLite: server processes sharing the file take turns on this lock for their writes; each
        # prepares its next batch without it, while another one writes.
        self._lock = db.writer_lock()

    async def submit(
        self, principal: Principal, message: UplinkMessage, body: dict[str, Any]
    ) -> service.IngestResult:
        """Queue one uplink and wait until it is committed; return what happened to it."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(principal, message, body, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="sensorhub-uplink-batcher")
        return await future

    async def _run(self) -> None:
        last = 1
        while not self._queue.empty():
            if last > 1:
                # Under load, the clients answered by the last commit send their next uplinks within about
                # a millisecond. Waiting for them keeps one full batch instead of two alternating halves,
                # each with the per-batch cost (queries, transaction, thread hop). An uplink that arrives
                # alone is written at once.
                await asyncio.sleep(self.collect_window)
            batch = [self._queue.get_nowait()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            last = len(batch)
            self.stats["batches"] += 1
            self.stats["uplinks"] += len(batch)
            self.stats["largest"] = max(self.stats["largest"], len(batch))
            try:
                outcomes = await run_in_threadpool(self.prepare_and_write, batch)
            except BaseException as exc:  # noqa: BLE001 - every waiting request must get an answer
                outcomes = [exc] * len(batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                if pending.future.done():
                    continue  # the client went away
                if isinstance(outcome, BaseException):
                    pending.future.set_exception(outcome)
                else:
                    pending.future.set_result(outcome)

    def close(self) -> None:
        """Close the writer lock's file (the batcher's loop has ended)."""
        if self._lock is not None:
            self._lock.close()

    def prepare_and_write(self, batch: list[_Pending]) -> list[service.IngestResult | BaseException]:
        """Prepare a batch, then write it holding the writer lock (one thread hop per batch)."""
        # Reading and decoding need no lock: this process prepares while another one writes.
        prepared = self.prepare(batch)
        if self._lock is None:
            return self.write(batch, prepared)
        self._lock.acquire()
        try:
            return self.write(batch, prepared)
        finally:
            self._lock.release()

    def prepare(self, batch: list[_Pending]) -> dict[Principal, tuple[list[int], Any]]:
        """Read and decode a batch, per principal (``service.prepare_uplinks``); errors are kept for ``write``."""
        groups: dict[Principal, list[int]] = {}
        for i, pending in enumerate(batch):
            groups.setdefault(pending.principal, []).append(i)
        prepared: dict[Principal, tuple[list[int], Any]] = {}
        for principal, indexes in groups.items():
            try:
                with self.db.transaction(principal) as session:  # reads only: SQLite opens no transaction
                    snapshot = self._snapshots.setdefault(principal, service.RegistrySnapshot())
                    ready = service.prepare_uplinks(
                        session, [(batch[i].message, batch[i].body) for i in indexes], snapshot
                    )
            except Exception as exc:  # noqa: BLE001 - write() retries these uplinks one by one
                ready = exc
            prepared[principal] = (indexes, ready)
        return prepared

    def write(
        self, batch: list[_Pending], prepared: dict[Principal, tuple[list[int], Any]] | None = None
    ) -> list[service.IngestResult | BaseException]:
        """Write a batch: one transaction per principal; on any error, each uplink alone."""
        if prepared is None:
            prepared = self.prepare(batch)
        outcomes: list[service.IngestResult | BaseException | None] = [None] * len(batch)
        for principal, (indexes, ready) in prepared.items():
            try:
                if isinstance(ready, Exception):
                    raise ready
                try:
                    with self._transaction(principal) as session:
                        results = service.write_uplinks(session, ready, read_apart=True)
                except service.RegistryChanged:
                    with self._transaction(principal) as session:  # read again, under the writer lock
                        results = service.ingest_uplinks(session, ready.items)
                for i, result in zip(indexes, results, strict=True):
                    outcomes[i] = result
            except Exception as exc:  # noqa: BLE001 - isolate the uplink that caused it
                if len(indexes) > 1:
                    LOGGER.info("uplink batch of %d failed (%s); writing one by one", len(indexes), exc)
                for i in indexes:
                    outcomes[i] = self._write_one(batch[i])
        return outcomes  # type: ignore[return-value]

    @contextmanager
    def _transaction(self, principal: Principal) -> Iterator[Session]:
        """A write transaction whose new entities are announced over MQTT after the commit."""
        with self.db.transaction(principal) as session:
            notify.watch(session, self.db, *notify.config_for(self.db))
            yield session

    def _write_one(self, pending: _Pending) -> service.IngestResult | BaseException:
        try:
            with self._transaction(pending.principal) as session:
                return service.ingest_uplink(session, pending.message, pending.body)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request
            return exc


def batcher_for(app, db) -> UplinkBatcher:
    """Return the app's batcher for the running event loop (test clients may use several loops)."""
    loop = asyncio.get_running_loop()
    batchers: dict = app.state.__dict__.setdefault("_uplink_batchers", {})
    batcher = batchers.get(loop)
    if batcher is None:
        for old in batchers.values():
            old.close()
        batchers.clear()  # a previous loop has ended; its batcher can't be used any more
        batcher = batchers[loop] = UplinkBatcher(db)
    return batcher
