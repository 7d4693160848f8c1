"""Shared pieces of the benchmarks: a private broker, generated traffic, process sampling."""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.devtools.broker import LocalBroker
from service.settings import Settings
from tests import factories
from tests.support import Process, free_port, settings_env

REGISTRIES = load_registries()
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


@contextmanager
def local_broker() -> Iterator[tuple[str, Path]]:
    """A private Kafka broker for one benchmark run: (bootstrap, data dir)."""
    data = Path(tempfile.mkdtemp(prefix="wijkwacht-bench-"))
    settings = Settings(_env_file=None, data_dir=data, local_broker_port=free_port(2))
    broker = LocalBroker(settings, secure=False)
    broker.start()
    try:
        broker.wait_ready(timeout=90)
        yield broker.bootstrap, data
    finally:
        broker.stop()


def distinct_incidents(count: int, seed: int = 1) -> Iterator[Record]:
    """`count` events, each a new incident, of all three kinds, in binary mode."""
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
        yield to_kafka(parse_event(raw, REGISTRIES))


async def _produce(bootstrap: str, topic: str, records: Iterable[Record]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for key, value, headers in records:
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def produce(bootstrap: str, topic: str, records: Iterable[Record]) -> float:
    """Produce records (a list, or a generator for runs too large to hold); seconds taken."""
    return asyncio.run(_produce(bootstrap, topic, records))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_settings(bootstrap: str, data: Path, namespace: str, **extra: Any) -> Settings:
    """Settings of a benchmark run: its private broker, a data dir and SQLite store of its own."""
    values: dict[str, Any] = {
        "kafka_bootstrap": bootstrap,
        "namespace": namespace,
        "data_dir": data / "var",
        "database_url": f"sqlite:///{data / 'store.sqlite3'}",
        "worker_metrics_port": 0,
        # a benchmark measures the pipeline, not the rate limit per field system
        "rate_limit": 1e9,
        "rate_burst": 10**9,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


def start_worker(settings: Settings, log: Path) -> Process:
    """A `wijkwacht worker` process, returned once faust says it is ready."""
    worker = Process(["worker"], settings_env(settings), log)
    while "Worker ready" not in log.read_text(errors="replace"):
        if not worker.alive():
            raise SystemExit(log.read_text(errors="replace")[-3000:])
        time.sleep(0.05)
    return worker
