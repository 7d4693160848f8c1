"""A batch cut by a broker failure half-way is never seen in part: the broker is SIGKILLed
while the API writes batches of 1,000 events, at several moments of the write, and after
every restart a reader of committed records finds each batch complete or absent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from service.devtools.broker import LocalBroker
from service.kafka.topics import Topics
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure, read_all
from tests.support import Process, private_stack, settings_env, wait_until

pytestmark = pytest.mark.chaos
HEADERS = {
    "content-type": "application/cloudevents-batch+json",
    "authorization": "Bearer test-key-handhaving-0001",
}
PARTITIONS = 6
# How long after the batch's first records reach the log the broker is killed: early in the
# write, late in it, around the commit.
KILL_AFTER = (0.0, 0.01, 0.03, 0.08)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[LocalBroker, Settings]]:
    settings: Settings = private_stack(tmp_path, "atomic", topic_partitions=PARTITIONS)
    local = LocalBroker(settings)
    local.start()
    try:
        local.wait_ready(timeout=90)
        yield local, settings
    finally:
        local.stop()


async def _ends(options: dict[str, Any], topic: str, level: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**options, isolation_level=level)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return await consumer.end_offsets(tps)
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def _until_a_transaction_is_open(
    options: dict[str, Any], topic: str, seconds: float = 10
) -> None:
    """Return as soon as records of an undecided transaction are in the log."""
    readers = [
        AIOKafkaConsumer(**options, isolation_level=level)
        for level in ("read_uncommitted", "read_committed")
    ]
    for reader in readers:
        await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            high, stable = [await reader.end_offsets(tps) for reader in readers]
            if high != stable:
                return
            await asyncio.sleep(0.001)
    finally:
        for reader in readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader.stop()


def _decided(options: dict[str, Any], topic: str) -> bool:
    """Whether no transaction on `topic` is undecided (committed readers would wait on it)."""
    try:
        high = asyncio.run(_ends(options, topic, "read_uncommitted"))
        stable = asyncio.run(_ends(options, topic, "read_committed"))
    except KafkaError:
        return False
    return high == stable


def test_a_batch_cut_by_a_broker_kill_is_all_or_nothing(
    broker: tuple[LocalBroker, Settings], tmp_path: Path
) -> None:
    local, settings = broker
    ensure(settings)
    topic = Topics(settings.namespace).input("handhaving-app")
    api = Process(["api"], settings_env(settings), tmp_path / "api.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    outcomes = []
    try:
        wait_until(lambda: _ready(base), timeout=60, what="the API")
        for trial, delay in enumerate(KILL_AFTER):
            batch = [factories.report(f"T{trial}-{n}") for n in range(1000)]
            ids = {e["id"] for e in batch}
            answer: dict[str, int] = {}
            thread = threading.Thread(target=_post, args=(base, batch, answer))
            thread.start()
            asyncio.run(_until_a_transaction_is_open(local.client_options(), topic))
            time.sleep(delay)
            local.kill()
            thread.join(60)
            local.start()
            local.wait_ready(timeout=90)
            wait_until(
                lambda: _decided(local.client_options(), topic),
                timeout=60,
                what="the cut transaction to be decided",
            )
            seen = _ids(read_all(settings, topic)) & ids
            assert seen in (set(), ids), f"trial {trial}: {len(seen)} of 1000 visible"
            written = _ids(read_all(settings, topic, isolation="read_uncommitted")) & ids
            outcomes.append((answer.get("status"), len(written), len(seen)))
            wait_until(lambda: _ready(base), timeout=60, what="the API after the restart")
        print("status, events in the log, events visible, per trial:", outcomes)
        # At least one kill must have cut a write half-way: part of the batch in the log,
        # none of it visible; else the test proved nothing.
        assert any(0 < written < 1000 and visible == 0 for _, written, visible in outcomes)
        for status, _, visible in outcomes:
            assert status != 202 or visible == 1000, outcomes  # a 202 is never lost
    finally:
        api.stop()


def _ids(records: list[Any]) -> set[str]:
    return {dict(r.headers)["ce_id"].decode() for r in records}


def _post(base: str, batch: list[dict[str, object]], answer: dict[str, int]) -> None:
    try:
        response = httpx.post(
            f"{base}/v1/events", content=json.dumps(batch), headers=HEADERS, timeout=60
        )
        answer["status"] = response.status_code
    except httpx.HTTPError:
        answer["status"] = 0


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
