"""A batch path from faust's consumer to the worker, around faust's per-message conductor.

faust hands every fetched message to its conductor one at a time, awaiting
`wait_first(callback(message), suspend_flow.wait())` (two new tasks per message); with nothing
else to do an agent tops out near 5,000 events/s here (bench/faust_ceiling.py). This module
replaces the consumer's drain loop so that the records of the input topic from one `getmany`
go to a handler together. Everything else stays faust's: group membership, partition
assignment, table recovery, the ack bookkeeping that decides commits, and delivery of every
other topic through the conductor.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable
from typing import Any

BatchHandler = Callable[[list[Any]], Awaitable[None]]


def install_batch_drain(app: Any, topic: str, handler: BatchHandler) -> None:
    """Route the messages of `topic` to `handler` in batches; it must ack each one
    (`app.consumer.ack(message)`) once its effects are written."""
    consumer = app.consumer
    consumer._drain_messages = types.MethodType(_batch_drain(topic, handler), consumer)


def _batch_drain(topic: str, handler: BatchHandler) -> Callable[[Any, Any], Awaitable[None]]:
    async def drain(self: Any, fetcher: Any) -> None:
        # Mirrors faust.transport.consumer.Consumer._drain_messages (0.15), batching `topic`.
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        track = self.track_message
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                ait = getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    continue
                batch: list[Any] = []
                async for tp, message in ait:
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is not None and offset < r_offset:
                        continue  # already delivered (faust drops these too)
                    gap = offset - (r_offset or 0)
                    if gap > 1 and r_offset and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)
                    if message.topic == topic:
                        track(message)  # pending until acked: rebalances wait for it
                        batch.append(message)
                    else:
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                    set_read_offset(tp, offset)
                if batch:
                    await handler(batch)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
                await asyncio.sleep(0)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise

    return drain
