"""Materialiser: copies yearly aggregates and incidents from the state changelog into the store.

Values on the changelog are absolute and offset-stamped, so the store upserts them guarded by
the stamp: redelivery, restarts and replays never move a total.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer

from service.kafka.changelog import (
    decode_cell,
    decode_incident,
    is_cell,
    is_incident,
    parse_cell_key,
    parse_incident_key,
)
from service.kafka.config import KafkaConfig
from service.kafka.retry import keep_running
from service.stream import metrics
from storage.repository import IncidentRow, TotalsRepository, YearCell

log = logging.getLogger(__name__)


def year_cell(key: bytes, value: bytes | None) -> YearCell | None:
    """The store row for a changelog record, or None if it is not a yearly aggregate."""
    if value is None or not is_cell(key):
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
        count=cell.figures.count,
        amount_cents=cell.figures.amount_cents,
        illegal_fireworks_cents=cell.figures.illegal_fireworks_cents,
        source_offset=cell.offset,
    )


def incident_row(partition: int, key: bytes, value: bytes | None) -> IncidentRow | None:
    """The store row for a changelog record, or None if it is not an incident."""
    if value is None or not is_incident(key):
        return None
    source, subject = parse_incident_key(key)
    incident = decode_incident(value)
    counted = incident.contribution
    return IncidentRow(
        source=source,
        subject=subject,
        partition=partition,
        kind=incident.kind,
        category=counted.category if counted else None,
        wijk=counted.wijk if counted else None,
        year=counted.periods.year if counted else None,
        revision=incident.revision,
        event_id=incident.event_id,
        amount_cents=counted.amount_cents if counted else 0,
        illegal_fireworks_cents=counted.illegal_fireworks_cents if counted else 0,
        withdrawn=counted is None,
        source_offset=incident.offset,
    )


class Materialiser:
    def __init__(self, kafka: KafkaConfig, repository: TotalsRepository) -> None:
        self._kafka = kafka
        self._repository = repository
        self._topics = kafka.topics

    async def run(self) -> None:
        """Consume until cancelled; on a store or broker failure, back off and go on."""
        await keep_running("materialiser", self._consume)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topics.state,
            **self._kafka.client_options(
                group_id=self._topics.materialiser_group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
            ),
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=250, max_records=20_000)
                records = [record for chunk in batch.values() for record in chunk]
                cells = [
                    cell
                    for record in records
                    if (cell := year_cell(record.key, record.value)) is not None
                ]
                incidents = [
                    incident
                    for record in records
                    if (incident := incident_row(record.partition, record.key, record.value))
                    is not None
                ]
                if cells or incidents:
                    started = time.perf_counter()
                    await asyncio.to_thread(self._repository.upsert, cells, incidents)
                    metrics.STORE_UPSERT.observe(time.perf_counter() - started)
                    metrics.STORE_ROWS.labels("aggregate_cell").inc(len(cells))
                    metrics.STORE_ROWS.labels("incident").inc(len(incidents))
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()
