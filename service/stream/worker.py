"""The faust worker: decodes input records, applies the counting rules, keeps the state table.

The agent holds no business logic: it hands batches of records to
`service.stream.processing.BatchProcessor` and writes back what that returns.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import faust
from faust.types import StreamT

from events.registry import Registries
from service.kafka.topics import Topics
from service.settings import Settings
from service.stream import metrics
from service.stream.faust_adapter import install_batch_drain
from service.stream.localstate import SYNCED_KEY, Synced, discard_unsynced
from service.stream.materialiser import Materialiser
from service.stream.processing import BatchProcessor, Headers, Record
from storage.engine import make_engine
from storage.repository import SqlTotalsRepository

log = logging.getLogger(__name__)


class TableState:
    """The faust state table seen per partition, for a batch outside per-event iteration:
    faust's stores pick a partition from the current event, which a batch does not have.

    Writes reach the changelog first and the local store only once Kafka has acknowledged
    them, so local state is never ahead of the changelog: a worker killed in between finds
    the missing writes in the changelog when it recovers, never a local write Kafka lacks.
    """

    def __init__(self, app: Any, table: Any, changelog: str) -> None:
        self._app = app
        self._table = table
        self._changelog = changelog

    def _store(self) -> Any:
        return self._table.data

    def get(self, partition: int, key: bytes) -> bytes | None:
        store = self._store()
        if hasattr(store, "_db_for_partition"):  # RocksDB: one database per partition
            value: bytes | None = store._db_for_partition(partition).get(key)
            return value
        found: bytes | None = store.data.get(key)
        return found

    async def write_all(self, writes: list[tuple[int, bytes, bytes]]) -> None:
        """Append to the changelog partition of each input partition, in order, as whole
        record batches on faust's aiokafka producer; once acknowledged, store locally."""
        producer = self._app.producer._producer  # the aiokafka producer under faust's
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for partition, key, value in writes:
            by_partition.setdefault(partition, []).append((key, value))
        sent = []
        for partition, items in by_partition.items():
            batch, first = producer.create_batch(), 0
            for n, (key, value) in enumerate(items):
                if batch.append(key=key, value=value, timestamp=None) is None:
                    await producer.send_batch(batch, self._changelog, partition=partition)
                    batch, first = producer.create_batch(), n
                    batch.append(key=key, value=value, timestamp=None)
            delivered = await producer.send_batch(batch, self._changelog, partition=partition)
            sent.append((partition, items, delivered, items[first]))
        for partition, items, delivered, head in sent:
            metadata = await delivered  # earlier batches of the partition are acked before it
            self._store_locally(partition, items, Synced(metadata.offset, *head))

    def _store_locally(
        self, partition: int, items: list[tuple[bytes, bytes]], synced: Synced
    ) -> None:
        store = self._store()
        if not hasattr(store, "_db_for_partition"):  # memory: rebuilt from the changelog
            for key, value in items:
                store.data[key] = value
                store._key_partition[key] = partition
            return
        import rocksdict

        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in items:
            batch.put(key, value)
            store._key_index[key] = partition
        # faust's recovery reads the changelog from this offset on: at worst a batch again
        batch.put(store.offset_key, str(synced.offset).encode())
        batch.put(SYNCED_KEY, synced.encode())
        store._db_for_partition(partition).write(batch)


def header_list(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Headers:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


class WorkerSlot:
    """A numbered directory under the data dir for one worker's local table state, held by a
    file lock so that several workers on one host each get their own."""

    def __init__(self, data_dir: Path) -> None:
        self._handle: IO[str] | None = None
        base = data_dir / "worker"
        base.mkdir(parents=True, exist_ok=True)
        for number in range(1000):
            path = base / f"slot-{number}"
            path.mkdir(exist_ok=True)
            handle = (path / "lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._handle, self.path, self.number = handle, path, number
            return
        raise RuntimeError(f"no free worker slot under {base}")


def build_worker_app(settings: Settings, registries: Registries, partitions: int) -> faust.App:
    """The faust app of one worker process, built from settings (no module-level app)."""
    topics = Topics(settings.namespace)
    slot = WorkerSlot(settings.data_dir)
    app = faust.App(
        topics.worker_group,
        broker=[f"kafka://{server}" for server in settings.bootstrap.split(",")],
        store="rocksdb://" if settings.worker_store == "rocksdb" else "memory://",
        datadir=str(slot.path),
        web_enabled=False,
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication_factor,
        producer_acks=-1,
        # Changelog writes come in bursts per batch: let the producer gather them into few
        # requests instead of one request per record.
        producer_linger=0.01,
        producer_max_batch_size=512 * 1024,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        # A worker that dies without leaving the group holds its partitions until the session
        # times out; faust's 60 s default would stall those partitions for a minute.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
    )
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    source = app.topic(topics.events, partitions=partitions, **raw)
    dlq = app.topic(topics.dlq, **raw)
    changelog = app.topic(
        topics.state, partitions=partitions, compacting=True, deleting=False, **raw
    )
    state = app.Table(
        "state", key_type=bytes, value_type=bytes, partitions=partitions, changelog_topic=changelog
    )
    table_state = TableState(app, state, topics.state)
    processor = BatchProcessor(registries, table_state)
    outcomes: Counter[str] = Counter()

    async def process(messages: list[Any]) -> None:
        records = [
            Record(m.key, m.value, header_list(m.headers), m.partition, m.offset) for m in messages
        ]
        try:
            result = processor.process(records)
        except Exception:
            # Nothing of this batch is acked yet; dying now has it processed again.
            log.critical("processing a batch failed; exiting to retry it", exc_info=True)
            os._exit(70)
        await table_state.write_all(result.writes)
        now = time.time()
        for message in messages:  # Kafka timestamps are milliseconds
            metrics.PROCESSING_LATENCY.observe(max(now - message.timestamp / 1000, 0.0))
        metrics.BATCH_SIZE.observe(len(messages))
        for outcome, count in result.outcomes.items():
            metrics.EVENTS_PROCESSED.labels(outcome).inc(count)
        for record, rejection in result.rejections:
            log.warning(
                "rejected %s[%d]@%d: %s",
                topics.events,
                record.partition,
                record.offset,
                rejection.code,
            )
            await dlq.send(
                key=record.key, value=record.value, headers=record.headers + rejection.headers()
            )
            metrics.DEAD_LETTERED.labels(rejection.code).inc()
        for message in messages:
            app.consumer.ack(message)
        outcomes.update(result.outcomes)

    @app.agent(source, name="process")
    async def subscribe(stream: StreamT[bytes]) -> None:
        # Subscribes the input topic and ties the state table to it; the records themselves
        # arrive in batches through the fast path below, never through this stream.
        async for _ in stream:
            raise RuntimeError("input records must arrive through the batch path")

    install_batch_drain(app, topics.events, process)

    repository = SqlTotalsRepository(make_engine(settings.store_url))
    materialiser = Materialiser(settings, repository)

    @app.task  # type: ignore[untyped-decorator]
    async def materialise() -> None:
        await materialiser.run()

    app.wijkwacht_outcomes = outcomes  # type: ignore[attr-defined]
    app.wijkwacht_slot = slot  # type: ignore[attr-defined]
    return app


def serve_metrics(settings: Settings, slot: WorkerSlot) -> None:
    """Prometheus metrics of this worker on WIJKWACHT_WORKER_METRICS_PORT + its slot number,
    so that several workers on one host each have their own port."""
    if settings.worker_metrics_port == 0:
        return
    from prometheus_client import start_http_server

    port = settings.worker_metrics_port + slot.number
    try:
        start_http_server(port, addr=settings.api_host)
    except OSError as exc:
        log.warning("worker metrics not served: %s:%d: %s", settings.api_host, port, exc)
        return
    log.info("worker metrics at http://%s:%d/metrics", settings.api_host, port)


def run_worker(settings: Settings, registries: Registries) -> None:
    """Entry point of `wijkwacht worker`: migrate, create topics, run faust until stopped."""
    from faust.worker import Worker

    from storage.migrate import upgrade

    upgrade(settings.store_url)
    partitions = asyncio.run(_ensure(settings))
    app = build_worker_app(settings, registries, partitions)
    serve_metrics(settings, app.wijkwacht_slot)  # type: ignore[attr-defined]
    if settings.worker_store == "rocksdb":
        store: Any = app.tables["state"].data  # type: ignore[attr-defined]
        paths = {p: Path(store.partition_path(p)) for p in range(partitions)}
        asyncio.run(discard_unsynced(settings.bootstrap, Topics(settings.namespace).state, paths))
    Worker(app, loglevel="INFO", quiet=True).execute_from_commandline()


async def _ensure(settings: Settings) -> int:
    from service.kafka.retry import when_kafka_answers
    from service.kafka.topics import ensure_topics

    return await when_kafka_answers(settings.bootstrap, lambda: ensure_topics(settings))
