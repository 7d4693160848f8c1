"""The live view: running aggregates read from the worker's state changelog, summed over
input partitions, with subscribers told of every change (for Server-Sent Events)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from events.periods import LOCAL, periods_of
from service.counting import Cell, CellKey
from service.resilience import keep_running
from service.settings import Settings
from service.state import CELL, INCIDENT, decode_cell, parse_cell_key
from service.topics import Topics

log = logging.getLogger(__name__)
Totals = list[int]  # count, amount_cents, illegal_fireworks_cents


@dataclass(frozen=True, slots=True)
class Row:
    kind: str
    category: str
    wijk: str
    scope: str
    period: str
    count: int
    amount_cents: int
    illegal_fireworks_cents: int

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "wijk": self.wijk,
            "scope": self.scope,
            "period": self.period,
            "count": self.count,
            "amount_cents": self.amount_cents,
            "illegal_fireworks_cents": self.illegal_fireworks_cents,
        }


def current_period(scope: str, now: datetime | None = None) -> str:
    """The period of `scope` that holds now, in local time."""
    return periods_of(now or datetime.now(LOCAL)).label(scope)


class Aggregates:
    """Per-partition cells folded into totals; a cell only moves forward in offset, so a late
    write of an older value (a zombie worker after a rebalance) never takes a total back."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, CellKey], Cell] = {}
        self._totals: dict[CellKey, Totals] = {}
        self.processed: dict[int, int] = {}  # partition → next input offset reflected

    def apply(self, partition: int, where: CellKey, cell: Cell) -> bool:
        old = self._cells.get((partition, where))
        self._seen(partition, cell.offset)
        if old is not None and old.offset >= cell.offset:
            return False
        self._cells[(partition, where)] = cell
        total = self._totals.setdefault(where, [0, 0, 0])
        total[0] += cell.count - (old.count if old else 0)
        total[1] += cell.amount_cents - (old.amount_cents if old else 0)
        total[2] += cell.illegal_fireworks_cents - (old.illegal_fireworks_cents if old else 0)
        return True

    def _seen(self, partition: int, offset: int) -> None:
        if offset + 1 > self.processed.get(partition, 0):
            self.processed[partition] = offset + 1

    def seen_incident(self, partition: int, offset: int) -> None:
        self._seen(partition, offset)

    def row(self, where: CellKey) -> Row:
        count, amount, fireworks = self._totals.get(where, (0, 0, 0))
        return Row(
            where.kind,
            where.category,
            where.wijk,
            where.scope,
            where.period,
            count,
            amount,
            fireworks,
        )

    def rows(
        self,
        scope: str,
        period: str,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> list[Row]:
        found = [
            self.row(where)
            for where, total in self._totals.items()
            if where.scope == scope
            and where.period == period
            and total[0] != 0
            and (kind is None or where.kind == kind)
            and (category is None or where.category == category)
            and (wijk is None or where.wijk == wijk)
        ]
        return sorted(found, key=lambda r: (r.kind, r.category, r.wijk))


class LiveView:
    """Reads the state changelog from the beginning (no consumer group) and keeps it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topics = Topics(settings.namespace)
        self.aggregates = Aggregates()
        self._subscribers: set[asyncio.Queue[list[Row]]] = set()
        self._lag_cache: tuple[float, dict[str, Any]] | None = None
        self.caught_up = asyncio.Event()

    def subscribe(self) -> asyncio.Queue[list[Row]]:
        queue: asyncio.Queue[list[Row]] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[list[Row]]) -> None:
        self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def run(self) -> None:
        await keep_running("live view", self._consume)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions: set[int] = set()
            while not partitions:
                partitions = consumer.partitions_for_topic(self._topics.state) or set()
                if not partitions:
                    await consumer._client.force_metadata_update()
                    await asyncio.sleep(0.5)
            tps = [TopicPartition(self._topics.state, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            while True:
                batch = await consumer.getmany(timeout_ms=100, max_records=10_000)
                changed = self._apply(r for records in batch.values() for r in records)
                if changed:
                    self._publish(changed)
                if not self.caught_up.is_set():
                    positions = [await consumer.position(tp) for tp in tps]
                    if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                        self.caught_up.set()
        finally:
            await consumer.stop()

    def _apply(self, records: Iterable[Any]) -> set[CellKey]:
        changed: set[CellKey] = set()
        for record in records:
            key, value = record.key, record.value
            if value is None or key is None:
                continue
            if key.startswith(CELL):
                partition, where = parse_cell_key(key)
                if self.aggregates.apply(partition, where, decode_cell(value)):
                    changed.add(where)
            elif key.startswith(INCIDENT):
                self.aggregates.seen_incident(record.partition, orjson.loads(value)["o"])
        return changed

    def _publish(self, changed: set[CellKey]) -> None:
        rows = [self.aggregates.row(where) for where in changed]
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(rows)
            except asyncio.QueueFull:  # a client that does not read: drop it
                self._subscribers.discard(queue)

    async def lag(self) -> dict[str, Any]:
        """How far the processors are behind the input, per partition (cached for a second)."""
        now = time.monotonic()
        if self._lag_cache and now - self._lag_cache[0] < 1.0:
            return self._lag_cache[1]
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.bootstrap, request_timeout_ms=3000
        )
        result: dict[str, Any]
        try:
            await admin.start()
            committed = await admin.list_consumer_group_offsets(self._topics.worker_group)
            ends = await self._input_end_offsets()
            partitions = {}
            for tp, end in ends.items():
                done = max(
                    self.aggregates.processed.get(tp.partition, 0),
                    committed[tp].offset if tp in committed else 0,
                )
                partitions[str(tp.partition)] = max(end - done, 0)
            result = {"events_behind": sum(partitions.values()), "partitions": partitions}
        except Exception as exc:
            result = {
                "events_behind": None,
                "error": f"Kafka unavailable: {exc.__class__.__name__}",
            }
        finally:
            await admin.close()
        self._lag_cache = (now, result)
        return result

    async def _input_end_offsets(self) -> dict[TopicPartition, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self._settings.bootstrap)
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self._topics.events) or set()
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self._topics.events) or set()
            tps = [TopicPartition(self._topics.events, p) for p in partitions]
            ends: dict[TopicPartition, int] = await consumer.end_offsets(tps) if tps else {}
            return ends
        finally:
            await consumer.stop()
