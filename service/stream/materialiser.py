"""Materialiser: copies yearly aggregates and incidents from the state changelog into the store.

Values on the changelog are absolute and offset-stamped, so the store upserts them guarded by
the stamp: redelivery, restarts and replays never move a total. A row the store refuses for
what it holds is set aside (`quarantined_row`) and the rest of its batch written, so one bad
row never stops the store from following the changelog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from service.domain.cases import Case
from service.domain.counting import version
from service.kafka.changelog import (
    decode_cell,
    decode_state,
    is_cell,
    is_incident,
    parse_cell_key,
    parse_incident_key,
)
from service.kafka.config import KafkaConfig
from service.kafka.retry import keep_running
from service.settings import Settings
from service.stream import metrics
from storage.repository import CaseRow, IncidentRow, Quarantined, TotalsRepository, YearCell

log = logging.getLogger(__name__)
REASON_LENGTH = 1000  # of a quarantined row's reason: a driver's message can be long


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
        source_offset=version(cell.stamp),
        housing=where.housing,
    )


def incident_row(partition: int, key: bytes, value: bytes | None) -> IncidentRow | CaseRow | None:
    """The store row for a changelog record of an incident or a woonoverlast case, or None."""
    if value is None or not is_incident(key):
        return None
    source, subject = parse_incident_key(key)
    incident = decode_state(value)
    if isinstance(incident, Case):
        return CaseRow(source, subject, partition, value.decode(), incident.offset)
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


class ChangelogRecord(Protocol):
    """What the materialiser reads of a changelog record (aiokafka's ConsumerRecord has it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


Row = tuple[ChangelogRecord, YearCell | IncidentRow | CaseRow]


@dataclass(frozen=True, slots=True)
class Written:
    """What one batch did to the store."""

    cells: int = 0
    incidents: int = 0
    quarantined: int = 0


def write_batch(repository: TotalsRepository, records: Sequence[ChangelogRecord]) -> Written:
    """Upsert the rows of a batch of changelog records in one transaction. If the store refuses
    that for what a row holds, find the refused rows by bisecting, write every other row and set
    the refused ones aside; any other failure (a lost connection) is raised, and the caller
    retries the whole batch."""
    rows: list[Row] = []
    refused: list[Quarantined] = []
    for record in records:
        try:
            row = _row_of(record)
        except (ValueError, KeyError, TypeError) as exc:  # bytes the changelog cannot hold
            refused.append(_set_aside(record, exc))
            continue
        if row is not None:
            rows.append((record, row))
    written = _write(repository, rows, refused)
    added = repository.quarantine(refused) if refused else 0
    for aside in refused:
        log.warning(
            "set aside changelog record %s/%d@%d (key %s): %s",
            aside.topic,
            aside.partition,
            aside.offset,
            aside.key,
            aside.reason,
        )
    cells = sum(1 for _, row in written if isinstance(row, YearCell))
    return Written(cells=cells, incidents=len(written) - cells, quarantined=added)


def _row_of(record: ChangelogRecord) -> YearCell | IncidentRow | CaseRow | None:
    if record.key is None:
        return None
    cell = year_cell(record.key, record.value)
    if cell is not None:
        return cell
    return incident_row(record.partition, record.key, record.value)


def _write(repository: TotalsRepository, rows: list[Row], refused: list[Quarantined]) -> list[Row]:
    """Write `rows`, or every one of them the store accepts; the written rows. Each try is its
    own transaction, and every value is absolute and offset-guarded, so rows written in halves
    end as they would have in one go."""
    if not rows:
        return []
    try:
        repository.upsert(
            [row for _, row in rows if isinstance(row, YearCell)],
            [row for _, row in rows if isinstance(row, IncidentRow)],
            [row for _, row in rows if isinstance(row, CaseRow)],
        )
    except Exception as exc:
        if not refused_for_its_data(exc):
            raise
        if len(rows) == 1:
            refused.append(_set_aside(rows[0][0], exc))
            return []
        middle = len(rows) // 2
        return _write(repository, rows[:middle], refused) + _write(
            repository, rows[middle:], refused
        )
    return rows


def refused_for_its_data(exc: BaseException) -> bool:
    """Whether the store refused a write for what a row holds, which no retry changes (a value
    too long or out of range, a character it cannot store), rather than for how it was
    reached (a lost connection, a lock, a server going down: a retry may succeed)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        return isinstance(exc, DataError | IntegrityError)
    # A StatementError that wraps no driver error: a value SQLAlchemy could not convert.
    # ValueError and OverflowError come straight from a driver: text it cannot encode, and an
    # integer beyond SQLite's 64 bits.
    return isinstance(exc, StatementError | ValueError | OverflowError)


def _set_aside(record: ChangelogRecord, exc: BaseException) -> Quarantined:
    lines = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return Quarantined(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=escaped(record.key or b""),
        reason=escaped(reason)[:REASON_LENGTH],
        at=datetime.now(UTC),
    )


def escaped(raw: bytes | str) -> str:
    """Text that any column and any terminal takes, and that maps back to `raw`: characters
    that do not print (the state keys' U+001F separator, NUL, a lone surrogate) as \\uXXXX,
    bytes that are not UTF-8 as \\xNN, a backslash doubled."""
    binary = isinstance(raw, bytes)
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    parts = []
    for char in text:
        code = ord(char)
        if char == "\\":
            parts.append("\\\\")
        elif binary and 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            parts.append(char)
        else:
            parts.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(parts)


class Materialiser:
    def __init__(
        self,
        kafka: KafkaConfig,
        repository: TotalsRepository,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self._kafka = kafka
        self._repository = repository
        self._topics = kafka.topics
        self._on_ready = on_ready  # called once, when the consumer first runs

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
        if self._on_ready is not None:
            self._on_ready()
            self._on_ready = None
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=250, max_records=20_000)
                records = [record for chunk in batch.values() for record in chunk]
                if records:
                    started = time.perf_counter()
                    written = await asyncio.to_thread(write_batch, self._repository, records)
                    if written.cells or written.incidents:
                        metrics.STORE_UPSERT.observe(time.perf_counter() - started)
                    metrics.STORE_ROWS.labels("aggregate_cell").inc(written.cells)
                    metrics.STORE_ROWS.labels("incident").inc(written.incidents)
                    metrics.STORE_QUARANTINED.inc(written.quarantined)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()


METRICS_PORTS = 16  # materialisers on one host take the first free of this many ports
STOP_GRACE_SECONDS = 8.0


def run_materialiser(
    settings: Settings,
    kafka: KafkaConfig,
    repository: TotalsRepository,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Entry point of `wijkwacht materialise`: follow the changelog into the store until
    SIGTERM or SIGINT. Several may run; they share the changelog's partitions as one consumer
    group. Stopping is safe at any moment: offsets are committed only after their rows."""
    serve_metrics(settings)
    asyncio.run(_until_signalled(Materialiser(kafka, repository, on_ready).run()))


async def _until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until SIGTERM or SIGINT, then stop it; if that takes longer than
    STOP_GRACE_SECONDS (a broker that does not answer the leave), exit anyway: offsets are
    committed only after their rows, so a restart resumes as after a crash."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)

    def stop() -> None:
        task.cancel()
        loop.call_later(STOP_GRACE_SECONDS, _exit_now)

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop)
    log.info("materialiser started")
    with contextlib.suppress(asyncio.CancelledError):
        await task
    log.info("materialiser stopped")


def _exit_now() -> None:
    log.warning(
        "the materialiser did not stop within %.0f s of the signal (broker unreachable?); "
        "exiting now: a restart resumes from the last committed offsets",
        STOP_GRACE_SECONDS,
    )
    logging.shutdown()
    os._exit(0)


def serve_metrics(settings: Settings) -> None:
    """Prometheus metrics at the first free port from WIJKWACHT_MATERIALISER_METRICS_PORT."""
    if settings.materialiser_metrics_port == 0:
        return
    from prometheus_client import start_http_server

    base = settings.materialiser_metrics_port
    for port in range(base, base + METRICS_PORTS):
        try:
            start_http_server(port, addr=settings.api_host)
        except OSError:
            continue
        log.info("materialiser metrics at http://%s:%d/metrics", settings.api_host, port)
        return
    log.warning("materialiser metrics not served: ports %d-%d taken", base, port)
