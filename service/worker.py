"""The faust worker: decodes input records, applies the counting rules, keeps the state table.

The agent holds no business logic: `RecordProcessor.process` decodes, calls
`service.counting`, and writes what it returns.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import faust
from faust.types import EventT, StreamT

from events.binding import from_kafka
from events.errors import InvalidEvent
from events.models import camera_wijk
from events.registry import Registries
from service.counting import Decision, Outcome, apply_delta, apply_revision, revision_of
from service.materialiser import Materialiser
from service.settings import Settings
from service.state import (
    cell_key,
    decode_cell,
    decode_incident,
    encode_cell,
    encode_incident,
    incident_key,
)
from service.topics import Topics
from storage.engine import make_engine
from storage.repository import SqlTotalsRepository

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record goes to the dead-letter topic: a short code and the field with its reason."""

    code: str
    detail: str

    def headers(self) -> Headers:
        return [
            ("wijkwacht-error", self.code.encode()),
            ("wijkwacht-error-detail", self.detail.encode()[:4000]),
        ]


class RecordProcessor:
    """Applies one input record to the state table (a MutableMapping of bytes to bytes)."""

    def __init__(self, registries: Registries, state: MutableMapping[bytes, bytes]) -> None:
        self._registries = registries
        self._state = state
        self.outcomes: Counter[str] = Counter()

    def process(
        self, key: bytes | None, value: bytes | None, headers: Headers, partition: int, offset: int
    ) -> Rejection | None:
        try:
            event = from_kafka(value, headers, self._registries)
        except InvalidEvent as exc:
            self.outcomes["rejected"] += 1
            detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            return Rejection("invalid", detail)
        if key != event.incident_key.encode():
            self.outcomes["rejected"] += 1
            return Rejection("wrong-key", "key: must be source + subject of the event")
        wijk = "" if event.type.endswith("intrekking.v1") else camera_wijk(event, self._registries)
        ikey = incident_key(event.source, event.subject)
        raw = self._state.get(ikey)
        current = decode_incident(raw) if raw is not None else None
        decision = apply_revision(current, revision_of(event, wijk), offset)
        self.outcomes[decision.outcome.value] += 1
        if decision.outcome in (Outcome.CONFLICT_KIND, Outcome.CONFLICT_REVISION):
            return Rejection(decision.outcome.value, _conflict_detail(decision))
        self._write(ikey, decision, partition, offset)
        return None

    def _write(self, ikey: bytes, decision: Decision, partition: int, offset: int) -> None:
        # Cells first, the incident last: a crash in between leaves the incident unchanged, so
        # the replayed record recomputes the same deltas and the offset stamps skip the cells
        # already written.
        for key, delta in decision.deltas.items():
            ckey = cell_key(partition, key)
            raw = self._state.get(ckey)
            cell = apply_delta(decode_cell(raw) if raw is not None else None, delta, offset)
            if cell is not None:
                self._state[ckey] = encode_cell(cell)
        if decision.incident is not None:
            self._state[ikey] = encode_incident(decision.incident)


def _conflict_detail(decision: Decision) -> str:
    if decision.outcome is Outcome.CONFLICT_KIND:
        return "type: this subject already holds an incident of another kind"
    return "data.revision: this revision was already counted under another id"


def header_list(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Headers:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


class WorkerSlot:
    """A numbered directory under the data dir for one worker's local table state, held by a
    file lock so that several workers on one host each get their own."""

    def __init__(self, data_dir: Path) -> None:
        self._handle: IO[str] | None = None
        base = data_dir / "worker"
        base.mkdir(parents=True, exist_ok=True)
        for number in range(1000):
            path = base / f"slot-{number}"
            path.mkdir(exist_ok=True)
            handle = (path / "lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._handle, self.path = handle, path
            return
        raise RuntimeError(f"no free worker slot under {base}")


def build_worker_app(settings: Settings, registries: Registries, partitions: int) -> faust.App:
    """The faust app of one worker process, built from settings (no module-level app)."""
    topics = Topics(settings.namespace)
    slot = WorkerSlot(settings.data_dir)
    app = faust.App(
        topics.worker_group,
        broker=[f"kafka://{server}" for server in settings.bootstrap.split(",")],
        store="rocksdb://" if settings.worker_store == "rocksdb" else "memory://",
        datadir=str(slot.path),
        web_enabled=False,
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication_factor,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
    )
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    source = app.topic(topics.events, partitions=partitions, **raw)
    dlq = app.topic(topics.dlq, **raw)
    changelog = app.topic(
        topics.state, partitions=partitions, compacting=True, deleting=False, **raw
    )
    state = app.Table(
        "state", key_type=bytes, value_type=bytes, partitions=partitions, changelog_topic=changelog
    )
    processor = RecordProcessor(registries, state)

    @app.agent(source, name="process")
    async def process(stream: StreamT[bytes]) -> None:
        event: EventT[bytes]
        async for event in stream.events():
            message = event.message
            headers = header_list(message.headers)
            rejection = processor.process(
                message.key, message.value, headers, message.partition, message.offset
            )
            if rejection is not None:
                log.warning(
                    "rejected %s[%d]@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    rejection.code,
                )
                await dlq.send(
                    key=message.key, value=message.value, headers=headers + rejection.headers()
                )

    repository = SqlTotalsRepository(make_engine(settings.store_url))
    materialiser = Materialiser(settings, repository)

    @app.task  # type: ignore[untyped-decorator]
    async def materialise() -> None:
        await materialiser.run()

    app.wijkwacht_processor = processor  # type: ignore[attr-defined]
    app.wijkwacht_slot = slot  # type: ignore[attr-defined]
    return app


def run_worker(settings: Settings, registries: Registries) -> None:
    """Entry point of `wijkwacht worker`: migrate, create topics, run faust until stopped."""
    from faust.worker import Worker

    from storage.migrate import upgrade

    upgrade(settings.store_url)
    partitions = asyncio.run(_ensure(settings))
    app = build_worker_app(settings, registries, partitions)
    Worker(app, loglevel="INFO", quiet=True).execute_from_commandline()


async def _ensure(settings: Settings) -> int:
    from service.topics import ensure_topics

    return await ensure_topics(settings)
