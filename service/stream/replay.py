"""Replay: rebuild every aggregate from offset 0 of the input topic.

The state changelog and the store's aggregates are derived data. Replay empties them and sets
the worker group back to offset 0; the next workers recompute everything. Offsets stamp every
value, so a replay of an unchanged input gives the same values, stamps included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    KafkaError,
    UnknownTopicOrPartitionError,
)

from service.kafka.config import KafkaConfig
from service.kafka.errors import TopicError
from service.kafka.groups import group_members
from service.kafka.topics import ensure_topics
from storage.repository import TotalsRepository

log = logging.getLogger(__name__)
RECREATE_SECONDS = 60.0


class ReplayError(Exception):
    """Replay cannot run; the message says why in one line."""


async def replay(
    kafka: KafkaConfig, repository: TotalsRepository, local_state: Path
) -> dict[str, Any]:
    """Empty the derived data (state topic, the store's aggregates, the workers' local state
    under `local_state`) and set the groups back to offset 0."""
    topics = kafka.topics
    admin = AIOKafkaAdminClient(**kafka.client_options(request_timeout_ms=15000))
    await admin.start()
    try:
        for group in (topics.worker_group, topics.materialiser_group):
            if await group_members(admin, group, attempts=20):
                raise ReplayError(
                    f"consumer group {group} has live members: stop every worker and "
                    "materialiser first"
                )
        partitions, inputs = await ensure_topics(kafka)
        with contextlib.suppress(UnknownTopicOrPartitionError):
            await admin.delete_topics([topics.state])
        await _recreate(admin, kafka)
    finally:
        await admin.close()
    for topic in inputs:
        await _commit_zero(kafka, topics.worker_group, topic, partitions)
    await _commit_zero(kafka, topics.materialiser_group, topics.state, partitions)
    cleared = repository.clear_aggregates()
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(local_state)
    return {"partitions": partitions, "store_rows_cleared": cleared}


async def _recreate(admin: AIOKafkaAdminClient, kafka: KafkaConfig) -> None:
    """Wait until the broker has deleted the state topic, then create it again."""
    state = kafka.topics.state
    deadline = time.monotonic() + RECREATE_SECONDS
    while state in await admin.list_topics():
        if time.monotonic() > deadline:
            raise ReplayError(f"topic {state} was not deleted within {RECREATE_SECONDS:.0f}s")
        await asyncio.sleep(0.2)
    while True:
        try:
            await ensure_topics(kafka)
        except (KafkaError, TopicError) as exc:
            log.info("state topic not recreated yet: %s", exc)
        if state in await admin.list_topics():
            return
        if time.monotonic() > deadline:
            raise ReplayError(f"topic {state} was not recreated within {RECREATE_SECONDS:.0f}s")
        await asyncio.sleep(0.5)


async def _commit_zero(kafka: KafkaConfig, group: str, topic: str, partitions: int) -> None:
    """Set a (memberless) group's committed offsets to 0 on every partition of `topic`."""
    consumer = AIOKafkaConsumer(**kafka.client_options(group_id=group, enable_auto_commit=False))
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
    finally:
        await consumer.stop()
