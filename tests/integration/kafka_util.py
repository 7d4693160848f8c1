"""Small helpers for reading and writing the real broker in tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


async def _read_all(bootstrap: str, topic: str, seconds: float, isolation: str) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level=isolation
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=200)
            for chunk in batch.values():
                records.extend(chunk)
        return records
    finally:
        await consumer.stop()


def read_all(
    bootstrap: str, topic: str, timeout: float = 15.0, isolation: str = "read_committed"
) -> list[Any]:
    """Every record now in `topic`, from offset 0 to the end. Committed records only, by
    default, as every reader of Wijkwacht's topics reads: a body the API wrote in a
    transaction that was aborted must be invisible."""
    return asyncio.run(_read_all(bootstrap, topic, timeout, isolation))


async def _produce(
    bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None, list]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send(topic, value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def produce(
    bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None, list]]
) -> None:
    """Write records straight to a topic, as a field system producing to Kafka would."""
    asyncio.run(_produce(bootstrap, topic, records))


def ensure(settings: Any) -> None:
    from service.bootstrap import Wiring

    asyncio.run(Wiring(settings).ensure_topics())
