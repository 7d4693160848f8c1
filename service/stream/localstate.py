"""Whether a worker's local RocksDB state may be trusted at start-up.

Each partition's database remembers the first changelog record of the last batch it stored
(offset, and a digest of key and value). The state is only kept if the changelog still holds
that very record there; otherwise the changelog was deleted or recreated since (a replay) or
compacted past it, and the database is removed so that faust rebuilds it from the changelog.
Without this, a worker would start from the state of a changelog that no longer exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from service.kafka.config import KafkaConfig

log = logging.getLogger(__name__)
SYNCED_KEY = b"__wijkwacht\0synced__"


@dataclass(frozen=True, slots=True)
class Synced:
    """A changelog record a local database is known to match."""

    offset: int
    key: bytes
    value: bytes

    def encode(self) -> bytes:
        return f"{self.offset}:{digest(self.key, self.value)}".encode()


def digest(key: bytes, value: bytes | None) -> str:
    return hashlib.blake2b(key + b"\0" + (value or b""), digest_size=16).hexdigest()


async def discard_unsynced(kafka: KafkaConfig, paths: dict[int, Path]) -> list[int]:
    """Remove the local database of every partition whose changelog no longer holds the record
    it was last synced with; returns those partitions."""
    import rocksdict

    present = {p: path for p, path in paths.items() if path.exists()}
    if not present:
        return []
    changelog = kafka.topics.state
    consumer = AIOKafkaConsumer(**kafka.client_options(enable_auto_commit=False))
    await consumer.start()
    discarded = []
    try:
        for partition, path in sorted(present.items()):
            db = rocksdict.Rdict(str(path), rocksdict.Options(raw_mode=True))
            try:
                mark = db.get(SYNCED_KEY)
            finally:
                db.close()
            tp = TopicPartition(changelog, partition)
            if mark is None or not await _holds(consumer, tp, mark.decode()):
                shutil.rmtree(path)
                discarded.append(partition)
                log.warning(
                    "local state of %s partition %d does not match the changelog "
                    "(replayed or compacted since); rebuilding it from the changelog",
                    changelog,
                    partition,
                )
    finally:
        # aiokafka 0.14 lets the cancellation of its own reset-committed task escape stop()
        # now and then (after several assign() calls); the consumer is stopped either way, and
        # a worker must not die of it at start.
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()
    return discarded


async def _holds(consumer: AIOKafkaConsumer, tp: TopicPartition, mark: str) -> bool:
    offset_text, expected = mark.split(":", 1)
    offset = int(offset_text)
    consumer.assign([tp])
    end = (await consumer.end_offsets([tp]))[tp]
    if offset >= end:
        return False
    consumer.seek(tp, offset)
    records = (await consumer.getmany(tp, timeout_ms=10_000, max_records=1)).get(tp, [])
    if not records or records[0].offset != offset:
        return False
    return digest(records[0].key or b"", records[0].value) == expected
