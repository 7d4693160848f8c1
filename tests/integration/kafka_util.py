"""Small helpers for reading and writing the real broker in tests, signed in as a principal
(the operator, unless a test says whom)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from service.kafka.clientfile import kafka_config_for
from service.kafka.topics import FIELD_SYSTEM, Topics
from service.settings import ADMIN_PRINCIPAL, Settings

Records = list[tuple[bytes | None, bytes | None, list]]


def client_options(settings: Settings, principal: str = ADMIN_PRINCIPAL) -> dict[str, Any]:
    """aiokafka options of `principal` on the test's broker (secured or not)."""
    return kafka_config_for(settings, principal).client_options()


async def _read_all(
    options: dict[str, Any], topic: str, seconds: float, isolation: str
) -> list[Any]:
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, isolation_level=isolation)
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
    settings: Settings, topic: str, timeout: float = 15.0, isolation: str = "read_committed"
) -> list[Any]:
    """Every record now in `topic`, from offset 0 to the end. Committed records only, by
    default, as every reader of Wijkwacht's topics reads: a body the API wrote in a
    transaction that was aborted must be invisible."""
    return asyncio.run(_read_all(client_options(settings), topic, timeout, isolation))


async def produce_with(options: dict[str, Any], topic: str, records: Records) -> None:
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send(topic, value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def produce(
    settings: Settings, topic: str, records: Records, principal: str = ADMIN_PRINCIPAL
) -> None:
    """Write records straight to a topic, as a field system producing to Kafka would."""
    asyncio.run(produce_with(client_options(settings, principal), topic, records))


def field_system_of(record: tuple[bytes | None, bytes | None, list]) -> str:
    """Whose input topic a record belongs in: the field system its source names (a binary
    mode `ce_source` header, or a structured body's `source`); handhaving-app's if neither."""
    _, value, headers = record
    source = dict(headers).get("ce_source", b"").decode(errors="replace")
    if not source and value:
        with contextlib.suppress(ValueError, AttributeError):
            source = str(orjson.loads(value).get("source", ""))
    name = source.rsplit(":systeem:", 1)[-1]
    return name if FIELD_SYSTEM.fullmatch(name) else "handhaving-app"


def produce_inputs(settings: Settings, records: Records) -> None:
    """Write records to the input topic of the field system each names, as that field system
    producing straight to Kafka would (as the operator: tests of authority sign in as the
    field system themselves)."""
    topics = Topics(settings.namespace)
    by_topic: dict[str, Records] = {}
    for record in records:
        system = field_system_of(record)
        assert system in settings.field_systems, f"{system} has no input topic in this test"
        by_topic.setdefault(topics.input(system), []).append(record)
    for topic, chunk in by_topic.items():
        produce(settings, topic, chunk)


def ensure(settings: Settings) -> None:
    """The test namespace's topics, created by the operator as in production."""
    from service.bootstrap import Wiring

    asyncio.run(Wiring(settings).ensure_topics())
