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
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupCoordinatorNotAvailableError,
    KafkaError,
    UnknownTopicOrPartitionError,
)

from service.kafka.errors import TopicError
from service.kafka.topics import Topics, ensure_topics
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository

log = logging.getLogger(__name__)
RECREATE_SECONDS = 60.0


class ReplayError(Exception):
    """Replay cannot run; the message says why in one line."""


async def replay(settings: Settings) -> dict[str, Any]:
    topics = Topics(settings.namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        for group in (topics.worker_group, topics.materialiser_group):
            if await _members(admin, group):
                raise ReplayError(
                    f"consumer group {group} has live members: stop every worker first"
                )
        partitions = await ensure_topics(settings)
        with contextlib.suppress(UnknownTopicOrPartitionError):
            await admin.delete_topics([topics.state])
        await _recreate(admin, settings)
    finally:
        await admin.close()
    await _commit_zero(settings, topics.worker_group, topics.events, partitions)
    await _commit_zero(settings, topics.materialiser_group, topics.state, partitions)
    upgrade(settings.store_url)
    cleared = SqlTotalsRepository(make_engine(settings.store_url)).clear_aggregates()
    local = settings.data_dir / "worker"
    if local.exists():
        shutil.rmtree(local)
    return {"partitions": partitions, "store_rows_cleared": cleared}


async def _members(admin: AIOKafkaAdminClient, group: str) -> bool:
    """Whether the group has live members (its state is neither Empty nor Dead)."""
    for attempt in range(20):  # a new cluster creates its group coordinator lazily
        try:
            described = await admin.describe_consumer_groups([group])
            break
        except GroupCoordinatorNotAvailableError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)
    for response in described:
        for entry in response.groups:
            _error, _name, state = entry[:3]
            if state not in ("Empty", "Dead", ""):
                return True
    return False


async def _recreate(admin: AIOKafkaAdminClient, settings: Settings) -> None:
    """Wait until the broker has deleted the state topic, then create it again."""
    state = Topics(settings.namespace).state
    deadline = time.monotonic() + RECREATE_SECONDS
    while state in await admin.list_topics():
        if time.monotonic() > deadline:
            raise ReplayError(f"topic {state} was not deleted within {RECREATE_SECONDS:.0f}s")
        await asyncio.sleep(0.2)
    while True:
        try:
            await ensure_topics(settings)
        except (KafkaError, TopicError) as exc:
            log.info("state topic not recreated yet: %s", exc)
        if state in await admin.list_topics():
            return
        if time.monotonic() > deadline:
            raise ReplayError(f"topic {state} was not recreated within {RECREATE_SECONDS:.0f}s")
        await asyncio.sleep(0.5)


async def _commit_zero(settings: Settings, group: str, topic: str, partitions: int) -> None:
    """Set a (memberless) group's committed offsets to 0 on every partition of `topic`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
    finally:
        await consumer.stop()
