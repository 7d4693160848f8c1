"""The worker process: a faust app that hands batches of input records to the counting rules
and writes back what comes out.

The agent holds no business logic: it hands batches of records to
`service.stream.processing.BatchProcessor` and writes back what that returns. Faust's
internals are reached only through `service.stream.faust_adapter`.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import faust
from faust.types import StreamT

from events.registry import Registries
from events.seal import Seal
from service.kafka.config import KafkaConfig
from service.kafka.errors import TopicError
from service.kafka.retry import when_kafka_answers
from service.kafka.topics import Layout, ensure_topics
from service.settings import Settings
from service.stream import metrics
from service.stream.faust_adapter import (
    aiokafka_producer,
    bounded_stop_worker,
    install_batch_drain,
    local_store,
    read_committed,
    rocksdb_paths,
)
from service.stream.localstate import discard_unsynced
from service.stream.processing import BatchProcessor, Headers, Record
from service.stream.tables import StateTable

log = logging.getLogger(__name__)
# Orchestrators allow 10 s between SIGTERM and SIGKILL (Kubernetes: 30 s by default).
STOP_GRACE_SECONDS = 8.0


def header_list(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Headers:
    if type(headers) is list:  # as aiokafka hands them over: no copy per record
        return headers
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


def build_worker_app(
    settings: Settings,
    kafka: KafkaConfig,
    registries: Registries,
    layout: Layout,
    seal: Seal | None = None,
) -> faust.App:
    """The faust app of one worker process (no module-level app): the batch path into the
    counting rules and the state table. The store is the materialiser's (its own process,
    `wijkwacht materialise`), so that a burst never has the two compete for one core."""
    topics = kafka.topics
    partitions = layout.partitions
    slot = WorkerSlot(settings.data_dir)
    app = faust.App(
        topics.worker_group,
        broker=kafka.faust_brokers(),
        broker_credentials=kafka.faust_credentials(),
        store="rocksdb://" if settings.worker_store == "rocksdb" else "memory://",
        datadir=str(slot.path),
        web_enabled=False,
        # Wijkwacht creates its topics itself (kafka/topics.py), as an operator where Kafka is
        # secured: a worker may not create topics, so faust must not try. faust's leader
        # election serves only on-leader timers, which Wijkwacht has none of; without it
        # there is no `<app>-__assignor-__leader` topic to create and grant.
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=partitions,
        topic_replication_factor=kafka.replication_factor,
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
        # A group leader that assigns while its metadata lacks the topics (a broker just
        # restarted) gives every worker nothing, until a metadata refresh shows the topics
        # and makes the group rebalance: after 10 s, not aiokafka's 5 minutes.
        consumer_metadata_max_age_ms=10_000,
    )
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    # Every input topic in one faust topic: faust then assigns partition p of all of them,
    # and of the changelog, to one worker (they are co-subscribed with equal partition counts).
    source = app.topic(*layout.inputs, partitions=partitions, **raw)
    lanes = {topic: lane for topic in layout.inputs if (lane := topics.lane_of(topic))}
    dlq = app.topic(topics.dlq, **raw)
    changelog = app.topic(
        topics.state, partitions=partitions, compacting=True, deleting=False, **raw
    )
    state = app.Table(
        "state", key_type=bytes, value_type=bytes, partitions=partitions, changelog_topic=changelog
    )
    store = local_store(state, settings.worker_store)
    table_state = StateTable(store, aiokafka_producer(app), topics.state)
    processor = BatchProcessor(registries, table_state, seal)

    async def process(messages: list[Any]) -> None:
        records = [
            Record(m.key, m.value, header_list(m.headers), m.partition, m.offset, lanes[m.topic])
            for m in messages
        ]
        try:
            result = processor.process(records)
        except Exception:
            # Nothing of this batch is acked yet; dying now has it processed again.
            log.critical("processing a batch failed; exiting to retry it", exc_info=True)
            os._exit(70)
        await table_state.write_all(result.writes)
        # faust's message timestamps are seconds; the oldest record of the batch waited longest
        oldest = min(message.timestamp for message in messages)
        metrics.PROCESSING_LATENCY.observe(max(time.time() - oldest, 0.0))
        metrics.BATCH_SIZE.observe(len(messages))
        for outcome, count in result.outcomes.items():
            metrics.EVENTS_PROCESSED.labels(outcome).inc(count)
        for path, count in result.reads.items():
            metrics.RECORDS_READ.labels(path).inc(count)
        for record, rejection in result.rejections:
            log.warning(
                "rejected %s[%d]@%d: %s",
                topics.input(record.lane),
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

    @app.agent(source, name="process")
    async def subscribe(stream: StreamT[bytes]) -> None:
        # Subscribes the input topic and ties the state table to it; the records themselves
        # arrive in batches through the fast path below, never through this stream.
        async for _ in stream:
            raise RuntimeError("input records must arrive through the batch path")

    install_batch_drain(app, set(layout.inputs), process)
    read_committed(app)

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


def collect_seldom() -> None:
    """The batch path makes a few short-lived objects per event, and Python's default (a young
    collection every 700 allocations, an older one every 10 of those, each walking every
    tracked object) spent 15-20 % of the processor's time collecting (bench/RESULTS.md). What
    the worker keeps for long holds no cycles (state values are bytes): freeze what start-up
    made and collect seldom."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def run_worker(
    settings: Settings,
    kafka: KafkaConfig,
    registries: Registries,
    seal: Seal | None = None,
    log_level: str = "info",
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Entry point of `wijkwacht worker`: check (or, where allowed, create) the topics, run
    faust until stopped."""
    layout = asyncio.run(when_kafka_answers(kafka.bootstrap, lambda: ensure_topics(kafka)))
    if not layout.inputs:
        raise TopicError(
            f"no input topic ({kafka.topics.input_prefix}<field system>) exists: name the field "
            "systems (WIJKWACHT_API_KEYS, WIJKWACHT_KAFKA_FIELD_SYSTEMS) and create their topics "
            "(`wijkwacht acl apply`)"
        )
    log.info("input topics: %s", ", ".join(layout.inputs))
    app = build_worker_app(settings, kafka, registries, layout, seal)
    serve_metrics(settings, app.wijkwacht_slot)  # type: ignore[attr-defined]
    if settings.worker_store == "rocksdb":
        paths = rocksdb_paths(app.tables["state"], layout.partitions)
        # The broker may be away just now (restarting): wait for it, as for the topics.
        asyncio.run(when_kafka_answers(kafka.bootstrap, lambda: discard_unsynced(kafka, paths)))
    collect_seldom()
    worker = bounded_stop_worker(app, STOP_GRACE_SECONDS, log_level, on_ready)
    try:
        worker.execute_from_commandline()
    except BaseException as exc:
        # faust's fetcher can trip over its own cancellation while it stops (seen under load:
        # "'NoneType' object has no attribute 'wakeup'"). Once a signal asked us to stop that
        # is a clean stop: nothing is acked before its effects, so a restart resumes exactly.
        clean = isinstance(exc, SystemExit) and exc.code in (0, None)
        if clean or not getattr(worker, "wijkwacht_signalled", False):
            raise
        log.warning("faust raised while stopping (%s); the worker stopped", type(exc).__name__)
