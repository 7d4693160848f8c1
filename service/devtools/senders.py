"""Deliver simulated messages as a field system would: to the HTTP API, or straight to Kafka.

Errors: SendError, when the target refuses for good (a wrong key, Kafka unreachable) or stays
unavailable through every retry. Poison is expected to be refused and is only counted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.binding import BATCH_CONTENT_TYPE, MAX_BATCH, STRUCTURED_CONTENT_TYPE, to_kafka
from events.kinds import ENFORCEMENT
from events.models import parse_event
from events.registry import Registries
from service.devtools.simulation import Message, Role
from service.devtools.simulation.options import FIELD_SYSTEMS
from service.kafka.config import KafkaConfig

Advance = Callable[[int], None]
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class SendError(Exception):
    """The target refused the traffic for good, or stayed unavailable through every retry."""


@dataclass(slots=True)
class Tally:
    """What happened to the messages: `accepted` are new events the target took (over HTTP the
    API's count, which leaves out duplicates within one batch), `refused` the poison refused
    with 4xx (HTTP only; on Kafka the worker moves poison to the dead-letter topic)."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    poison_written: int = 0


class Pacer:
    """Holds the sender to `rate` messages per second on average; 0 means no limit."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._start = clock()

    def delay(self, sent: int) -> float:
        """Seconds to wait before sending more, with `sent` messages sent so far."""
        if self.rate <= 0:
            return 0.0
        return max(0.0, self._start + sent / self.rate - self._clock())


def batch_size(rate: float) -> int:
    """Full batches when unlimited; else about two batches a second, for an even flow."""
    return MAX_BATCH if rate <= 0 else min(MAX_BATCH, max(1, math.ceil(rate / 2)))


def field_system(document: Mapping[str, Any]) -> str:
    source = document.get("source")
    return source.rsplit(":systeem:", 1)[-1] if isinstance(source, str) else ""


class HttpSender:
    """POSTs batches of one field system each, with that system's key; retries a 503 or a lost
    connection with exponential backoff (safe: the same ids again are ignored as duplicates)."""

    def __init__(
        self,
        client: httpx.Client,
        keys: Mapping[str, str],
        *,
        attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._keys = keys
        self._attempts = attempts
        self._sleep = sleep

    def send(self, messages: Sequence[Message], rate: float, advance: Advance) -> Tally:
        systems = {field_system(m.document) for m in messages if m.role is not Role.POISON}
        for system in sorted(systems):
            self._key(system)  # refuse before anything is sent, not halfway
        tally = Tally()
        pacer = Pacer(rate)
        size = batch_size(rate)
        pending: dict[str, list[dict[str, Any]]] = {}
        for message in messages:
            if message.role is Role.POISON:
                self._poison(message.document, tally)
                advance(1)
                continue
            system = field_system(message.document)
            batch = pending.setdefault(system, [])
            batch.append(message.document)
            if len(batch) >= size:
                self._sleep(pacer.delay(tally.sent))
                self._batch(system, pending.pop(system), tally)
                advance(len(batch))
        for system, batch in pending.items():
            self._sleep(pacer.delay(tally.sent))
            self._batch(system, batch, tally)
            advance(len(batch))
        return tally

    def _key(self, system: str) -> str:
        key = self._keys.get(system)
        if key is None:
            raise SendError(f"no API key for field system {system!r}")
        return key

    def _batch(self, system: str, batch: list[dict[str, Any]], tally: Tally) -> None:
        response = self._post(system, batch, BATCH_CONTENT_TYPE)
        if response.status_code != 202:
            raise SendError(f"the API refused a batch: {_problem(response)}")
        receipt = response.json()
        tally.sent += len(batch)
        tally.accepted += int(receipt.get("accepted", 0))
        tally.duplicates += int(receipt.get("duplicates", 0))

    def _poison(self, document: dict[str, Any], tally: Tally) -> None:
        # Alone, so that its 422 does not take valid events down with it (batches are all or
        # nothing). A poison event from a system without a key goes with any key: still refused.
        system = field_system(document)
        system = system if system in self._keys else next(iter(self._keys))
        response = self._post(system, document, STRUCTURED_CONTENT_TYPE)
        tally.sent += 1
        tally.poison_written += 1
        if 400 <= response.status_code < 500:
            tally.refused += 1
        else:
            tally.accepted += 1  # the service took an invalid event: the summary shows it

    def _post(self, system: str, body: object, content_type: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._key(system)}", "Content-Type": content_type}
        content = orjson.dumps(body)
        for attempt in range(self._attempts):
            try:
                response = self._client.post("/v1/events", content=content, headers=headers)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code in (401, 403):
                        raise SendError(f"field system {system!r}: {_problem(response)}")
                    return response
                reason = f"HTTP {response.status_code}"
            if attempt + 1 < self._attempts:
                self._sleep(min(30.0, 0.5 * 2**attempt))
        raise SendError(f"the API stayed unavailable after {self._attempts} attempts ({reason})")


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"HTTP {response.status_code}: {detail or body}"


def kafka_record(message: Message, registries: Registries) -> Record:
    """A valid event in binary mode, as the service writes it; poison in structured mode, as a
    field system producing directly might write it (the worker refuses it to the DLQ)."""
    document = message.document
    if message.role is not Role.POISON:
        return to_kafka(parse_event(document, registries))
    key = f"{document.get('source', '')}{document.get('subject', '')}".encode()
    headers = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]
    return key, orjson.dumps(document), headers


def field_system_of(message: Message) -> str:
    """Whose record this is: the name at the end of its `source` (poison without a readable
    source is sent as the field system that reports its kind, as a broken one would)."""
    source = str(message.document.get("source", ""))
    if ":systeem:" in source:
        return source.rsplit(":systeem:", 1)[1]
    return FIELD_SYSTEMS.get(message.kind, FIELD_SYSTEMS[ENFORCEMENT])


async def send_kafka(
    messages: Iterable[Message],
    sign_in: Callable[[str], KafkaConfig],
    registries: Registries,
    rate: float,
    advance: Advance,
) -> Tally:
    """Produce with acks from all in-sync replicas, idempotently, each record as its own field
    system would: signed in as that system (`sign_in` says how), to its own input topic."""
    producers: dict[str, AIOKafkaProducer] = {}

    async def producer_of(system: str) -> tuple[AIOKafkaProducer, str]:
        kafka = sign_in(system)
        topic = kafka.topics.input(system)
        if system not in producers:
            producer = AIOKafkaProducer(
                **kafka.client_options(
                    acks="all", enable_idempotence=True, linger_ms=20, request_timeout_ms=30000
                )
            )
            producers[system] = producer
            try:
                await asyncio.wait_for(producer.start(), timeout=30)
                await asyncio.wait_for(producer.partitions_for(topic), timeout=30)
            except (KafkaError, OSError, TimeoutError) as exc:
                raise SendError(
                    f"{system} cannot produce to {topic} at {kafka.bootstrap} "
                    f"(is the service running and the topic there?): {type(exc).__name__} {exc}"
                ) from exc
        return producers[system], topic

    tally = Tally()
    pacer = Pacer(rate)
    in_flight: list[tuple[asyncio.Future[Any], Role]] = []

    async def settle() -> None:
        try:
            await asyncio.gather(*(future for future, _ in in_flight))
        except KafkaError as exc:
            raise SendError(f"Kafka did not acknowledge: {type(exc).__name__} {exc}") from exc
        for _, role in in_flight:
            if role is Role.POISON:
                tally.poison_written += 1
            else:
                tally.accepted += 1
        advance(len(in_flight))
        in_flight.clear()

    try:
        for message in messages:
            await asyncio.sleep(pacer.delay(tally.sent))
            key, value, headers = kafka_record(message, registries)
            producer, topic = await producer_of(field_system_of(message))
            future = await producer.send(topic, value, key=key, headers=headers)
            in_flight.append((future, message.role))
            tally.sent += 1
            if len(in_flight) >= batch_size(rate):
                await settle()
        await settle()
    finally:
        for producer in producers.values():
            await producer.stop()
    return tally
