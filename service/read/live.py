"""The live view: running aggregates read from the worker's state changelog, summed over
input partitions, with subscribers told of every change (for Server-Sent Events)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, TopicPartition

from service.domain.cases import STOCK_OF_KIND
from service.domain.counting import Cell, CellKey, Stamp, version
from service.domain.figures import ZERO, Figures
from service.kafka.changelog import (
    decode_cell,
    incident_offset,
    is_cell,
    is_incident,
    lane_of_incident,
    parse_cell_key,
)
from service.kafka.config import KafkaConfig
from service.kafka.retry import keep_running
from service.read.health import Pipeline
from service.read.pipeline import PipelineMonitor

log = logging.getLogger(__name__)


class Row(NamedTuple):
    """A live aggregate: where it counts and its figures, summed over input partitions."""

    where: CellKey
    figures: Figures

    def public(self) -> dict[str, Any]:
        """The row as the API shows it (without scope and period, which the answer names)."""
        where, figures = self.where, self.figures
        row: dict[str, Any] = {"kind": where.kind, "category": where.category, "wijk": where.wijk}
        if where.housing:  # a woonoverlast case's housing type: its rows only
            row["housing"] = where.housing
        row["count"] = figures.count
        row["amount_cents"] = figures.amount_cents
        row["illegal_fireworks_cents"] = figures.illegal_fireworks_cents
        return row


class Aggregates:
    """Per-partition cells folded into totals; a cell only moves forward in offset, so a late
    write of an older value (a zombie worker after a rebalance) never takes a total back."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, CellKey], Cell] = {}
        self._totals: dict[CellKey, Figures] = {}
        # The cells of each (scope, period): a request reads one period, never every cell.
        self._periods: dict[tuple[str, str], set[CellKey]] = {}
        # (input lane, partition) → the next input offset reflected
        self.processed: dict[tuple[str, int], int] = {}

    def apply(self, partition: int, where: CellKey, cell: Cell) -> bool:
        old = self._cells.get((partition, where))
        self._seen(partition, cell.stamp)
        if old is not None and version(old.stamp) >= version(cell.stamp):
            return False
        self._cells[(partition, where)] = cell
        before = old.figures if old is not None else ZERO
        if where not in self._totals:
            self._periods.setdefault((where.scope, where.period), set()).add(where)
        self._totals[where] = self._totals.get(where, ZERO) + (cell.figures - before)
        return True

    def _seen(self, partition: int, stamp: Stamp) -> None:
        for lane, offset in stamp.items():
            if offset + 1 > self.processed.get((lane, partition), 0):
                self.processed[(lane, partition)] = offset + 1

    def seen_incident(self, lane: str, partition: int, offset: int) -> None:
        self._seen(partition, {lane: offset})

    def row(self, where: CellKey) -> Row:
        return Row(where, self._totals.get(where, ZERO))

    def rows(
        self,
        scope: str,
        period: str,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> list[Row]:
        found = [
            Row(where, total)
            for where in self._periods.get((scope, period), ())
            if (total := self._totals[where]).count != 0
            and (kind is None or where.kind == kind)
            and (category is None or where.category == category)
            and (wijk is None or where.wijk == wijk)
        ]
        return sorted(found, key=lambda r: r.where[:3] + r.where[5:])

    def case_stock(self, until: date | None = None) -> dict[tuple[str, str, str], int]:
        """Woonoverlast cases open at the end of day `until` (None: now) per wijk, housing
        type and category: the registrations up to then, less the closings, plus the
        reopenings (service/domain/cases): whole years before `until`'s, then its days."""
        stock: dict[tuple[str, str, str], int] = {}
        for (scope, period), cells in self._periods.items():
            if until is None:
                counted = scope == "year"
            elif scope == "year":
                counted = int(period) < until.year
            else:
                counted = scope == "day" and period[:4] == str(until.year)
                counted = counted and period <= until.isoformat()
            if not counted:
                continue
            for where in cells:
                sign = STOCK_OF_KIND.get(where.kind)
                if sign:
                    key = (where.wijk, where.housing, where.category)
                    stock[key] = stock.get(key, 0) + sign * self._totals[where].count
        return stock

    def period_totals(
        self,
        scope: str,
        periods: Iterable[str],
        kind: str,
        category: str | None = None,
        wijk: str | None = None,
    ) -> dict[str, Figures]:
        """Per period of `scope`, the figures of `kind` summed over its cells (in one category
        or wijk, or all); ZERO for a period without any."""
        found = {}
        for period in periods:
            total = ZERO
            for where in self._periods.get((scope, period), ()):
                if (
                    where.kind == kind
                    and (category is None or where.category == category)
                    and (wijk is None or where.wijk == wijk)
                ):
                    total = total + self._totals[where]
            found[period] = total
        return found


class Subscription:
    """The cells changed since a subscriber last looked. Changes coalesce: a slow reader gets
    the latest value of every cell it missed, and nothing piles up however busy the stream."""

    def __init__(self) -> None:
        self._changed: set[CellKey] = set()
        self._wake = asyncio.Event()

    def add(self, changed: set[CellKey]) -> None:
        self._changed |= changed
        self._wake.set()

    async def changes(self, wait_seconds: float) -> set[CellKey]:
        """The cells changed since the last call, waiting up to `wait_seconds` for one."""
        if not self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_seconds)
        self._wake.clear()
        changed, self._changed = self._changed, set()
        return changed


class LiveState:
    """The live aggregates and the subscribers told of their changes. LiveView fills it from
    the changelog; tests fill it by hand."""

    def __init__(self) -> None:
        self.aggregates = Aggregates()
        self._subscribers: set[Subscription] = set()
        self.caught_up = asyncio.Event()
        self.undecodable = 0  # changelog records skipped because they do not decode

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, changed: set[CellKey]) -> None:
        for subscription in self._subscribers:
            subscription.add(changed)

    def lag(self) -> dict[str, Any]:
        """How far the processors are behind the input, per partition, as last measured."""
        return {"events_behind": None, "error": "not measured"}

    def pipeline(self) -> Pipeline:
        """The pipeline behind the API as last measured."""
        return Pipeline()


class LiveView(LiveState):
    """Reads the state changelog from the beginning (no consumer group) and keeps it; keeps
    the processors' lag behind the input up to date once a second."""

    def __init__(self, kafka: KafkaConfig) -> None:
        super().__init__()
        self._kafka = kafka
        self._topics = kafka.topics
        self.monitor = PipelineMonitor(kafka, lambda: self.aggregates.processed)

    def lag(self) -> dict[str, Any]:
        return self.monitor.lag

    def pipeline(self) -> Pipeline:
        return self.monitor.pipeline

    async def run(self) -> None:
        await asyncio.gather(
            keep_running("live view", self._consume),
            self.monitor.run(),
        )

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            **self._kafka.client_options(enable_auto_commit=False, isolation_level="read_committed")
        )
        await consumer.start()
        try:
            partitions: set[int] = set()
            while not partitions:
                partitions = consumer.partitions_for_topic(self._topics.state) or set()
                if not partitions:  # aiokafka has no public call that refreshes it
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
                    self.publish(changed)
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
            try:
                if is_cell(key):
                    partition, where = parse_cell_key(key)
                    if self.aggregates.apply(partition, where, decode_cell(value)):
                        changed.add(where)
                elif is_incident(key):
                    lane = lane_of_incident(key)
                    self.aggregates.seen_incident(lane, record.partition, incident_offset(value))
            except Exception as exc:
                # Not written by a worker: skip it, or the view would stop here for good.
                self.undecodable += 1
                log.warning(
                    "skipped changelog record %d@%d that does not decode: %s",
                    record.partition,
                    record.offset,
                    type(exc).__name__,
                )
        return changed
