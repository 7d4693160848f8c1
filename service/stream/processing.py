"""Turns a batch of input records into state-table writes and dead letters.

Pure over a read-only view of the state: no Kafka, no faust. The worker's agent decodes
nothing itself; it hands records here and writes back what comes out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from events.binding import from_kafka
from events.errors import InvalidEvent
from events.models import Withdrawal, camera_wijk
from events.registry import Registries
from service.domain.counting import (
    Cell,
    Decision,
    Incident,
    Outcome,
    apply_delta,
    apply_revision,
    revision_of,
)
from service.kafka.changelog import (
    cell_key,
    decode_cell,
    decode_incident,
    encode_cell,
    encode_incident,
    incident_key,
)

Headers = list[tuple[str, bytes]]


class StateView(Protocol):
    """Read access to the state table of one partition."""

    def get(self, partition: int, key: bytes) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Record:
    key: bytes | None
    value: bytes | None
    headers: Headers
    partition: int
    offset: int


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


@dataclass(slots=True)
class BatchResult:
    # (partition, key, value) in the order they must reach the changelog: every cell before
    # every incident, so that a crash leaves incidents unchanged where cells are missing.
    writes: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    rejections: list[tuple[Record, Rejection]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


class BatchProcessor:
    """Applies the counting rules to a batch; each state key is read and written once per
    batch, whatever the number of events touching it."""

    def __init__(self, registries: Registries, state: StateView) -> None:
        self._registries = registries
        self._state = state

    def process(self, records: Sequence[Record]) -> BatchResult:
        result = BatchResult()
        cells: dict[bytes, tuple[int, Cell | None]] = {}
        incidents: dict[bytes, tuple[int, Incident | None]] = {}
        changed_cells: set[bytes] = set()
        changed_incidents: set[bytes] = set()
        for record in records:
            outcome = self._one(record, cells, incidents, changed_cells, changed_incidents)
            if isinstance(outcome, Rejection):
                result.rejections.append((record, outcome))
                result.outcomes["rejected"] += 1
            else:
                result.outcomes[outcome.value] += 1
        for key in changed_cells:
            partition, cell = cells[key]
            assert cell is not None
            result.writes.append((partition, key, encode_cell(cell)))
        for key in changed_incidents:
            partition, incident = incidents[key]
            assert incident is not None
            result.writes.append((partition, key, encode_incident(incident)))
        return result

    def _one(
        self,
        record: Record,
        cells: dict[bytes, tuple[int, Cell | None]],
        incidents: dict[bytes, tuple[int, Incident | None]],
        changed_cells: set[bytes],
        changed_incidents: set[bytes],
    ) -> Outcome | Rejection:
        try:
            event = from_kafka(record.value, record.headers, self._registries)
        except InvalidEvent as exc:
            return Rejection("invalid", "; ".join(f"{e.field}: {e.message}" for e in exc.errors))
        if record.key != event.incident_key.encode():
            return Rejection("wrong-key", "key: must be source + subject of the event")
        partition, offset = record.partition, record.offset
        wijk = "" if isinstance(event.data, Withdrawal) else camera_wijk(event, self._registries)
        ikey = incident_key(event.source, event.subject)
        if ikey not in incidents:
            raw = self._state.get(partition, ikey)
            incidents[ikey] = (partition, decode_incident(raw) if raw is not None else None)
        decision = apply_revision(incidents[ikey][1], revision_of(event, wijk), offset)
        if decision.outcome in (Outcome.CONFLICT_KIND, Outcome.CONFLICT_REVISION):
            return Rejection(decision.outcome.value, _conflict_detail(decision))
        for where, delta in decision.deltas.items():
            ckey = cell_key(partition, where)
            if ckey not in cells:
                raw = self._state.get(partition, ckey)
                cells[ckey] = (partition, decode_cell(raw) if raw is not None else None)
            cell = apply_delta(cells[ckey][1], delta, offset)
            if cell is not None:
                cells[ckey] = (partition, cell)
                changed_cells.add(ckey)
        if decision.incident is not None:
            incidents[ikey] = (partition, decision.incident)
            changed_incidents.add(ikey)
        return decision.outcome


def _conflict_detail(decision: Decision) -> str:
    if decision.outcome is Outcome.CONFLICT_KIND:
        return "type: this subject already holds an incident of another kind"
    return "data.revision: this revision was already counted under another id"
