"""The event writer: the events of one body to the input topic, all or nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.binding import to_kafka
from events.models import Event
from service.kafka.config import KafkaConfig
from service.kafka.errors import KafkaUnavailable

log = logging.getLogger(__name__)
TRANSACTION_TIMEOUT_MS = 10_000


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a write took: `accepted` events written, `duplicates` repeated within the body
    (written once), and the ids of every event in the body's order."""

    accepted: int
    duplicates: int
    ids: list[str]

    @classmethod
    def of(cls, events: list[Event]) -> Receipt:
        written = sum(first_sightings(events))
        return cls(written, len(events) - written, [e.id for e in events])


def first_sightings(events: list[Event]) -> list[bool]:
    """Per event, whether it is the first in the list with its (source, id): the others are
    the same message again (a retry within one body) and are written once."""
    seen: set[tuple[str, str]] = set()
    firsts = []
    for event in events:
        key = (event.source, event.id)
        firsts.append(key not in seen)
        seen.add(key)
    return firsts


class EventWriter:
    """Writes the events of one body to the input topic in one Kafka transaction: readers that
    read committed records (the worker, the materialiser, the live view) see all of a body or
    none of it, also when Kafka fails half-way. Acks from all in-sync replicas, idempotent.

    A transactional producer runs one transaction at a time, so the writer keeps a small pool
    of them for concurrent requests, each under a transactional id of its own that lives as
    long as the process: a producer replaced after a failure takes over its predecessor's id,
    which makes Kafka abort the predecessor's open transaction at once instead of after the
    transaction timeout. Producers start lazily, so the API can run (and say so) while Kafka
    is down.
    """

    POOL = 4

    def __init__(self, kafka: KafkaConfig, *, transactional: bool = True) -> None:
        self._kafka = kafka
        self._topic = kafka.topics.events
        self._transactional = transactional  # False only to measure what transactions cost
        instance = uuid.uuid4().hex[:12]
        self._idle: asyncio.Queue[str] = asyncio.Queue()
        for slot in range(self.POOL):
            self._idle.put_nowait(f"{kafka.topics.namespace}.api.{instance}.{slot}")
        self._producers: dict[str, AIOKafkaProducer] = {}

    async def _start(self, transactional_id: str) -> AIOKafkaProducer:
        producer = self._producers.get(transactional_id)
        if producer is not None:
            return producer
        producer = AIOKafkaProducer(
            **self._kafka.client_options(
                acks="all",
                enable_idempotence=True,
                linger_ms=2,
                request_timeout_ms=10000,
                transactional_id=transactional_id if self._transactional else None,
                # A transaction left open by a producer that died blocks committed readers
                # of its partitions until Kafka aborts it: keep that short.
                transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
            )
        )
        try:
            await asyncio.wait_for(producer.start(), timeout=10)
        except (KafkaError, OSError, TimeoutError) as exc:
            await _stop_quietly(producer)
            raise KafkaUnavailable("Kafka is unavailable") from exc
        self._producers[transactional_id] = producer
        return producer

    async def write(self, events: list[Event]) -> Receipt:
        """Write every event once, all in one transaction; KafkaUnavailable if that fails,
        and then no reader of committed records sees any of them."""
        unique = [e for e, first in zip(events, first_sightings(events), strict=True) if first]
        transactional_id = await self._idle.get()
        try:
            producer = await self._start(transactional_id)
            try:
                await asyncio.wait_for(self._send_all(producer, unique), timeout=30)
            except (KafkaError, TimeoutError) as exc:
                log.warning("writing %d events failed: %s", len(unique), exc)
                # Its state is unknown (in a transaction, fenced, failed): a new producer
                # under the same id aborts whatever it left open.
                await _stop_quietly(self._producers.pop(transactional_id))
                raise KafkaUnavailable(
                    "Kafka did not acknowledge the events; nothing was written, send them again"
                ) from exc
        finally:
            self._idle.put_nowait(transactional_id)
        return Receipt.of(events)

    async def _send_all(self, producer: AIOKafkaProducer, events: list[Event]) -> None:
        if not self._transactional:
            await asyncio.gather(*[await self._send(producer, event) for event in events])
            return
        async with producer.transaction():
            for event in events:
                await self._send(producer, event)
            # committing waits for every record to be acknowledged

    async def _send(self, producer: AIOKafkaProducer, event: Event) -> asyncio.Future[Any]:
        key, value, headers = to_kafka(event)
        future: asyncio.Future[Any] = await producer.send(
            self._topic, value, key=key, headers=headers
        )
        return future

    async def close(self) -> None:
        for producer in self._producers.values():
            await _stop_quietly(producer)
        self._producers.clear()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    """Stop a producer without waiting long for a broker that is gone."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(producer.stop(), timeout=5)
