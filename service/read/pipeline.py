"""The pipeline behind the API, measured once a second on long-lived Kafka clients: how far
the workers are behind the input, whether that keeps growing, who is in the worker and
materialiser groups, how far the store is behind the changelog, and the dead letters.
Requests only read the last measurement."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from service.kafka.config import KafkaConfig
from service.kafka.groups import group_members
from service.read.health import GROWING_SECONDS, Pipeline, lag_growing


class PipelineMonitor:
    INTERVAL = 1.0

    def __init__(
        self, kafka: KafkaConfig, processed: Callable[[], dict[tuple[str, int], int]]
    ) -> None:
        self._kafka = kafka
        self._topics = kafka.topics
        # (input lane, partition) → next input offset the live view reflects
        self._processed = processed
        self._history: deque[tuple[float, int]] = deque()
        self.lag: dict[str, Any] = {"events_behind": None, "error": "not measured yet"}
        self.pipeline = Pipeline()

    async def run(self) -> None:
        admin = AIOKafkaAdminClient(**self._kafka.client_options(request_timeout_ms=3000))
        options = self._kafka.client_options(
            request_timeout_ms=3000, isolation_level="read_committed", enable_auto_commit=False
        )
        # Two consumers: one only asks for offsets and metadata of every topic; the other is
        # assigned partitions to probe, which narrows its metadata to those partitions' topic.
        consumer, probe = AIOKafkaConsumer(**options), AIOKafkaConsumer(**options)
        try:
            await admin.start()
            await consumer.start()
            await probe.start()
            while True:
                try:
                    await asyncio.wait_for(self._measure(admin, consumer, probe), 5.0)
                except (KafkaError, TimeoutError) as exc:
                    self._unmeasured(f"Kafka unavailable: {exc.__class__.__name__}")
                await asyncio.sleep(self.INTERVAL)
        finally:
            self._unmeasured("Kafka unavailable")
            await probe.stop()
            await consumer.stop()
            await admin.close()

    def _unmeasured(self, error: str) -> None:
        self.lag = {"events_behind": None, "error": error}
        self.pipeline = Pipeline()
        self._history.clear()

    async def _measure(
        self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, probe: AIOKafkaConsumer
    ) -> None:
        topics = self._topics
        partitions = consumer.partitions_for_topic(topics.state) or set()
        if not partitions:  # aiokafka has no public call that refreshes it
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topics.state) or set()
        lanes = sorted(t for t in await consumer.topics() if topics.lane_of(t) is not None)
        inputs = [TopicPartition(t, p) for t in lanes for p in sorted(partitions)]
        states = [TopicPartition(topics.state, p) for p in sorted(partitions)]
        dlq = [
            TopicPartition(topics.dlq, p) for p in consumer.partitions_for_topic(topics.dlq) or ()
        ]
        ends = await consumer.end_offsets(inputs + states + dlq) if inputs else {}
        behind = await self._events_behind(admin, probe, {tp: ends[tp] for tp in inputs})
        stored = await admin.list_consumer_group_offsets(topics.materialiser_group)
        store_behind = sum(
            max(ends[tp] - (stored[tp].offset if tp in stored else 0), 0) for tp in states
        )
        now = time.monotonic()
        total = sum(behind.values())
        self._history.append((now, total))
        while self._history and self._history[0][0] < now - 2 * GROWING_SECONDS:
            self._history.popleft()
        self.lag = {"events_behind": total, "partitions": behind}
        self.pipeline = Pipeline(
            workers=await group_members(admin, topics.worker_group),
            materialisers=await group_members(admin, topics.materialiser_group),
            events_behind=total,
            lag_growing=lag_growing(list(self._history), now),
            store_behind=store_behind,
            dead_letters=sum(ends.get(tp, 0) for tp in dlq),
        )

    async def _events_behind(
        self,
        admin: AIOKafkaAdminClient,
        probe: AIOKafkaConsumer,
        ends: dict[TopicPartition, int],
    ) -> dict[str, int]:
        """Per input partition, the events the workers have not reflected yet, keyed
        `<field system>:<partition>`."""
        committed = await admin.list_consumer_group_offsets(self._topics.worker_group)
        processed = self._processed()
        lane = {tp: self._topics.lane_of(tp.topic) or "" for tp in ends}  # inputs only
        done = {
            tp: max(
                processed.get((lane[tp], tp.partition), 0),
                committed[tp].offset if tp in committed else 0,
            )
            for tp in ends
        }
        lagging = {tp: done[tp] for tp, end in ends.items() if end > done[tp]}
        caught_up = await _nothing_to_process(probe, lagging, ends) if lagging else set()
        return {
            f"{lane[tp]}:{tp.partition}": 0 if tp in caught_up else max(end - done[tp], 0)
            for tp, end in sorted(ends.items())
        }


async def _nothing_to_process(
    consumer: AIOKafkaConsumer, done: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> set[TopicPartition]:
    """The partitions whose offsets from `done` to the end hold no record a worker will ever
    see: only transaction markers, or records of aborted transactions. Every transaction of
    the API leaves a marker after its records, so without this check a partition would look
    one behind after every batch until the next event arrived."""
    consumer.assign(list(done))
    for tp, offset in done.items():
        consumer.seek(tp, offset)
    # A fetch that was under way for a partition before the seek is thrown away, so one short
    # fetch sometimes sees nothing yet: ask again until each partition has either given a
    # record (something to process) or moved past its end, for at most a second.
    caught_up: set[TopicPartition] = set()
    pending = set(done)
    deadline = asyncio.get_running_loop().time() + 1.0
    while pending and asyncio.get_running_loop().time() < deadline:
        fetched = await consumer.getmany(*pending, timeout_ms=100, max_records=len(pending))
        for tp in list(pending):
            if fetched.get(tp):
                pending.discard(tp)
            elif await consumer.position(tp) >= ends[tp]:
                caught_up.add(tp)
                pending.discard(tp)
    return caught_up
