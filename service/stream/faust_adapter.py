"""Everything that touches faust's internals, in one place: the batch path around faust's
per-message conductor, the aiokafka producer under faust's, the local stores below faust's
tables, the worker consumer's isolation level, and a stop bounded in time.

Checked against faust-streaming 0.15.3 (FAUST_CHECKED) and mode-streaming 0.7.1. Each private
attribute used is named in a comment where it is used; when faust or mode is upgraded, read
those places in their source again (faust/transport/consumer.py,
faust/transport/drivers/aiokafka.py, faust/stores/memory.py, faust/stores/rocksdb.py,
mode/worker.py) and run the fault suite (tests/chaos).

The batch path: faust hands every fetched message to its conductor one at a time, awaiting
`wait_first(callback(message), suspend_flow.wait())` (two new tasks per message); with nothing
else to do an agent tops out near 5,000 events/s here (bench/faust_ceiling.py). This module
replaces the consumer's drain loop so that the records of the input topic from one `getmany`
go to a handler together. Everything else stays faust's: group membership, partition
assignment, table recovery, the ack bookkeeping that decides commits, and delivery of every
other topic through the conductor.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from service.stream.localstate import SYNCED_KEY, Synced
from service.stream.tables import LocalStore

FAUST_CHECKED = "0.15.3"
log = logging.getLogger(__name__)
BatchHandler = Callable[[list[Any]], Awaitable[None]]


def install_batch_drain(app: Any, topics: set[str], handler: BatchHandler) -> None:
    """Route the messages of `topics` to `handler` in batches; it must ack each one
    (`app.consumer.ack(message)`) once its effects are written."""
    consumer = app.consumer
    # Consumer._drain_messages: the loop that feeds fetched messages to the conductor.
    consumer._drain_messages = types.MethodType(_batch_drain(topics, handler), consumer)


def _batch_drain(topics: set[str], handler: BatchHandler) -> Callable[[Any, Any], Awaitable[None]]:
    async def drain(self: Any, fetcher: Any) -> None:
        # Mirrors faust.transport.consumer.Consumer._drain_messages (0.15), batching `topics`;
        # the private names below are the ones that method uses: the stop flags (_stopped),
        # the read offsets (_read_offset), gap tracking (_add_gap) and the commit counter
        # (_commit_every, _n_acked).
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        track = self.track_message
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                ait = getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    continue
                batch: list[Any] = []
                async for tp, message in ait:
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is not None and offset < r_offset:
                        continue  # already delivered (faust drops these too)
                    gap = offset - (r_offset or 0)
                    if gap > 1 and r_offset and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)
                    if message.topic in topics:
                        track(message)  # pending until acked: rebalances wait for it
                        batch.append(message)
                    else:
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                    set_read_offset(tp, offset)
                if batch:
                    await handler(batch)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
                await asyncio.sleep(0)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise

    return drain


# How long the broker may hold a fetch that finds nothing (new) to read. faust fixes 1.5 s.
# Reading committed records, that is what a record waited after its transaction committed:
# the broker answered a parked fetch only when the wait ran out (p50 1.2 s, p99 3.4 s from 202
# to the live view at 1,000 events/s in batches of 10; bench/RESULTS.md, issue 15).
FETCH_MAX_WAIT_MS = 25


def read_committed(app: Any) -> None:
    """Make the worker's consumer read only committed records: the API writes each body in
    one transaction, and a body cut by a failure must never count in part. faust sets this
    only in its exactly-once mode, which Wijkwacht does not use (docs/design.md). Its fetches
    wait at most FETCH_MAX_WAIT_MS."""
    # faust.transport.consumer.Consumer._thread: the AIOKafkaConsumerThread (faust's
    # transport/drivers/aiokafka.py) whose _create_worker_consumer builds the aiokafka
    # consumer, before it starts; aiokafka reads AIOKafkaConsumer._isolation_level and
    # _fetch_max_wait_ms at start.
    thread = app.consumer._thread
    create = thread._create_worker_consumer

    def create_read_committed(transport: Any) -> Any:
        consumer = create(transport)
        consumer._isolation_level = "read_committed"
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    thread._create_worker_consumer = create_read_committed


def aiokafka_producer(app: Any) -> Callable[[], Any]:
    """The aiokafka producer under faust's, for whole record batches (`send_batch`); faust
    creates it when the app starts, so this returns a function that finds it then."""
    # faust.transport.drivers.aiokafka.Producer._producer: the AIOKafkaProducer it wraps.
    return lambda: app.producer._producer


def local_store(table: Any, kind: str) -> LocalStore:
    """The local store below a faust table, as the app was configured: `memory` or `rocksdb`."""
    return RocksDBStore(table.data) if kind == "rocksdb" else MemoryStore(table.data)


def rocksdb_paths(table: Any, partitions: int) -> dict[int, Path]:
    """Where the RocksDB store of a table keeps each partition's database."""
    return {p: Path(table.data.partition_path(p)) for p in range(partitions)}


class MemoryStore(LocalStore):
    """faust's memory store: a dict, rebuilt from the changelog at every start."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def get(self, partition: int, key: bytes) -> bytes | None:
        found: bytes | None = self._store.data.get(key)
        return found

    def put(self, partition: int, items: list[tuple[bytes, bytes]], synced: Synced) -> None:
        data = self._store.data
        # faust.stores.memory.Store._key_partition: key → partition, which faust reads when
        # partitions are revoked to drop their keys.
        key_partition = self._store._key_partition
        for key, value in items:
            data[key] = value
            key_partition[key] = partition


class RocksDBStore(LocalStore):
    """faust's RocksDB store: one database per partition, kept across restarts."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def _db(self, partition: int) -> Any:
        # faust.stores.rocksdb.Store._db_for_partition: opens (once) the partition's database.
        return self._store._db_for_partition(partition)

    def get(self, partition: int, key: bytes) -> bytes | None:
        value: bytes | None = self._db(partition).get(key)
        return value

    def put(self, partition: int, items: list[tuple[bytes, bytes]], synced: Synced) -> None:
        import rocksdict

        batch = rocksdict.WriteBatch(raw_mode=True)
        # faust.stores.rocksdb.Store._key_index: key → partition cache that faust's own
        # reads consult before searching every partition's database.
        key_index = self._store._key_index
        for key, value in items:
            batch.put(key, value)
            key_index[key] = partition
        # faust's recovery reads the changelog from this offset on: at worst a batch again
        batch.put(self._store.offset_key, str(synced.offset).encode())
        batch.put(SYNCED_KEY, synced.encode())
        self._db(partition).write(batch)


def bounded_stop_worker(
    app: Any,
    grace: float,
    log_level: str = "info",
    on_ready: Callable[[], None] | None = None,
) -> Any:
    """faust's Worker for `app`, which stops by itself `grace` seconds after SIGTERM or
    SIGINT if faust's own stop has not finished by then. With the broker gone, faust waits for
    streams, commits and the producer far longer than an orchestrator does. Exiting early is
    safe: every write is idempotent and offsets are committed only after their effects, so a
    restart resumes as after a crash, which the fault suite proves. `on_ready` is called once
    faust has started (its tables recovered); faust logs at `log_level`."""
    from faust.worker import Worker

    class BoundedStopWorker(Worker):
        # faust.worker.Worker.on_startup_finished: faust calls it once the app has started.
        async def on_startup_finished(self) -> None:
            await super().on_startup_finished()
            if on_ready is not None:
                on_ready()

        # mode.worker.Worker._schedule_shutdown (mode-streaming 0.7.1): called once per
        # signal, on the loop, before faust starts stopping.
        def _schedule_shutdown(self, signal: Any) -> None:
            self.wijkwacht_signalled = True
            super()._schedule_shutdown(signal)
            timer = threading.Timer(grace, _exit_now, args=(grace,))
            timer.daemon = True
            timer.start()

    worker = BoundedStopWorker(app, loglevel=log_level.upper(), quiet=True)
    # faust.worker.Worker.spinner: a terminal spinner, drawn even when stdout is no terminal.
    worker.spinner = None
    return worker


def _exit_now(grace: float) -> None:
    log.warning(
        "faust did not stop within %.0f s of the signal (broker unreachable?); exiting now: "
        "a restart resumes from the last committed offsets",
        grace,
    )
    logging.shutdown()
    os._exit(0)
