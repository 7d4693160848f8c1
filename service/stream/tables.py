"""The worker's state table per input partition, for whole batches: reads from the local
store, writes that reach the changelog before the local store.

A batch has no current event, and faust's table API picks a partition from the current
event; so the batch path reads and writes the local store below faust's table through the
small `LocalStore` interface, which has a memory and a RocksDB implementation
(`service.stream.faust_adapter`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from service.stream.localstate import Synced

Write = tuple[int, bytes, bytes]  # input partition, key, value


class LocalStore(abc.ABC):
    """The worker's local copy of the state table, one key space per input partition."""

    @abc.abstractmethod
    def get(self, partition: int, key: bytes) -> bytes | None:
        """The value of `key` in `partition`, or None."""

    @abc.abstractmethod
    def put(self, partition: int, items: list[tuple[bytes, bytes]], synced: Synced) -> None:
        """Keep values the changelog has acknowledged; `synced` is the first of them as the
        changelog holds it (a store that survives restarts records it, see localstate)."""


class StateTable:
    """The state table as the batch processor sees it.

    Writes reach the changelog first and the local store only once Kafka has acknowledged
    them, so local state is never ahead of the changelog: a worker killed in between finds
    the missing writes in the changelog when it recovers, never a local write Kafka lacks.
    """

    def __init__(self, store: LocalStore, producer: Callable[[], Any], changelog: str) -> None:
        self._store = store
        self._producer = producer  # the aiokafka producer; it exists once the app runs
        self._changelog = changelog

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._store.get(partition, key)

    async def write_all(self, writes: list[Write]) -> None:
        """Append to the changelog partition of each input partition, in order, as whole
        record batches; once acknowledged, store locally."""
        producer = self._producer()
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for partition, key, value in writes:
            by_partition.setdefault(partition, []).append((key, value))
        sent = []
        for partition, items in by_partition.items():
            batch, first = producer.create_batch(), 0
            for n, (key, value) in enumerate(items):
                if batch.append(key=key, value=value, timestamp=None) is None:
                    await producer.send_batch(batch, self._changelog, partition=partition)
                    batch, first = producer.create_batch(), n
                    batch.append(key=key, value=value, timestamp=None)
            delivered = await producer.send_batch(batch, self._changelog, partition=partition)
            sent.append((partition, items, delivered, items[first]))
        for partition, items, delivered, head in sent:
            metadata = await delivered  # earlier batches of the partition are acked before it
            self._store.put(partition, items, Synced(metadata.offset, *head))
