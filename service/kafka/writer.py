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
from events.seal import Seal
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


@dataclass(slots=True)
class _Request:
    """The events of one request body, and where its outcome is told."""

    events: list[Event]
    done: asyncio.Future[None]


class EventWriter:
    """Writes the events of each request body, to its field system's input topic, in one
    Kafka transaction: readers of committed records (the worker, the materialiser, the live
    view) see all of a body or none of it, also when Kafka fails half-way. Acks from all
    in-sync replicas, idempotent.

    Group commit: a transaction costs a few round trips to the transaction coordinator, and a
    transactional producer runs one at a time, so one transaction per request would hold
    throughput to some hundreds of requests a second. Instead a committer takes all requests
    waiting at that moment into one transaction; a request is answered when its transaction is
    committed, and if that fails every request in it gets KafkaUnavailable (503) and none of
    them is visible. Each committer's transactional id lives as long as the
    process: a producer replaced after a failure takes its predecessor's id over, which makes
    Kafka abort whatever the predecessor left open at once. Producers start with the first
    request, so the API can run (and say so) while Kafka is down.
    """

    # One: a reader of committed records sees nothing past the oldest open transaction, so
    # two committers' overlapping transactions held each other's records back (p99 202 → live
    # view 355 ms with two, 211 ms with one, at 1,000 events/s; requests per second the same:
    # the API's CPU limits those). bench/RESULTS.md, issue 15.
    COMMITTERS = 1
    MAX_EVENTS = 5000  # per transaction: five full batches

    def __init__(
        self, kafka: KafkaConfig, *, transactional: bool = True, seal: Seal | None = None
    ) -> None:
        self._kafka = kafka
        self._seal = seal  # marks each record as validated here (events/seal.py)
        self._topics = kafka.topics
        self._transactional = transactional  # see Settings.api_transactions
        self._instance = uuid.uuid4().hex[:12]
        self._queue: asyncio.Queue[_Request] | None = None
        self._committers: list[asyncio.Task[None]] = []
        self._producers: dict[str, AIOKafkaProducer] = {}

    async def write(self, events: list[Event]) -> Receipt:
        """Write every event once, all in one transaction; KafkaUnavailable if that fails,
        and then no reader of committed records sees any of them."""
        unique = [e for e, first in zip(events, first_sightings(events), strict=True) if first]
        queue = self._start_committers()
        request = _Request(unique, asyncio.get_running_loop().create_future())
        await queue.put(request)
        await request.done
        return Receipt.of(events)

    def _start_committers(self) -> asyncio.Queue[_Request]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._committers = [
                asyncio.create_task(self._commit(f"{self._kafka.topics.namespace}.api.{n}"))
                for n in range(self.COMMITTERS)
            ]
        return self._queue

    async def _commit(self, name: str) -> None:
        """Take the requests waiting, write them in one transaction, tell each the outcome."""
        assert self._queue is not None
        transactional_id = f"{name}.{self._instance}"
        while True:
            requests = [await self._queue.get()]
            size = len(requests[0].events)
            while not self._queue.empty() and size < self.MAX_EVENTS:
                requests.append(self._queue.get_nowait())
                size += len(requests[-1].events)
            waiting = [r for r in requests if not r.done.done()]  # not given up by its client
            try:
                producer = await self._start(transactional_id)
                events = [event for request in waiting for event in request.events]
                await asyncio.wait_for(self._send_all(producer, events), timeout=30)
            except Exception as exc:  # whatever it was, the committer lives on for the next
                log.warning("writing %d requests failed: %r", len(waiting), exc)
                # Its state is unknown (in a transaction, fenced, failed): a new producer
                # under the same id aborts whatever it left open.
                if transactional_id in self._producers:
                    await _stop_quietly(self._producers.pop(transactional_id))
                failure = KafkaUnavailable(
                    "Kafka did not acknowledge the events; nothing was written, send them again"
                )
                for request in waiting:
                    if not request.done.done():
                        request.done.set_exception(failure)
                continue
            for request in waiting:
                if not request.done.done():
                    request.done.set_result(None)

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
        if self._seal is not None:
            headers.append(self._seal.header(headers, value))
        topic = self._topics.input(event.field_system)  # the sender's: the API checked it
        future: asyncio.Future[Any] = await producer.send(topic, value, key=key, headers=headers)
        return future

    async def close(self) -> None:
        for committer in self._committers:
            committer.cancel()
        self._queue, self._committers = None, []
        for producer in self._producers.values():
            await _stop_quietly(producer)
        self._producers.clear()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    """Stop a producer without waiting long for a broker that is gone."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(producer.stop(), timeout=5)
