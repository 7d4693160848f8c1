"""Shared pieces of the benchmarks: a private broker, generated traffic, process sampling."""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from events.seal import Seal
from service.devtools.broker import LocalBroker
from service.kafka.clientfile import kafka_config_for
from service.kafka.topics import Topics
from service.settings import ADMIN_PRINCIPAL, Settings
from tests import factories
from tests.support import FIELD_SYSTEMS, Process, free_port, settings_env

REGISTRIES = load_registries()
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
# The seal key of every benchmark's API and workers: records are produced as the API writes
# them, sealed (the worker's fast path), unless a benchmark says otherwise.
BENCH_SEAL_KEY = "bench-seal-key-0123456789abcdef"
BENCH_SEAL = Seal(BENCH_SEAL_KEY.encode())


@contextmanager
def local_broker(secure: bool = False, brokers: int = 1) -> Iterator[tuple[LocalBroker, Path]]:
    """A private Kafka broker (or cluster of `brokers`) for one benchmark run, PLAINTEXT or
    secured as `wijkwacht broker` runs it (SASL_SSL, SCRAM, ACLs): (broker, data dir)."""
    data = Path(tempfile.mkdtemp(prefix="wijkwacht-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        local_broker_port=free_port(2 * brokers),
        kafka_field_systems=FIELD_SYSTEMS,
    )
    broker = LocalBroker(settings, secure=secure, brokers=brokers)
    broker.start()
    try:
        broker.wait_ready(timeout=120)
        yield broker, data
    finally:
        broker.stop()


def distinct_incidents(
    count: int, seed: int = 1, seal: Seal | None = BENCH_SEAL
) -> Iterator[Record]:
    """`count` events, each a new incident, of all three kinds, in binary mode, as the API
    writes them: with its seal, unless `seal` is None (a field system producing directly)."""
    rnd = random.Random(seed)
    wijken = sorted(REGISTRIES.wijk_codes())
    categories = sorted(REGISTRIES.category_codes("handhavingsmelding"))
    for n in range(count):
        if n % 10 == 9:
            raw = factories.damage(
                f"JW-{n}", amount_cents=rnd.randint(100, 500_000), wijk=rnd.choice(wijken)
            )
        else:
            day = 1 + n % 28
            raw = factories.report(
                f"HH-{n}",
                wijk=rnd.choice(wijken),
                category=rnd.choice(categories),
                occurred_at=f"2022-{1 + n % 12:02d}-{day:02d}T10:00:00+01:00",
            )
        raw["id"] = f"bench-{seed}-{n}"
        key, value, headers = to_kafka(parse_event(raw, REGISTRIES))
        if seal is not None:
            headers.append(seal.header(headers, value))
        yield key, value, headers


async def _produce(
    options: dict[str, Any], topic_of: Callable[[Record], str], records: Iterable[Record]
) -> float:
    producer = AIOKafkaProducer(
        **options,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for record in records:
            key, value, headers = record
            topic = topic_of(record)
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def produce(settings: Settings, records: Iterable[Record]) -> float:
    """Produce records (a list, or a generator for runs too large to hold) each to its field
    system's input topic, as the operator; seconds taken."""
    topics = Topics(settings.namespace)

    def topic_of(record: Record) -> str:
        source = dict(record[2])["ce_source"].decode()
        return topics.input(source.rsplit(":systeem:", 1)[1])

    return asyncio.run(_produce(client_options(settings), topic_of, records))


def produce_to(settings: Settings, topic: str, records: Iterable[Record]) -> float:
    """Produce records to one topic; seconds taken."""
    return asyncio.run(_produce(client_options(settings), lambda _: topic, records))


def client_options(settings: Settings) -> dict[str, Any]:
    """aiokafka options of the operator on the run's broker, PLAINTEXT or secured."""
    return kafka_config_for(settings, ADMIN_PRINCIPAL).client_options()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_settings(broker: LocalBroker, data: Path, namespace: str, **extra: Any) -> Settings:
    """Settings of a benchmark run: its private broker (with the namespace's ACLs when it is
    secured: every process signs in as its own principal), a data dir and SQLite store of its
    own, and an input topic per field system."""
    if broker.secure:
        broker.apply_acls(namespace)
    values: dict[str, Any] = {
        "kafka_bootstrap": broker.bootstrap,
        "kafka_clients_dir": broker.clients_dir if broker.secure else None,
        "kafka_field_systems": FIELD_SYSTEMS,
        "namespace": namespace,
        "data_dir": data / "var",
        "seal_key": BENCH_SEAL_KEY,
        "database_url": f"sqlite:///{data / 'store.sqlite3'}",
        "worker_metrics_port": 0,
        "materialiser_metrics_port": 0,
        # a benchmark measures the pipeline, not the rate limit per field system
        "rate_limit": 1e9,
        "rate_burst": 10**9,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


def start_worker(settings: Settings, log: Path) -> Process:
    """A `wijkwacht worker` process, returned once faust says it is ready."""
    return _started(Process(["worker"], settings_env(settings), log), "Worker ready")


def start_materialiser(settings: Settings, log: Path) -> Process:
    """A `wijkwacht materialise` process, returned once it runs."""
    return _started(Process(["materialise"], settings_env(settings), log), "materialiser started")


def _started(process: Process, says: str) -> Process:
    while says not in process.log.read_text(errors="replace"):
        if not process.alive():
            raise SystemExit(process.log.read_text(errors="replace")[-3000:])
        time.sleep(0.05)
    return process
