"""Materialiser: copies yearly aggregates from the state changelog into the store.

Values on the changelog are absolute and offset-stamped, so the store upserts them guarded by
the stamp: redelivery, restarts and replays never move a total.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer

from service.resilience import keep_running
from service.settings import Settings
from service.state import CELL, decode_cell, parse_cell_key
from service.topics import Topics
from storage.repository import TotalsRepository, YearCell

log = logging.getLogger(__name__)


def year_cell(key: bytes, value: bytes | None) -> YearCell | None:
    """The store row for a changelog record, or None if it is not a yearly aggregate."""
    if value is None or not key.startswith(CELL):
        return None
    partition, where = parse_cell_key(key)
    if where.scope != "year":
        return None
    cell = decode_cell(value)
    return YearCell(
        partition=partition,
        kind=where.kind,
        category=where.category,
        wijk=where.wijk,
        year=int(where.period),
        count=cell.count,
        amount_cents=cell.amount_cents,
        illegal_fireworks_cents=cell.illegal_fireworks_cents,
        source_offset=cell.offset,
    )


class Materialiser:
    def __init__(self, settings: Settings, repository: TotalsRepository) -> None:
        self._settings = settings
        self._repository = repository
        self._topics = Topics(settings.namespace)

    async def run(self) -> None:
        """Consume until cancelled; on a store or broker failure, back off and go on."""
        await keep_running("materialiser", self._consume)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topics.state,
            bootstrap_servers=self._settings.bootstrap,
            group_id=self._topics.materialiser_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=250, max_records=20_000)
                cells = [
                    cell
                    for records in batch.values()
                    for record in records
                    if (cell := year_cell(record.key, record.value)) is not None
                ]
                if cells:
                    await asyncio.to_thread(self._repository.upsert_cells, cells)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()
