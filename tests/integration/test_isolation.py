"""A record that raises while it is processed, in a real worker: the state of three incidents
on the changelog does not decode (written there by something else than a worker), so every
event of those incidents fails. They go to the dead-letter topic as processing-error, the
worker stays up, and every other event counts exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from service.kafka.changelog import incident_key
from service.kafka.topics import Topics
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests import factories
from tests.integration.kafka_util import client_options, ensure, read_all
from tests.integration.test_poison import binary
from tests.reference import expected_totals
from tests.support import Process, settings_env, wait_until

pytestmark = pytest.mark.integration


async def _produce_at(
    settings: Settings, topic: str, records: list[tuple[bytes, bytes, list]]
) -> list[int]:
    """Produce records; the partition each landed in."""
    producer = AIOKafkaProducer(**client_options(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, v, key=k, headers=h) for k, v, h in records]
        return [metadata.partition for metadata in sent]
    finally:
        await producer.stop()


async def _corrupt(settings: Settings, topic: str, keys: list[tuple[bytes, int]]) -> None:
    producer = AIOKafkaProducer(**client_options(settings), acks="all")
    await producer.start()
    try:
        for key, partition in keys:
            await producer.send_and_wait(topic, b"{not a state value", key=key, partition=partition)
    finally:
        await producer.stop()


def test_records_that_raise_are_dead_lettered_and_the_worker_goes_on(
    settings: Settings, tmp_path: Path
) -> None:
    ensure(settings)
    topics = Topics(settings.namespace)
    own = topics.input("handhaving-app")
    broken = [factories.report(f"ISO-{n}") for n in range(3)]
    counted = [factories.report(f"OK-{n}", category="horeca") for n in range(20)]
    # The first event of each broken incident tells which partition its state lives in.
    partitions = asyncio.run(_produce_at(settings, own, [binary(e) for e in broken]))
    keys = [
        (incident_key(e["source"], e["subject"]), partition)
        for e, partition in zip(broken, partitions, strict=True)
    ]
    asyncio.run(_corrupt(settings, topics.state, keys))
    worker = Process(["worker"], settings_env(settings), tmp_path / "worker.log")
    materialiser = Process(["materialise"], settings_env(settings), tmp_path / "store.log")
    try:
        asyncio.run(_produce_at(settings, own, [binary(e) for e in counted]))
        revised = [factories.report(f"ISO-{n}", revision=2) for n in range(3)]
        asyncio.run(_produce_at(settings, own, [binary(e) for e in revised]))
        dead = wait_until(
            lambda: r if len(r := read_all(settings, topics.dlq)) >= 6 else None,
            timeout=90,
            what="six dead letters",
        )
        headers = [dict(r.headers) for r in dead]
        assert {h["wijkwacht-error"] for h in headers} == {b"processing-error"}
        assert all(h["wijkwacht-error-detail"].startswith(b"JSONDecodeError") for h in headers)
        upgrade(settings.store_url)
        repository = SqlTotalsRepository(make_engine(settings.store_url))
        expected = {(k, c, w): v for (k, c, w, _), v in expected_totals(counted).items()}
        wait_until(
            lambda: (
                {
                    (r.kind, r.category, r.wijk): (
                        r.count,
                        r.amount_cents,
                        r.illegal_fireworks_cents,
                    )
                    for r in repository.totals(year=2022)
                }
                == expected
            ),
            timeout=60,
            what="every other event to be counted once",
        )
        assert worker.alive()
    finally:
        assert worker.stop() == 0, worker.output()[-3000:]
        assert materialiser.stop() == 0, materialiser.output()[-3000:]
