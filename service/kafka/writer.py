"""The event writer: events to the input topic, acknowledged by every in-sync replica."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.binding import to_kafka
from events.models import Event
from service.kafka.config import KafkaConfig
from service.kafka.errors import KafkaUnavailable

log = logging.getLogger(__name__)


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
    """Writes events to the input topic with acks from all in-sync replicas and an idempotent
    producer; starts the producer lazily so the API can run (and say so) while Kafka is down."""

    def __init__(self, kafka: KafkaConfig) -> None:
        self._kafka = kafka
        self._topic = kafka.topics.events
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **self._kafka.client_options(
                        acks="all",
                        enable_idempotence=True,
                        linger_ms=2,
                        request_timeout_ms=10000,
                    )
                )
                try:
                    await asyncio.wait_for(producer.start(), timeout=10)
                except (KafkaError, OSError, TimeoutError) as exc:
                    await producer.stop()
                    raise KafkaUnavailable("Kafka is unavailable") from exc
                self._producer = producer
            return self._producer

    async def write(self, events: list[Event]) -> Receipt:
        """Write every event once, all acknowledged; KafkaUnavailable if that fails."""
        unique = [e for e, first in zip(events, first_sightings(events), strict=True) if first]
        producer = await self._ready()
        try:
            futures = []
            for event in unique:
                key, value, headers = to_kafka(event)
                futures.append(await producer.send(self._topic, value, key=key, headers=headers))
            await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
        except (KafkaError, TimeoutError) as exc:
            log.warning("writing %d events failed: %s", len(unique), exc)
            raise KafkaUnavailable("Kafka did not acknowledge the events; send them again") from exc
        return Receipt.of(events)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
