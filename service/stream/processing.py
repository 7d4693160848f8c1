"""Turns a batch of input records into state-table writes and dead letters.

Pure over a read-only view of the state: no Kafka, no faust. The worker's agent decodes
nothing itself; it hands records here and writes back what comes out.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple, Protocol, TypeVar

from events.errors import InvalidEvent
from events.registry import Registries
from events.seal import Seal
from service.domain.cases import Case, Opening, Status, apply_change, cell_deltas
from service.domain.cases import Withdrawal as CaseWithdrawal
from service.domain.counting import (
    Cell,
    CellKey,
    Incident,
    Outcome,
    Revision,
    Tally,
    apply_revision,
)
from service.domain.figures import Figures
from service.kafka.changelog import (
    cell_key,
    decode_cell,
    decode_state,
    encode_cell,
    encode_state,
    incident_key,
)
from service.stream.reading import Reader

log = logging.getLogger(__name__)
Headers = list[tuple[str, bytes]]
T = TypeVar("T")
# What one record changes: its outcome, its incident's new record, and per cell it changes
# (a batch's tally of it) what it adds.
Decided = tuple[Outcome, tuple[bytes, Incident | Case] | None, list[tuple[Tally, Figures]]]
Tallies = dict[bytes, tuple[int, Tally]]  # cell key → (partition, its value in this batch)


class StateUnavailable(Exception):
    """The state store could not be read: the batch stops (it is processed again later)."""


class StateView(Protocol):
    """Read access to the state table of one partition."""

    def get(self, partition: int, key: bytes) -> bytes | None: ...


class Record(NamedTuple):
    """An input record. A named tuple: built for every record, and built in C."""

    key: bytes | None
    value: bytes | None
    headers: Headers
    partition: int
    offset: int
    lane: str  # the field system whose input topic it came from


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
    reads: Counter[str] = field(default_factory=Counter)  # records per path (stream/reading)


class BatchProcessor:
    """Applies the counting rules to a batch; each state key is read and written once per
    batch, whatever the number of events touching it."""

    # Cells written lately, decoded: most batches touch the cells of the same years, months
    # and weeks again, and decoding them anew cost a microsecond each. Only a value equal to
    # what the state holds is used; a full cache starts over.
    DECODED_CELLS = 50_000

    def __init__(self, registries: Registries, state: StateView, seal: Seal | None = None) -> None:
        self._reader = Reader(registries, seal)
        self._state = state
        self._decoded: dict[bytes, tuple[bytes, Cell]] = {}

    def process(self, records: Sequence[Record]) -> BatchResult:
        result = BatchResult()
        tallies: Tallies = {}
        incidents: dict[bytes, tuple[int, Incident | Case | None]] = {}
        changed_incidents: set[bytes] = set()
        for record in records:
            outcome = self._one(record, tallies, incidents, changed_incidents)
            if isinstance(outcome, Rejection):
                result.rejections.append((record, outcome))
                result.outcomes["rejected"] += 1
            else:
                result.outcomes[outcome.value] += 1
        result.reads = self._reader.take_paths()
        decoded = self._decoded
        if len(decoded) > self.DECODED_CELLS:
            decoded.clear()
        for key, (partition, tally) in tallies.items():
            if tally.changed:
                cell = tally.cell()
                value = encode_cell(cell)
                result.writes.append((partition, key, value))
                decoded[key] = (value, cell)
        for key in changed_incidents:
            partition, incident = incidents[key]
            assert incident is not None
            result.writes.append((partition, key, encode_state(incident)))
        return result

    def _one(
        self,
        record: Record,
        tallies: Tallies,
        incidents: dict[bytes, tuple[int, Incident | Case | None]],
        changed_incidents: set[bytes],
    ) -> Outcome | Rejection:
        """Apply one record, all of it or, if anything about it raises, nothing: a record that
        trips over a bug or a value out of range goes to the dead letters and the batch goes
        on. Only a failing state store stops the batch."""
        try:
            decided = self._decide(record, tallies, incidents)
        except StateUnavailable:
            raise
        except Exception as exc:
            log.exception("processing input record %d@%d failed", record.partition, record.offset)
            return Rejection("processing-error", f"{type(exc).__name__}: {exc}")
        if isinstance(decided, Rejection):
            return decided
        outcome, incident, changes = decided
        lane, offset = record.lane, record.offset
        for tally, delta in changes:  # nothing here raises: all of the record or none of it
            tally.add(delta, lane, offset)
        if incident is not None:
            ikey, value = incident
            incidents[ikey] = (record.partition, value)
            changed_incidents.add(ikey)
        return outcome

    def _decide(
        self,
        record: Record,
        tallies: Tallies,
        incidents: dict[bytes, tuple[int, Incident | Case | None]],
    ) -> Decided | Rejection:
        """What a record changes, without changing anything yet (reads are cached)."""
        try:
            reading = self._reader.read(record.value, record.headers)
        except InvalidEvent as exc:
            return Rejection("invalid", "; ".join(f"{e.field}: {e.message}" for e in exc.errors))
        if reading.field_system != record.lane:
            return Rejection(
                "forbidden-source",
                f"source: {reading.source} is not field system {record.lane}, whose topic this "
                "is; a field system may only report its own incidents",
            )
        if record.key != (reading.source + reading.subject).encode():
            return Rejection("wrong-key", "key: must be source + subject of the event")
        partition, offset, lane = record.partition, record.offset, record.lane
        ikey = incident_key(reading.source, reading.subject)
        if ikey not in incidents:
            incidents[ikey] = (partition, self._read(partition, ikey, decode_state))
        current, change = incidents[ikey][1], reading.revision
        state: Incident | Case | None
        if isinstance(change, Revision) and not isinstance(current, Case):
            decision = apply_revision(current, change, offset)
            outcome, state, deltas = decision.outcome, decision.incident, decision.deltas
        else:
            outcome, state, deltas = decide_case(current, change, offset)
        if outcome in (Outcome.CONFLICT_KIND, Outcome.CONFLICT_REVISION):
            return Rejection(outcome.value, _conflict_detail(outcome))
        changes: list[tuple[Tally, Figures]] = []
        for where, delta in deltas.items():
            ckey = cell_key(partition, where)
            found = tallies.get(ckey)
            if found is None:
                found = (partition, Tally(self._read_cell(partition, ckey)))
                tallies[ckey] = found
            tally = found[1]
            if tally.applies(lane, offset):
                changes.append((tally, delta))
        return outcome, None if state is None else (ikey, state), changes

    def _read_cell(self, partition: int, key: bytes) -> Cell | None:
        """A cell's value, decoded once for as long as the state holds what was written."""
        raw = self._get(partition, key)
        known = self._decoded.get(key)
        if known is not None and known[0] == raw:
            return known[1]
        return None if raw is None else decode_cell(raw)

    def _get(self, partition: int, key: bytes) -> bytes | None:
        try:
            return self._state.get(partition, key)
        except Exception as exc:
            raise StateUnavailable(f"reading state key {key!r} of partition {partition}") from exc

    def _read(self, partition: int, key: bytes, decode: Callable[[bytes], T]) -> T | None:
        """A state value. A store that cannot be read stops the batch; a value that cannot be
        decoded (written to the changelog by something else than a worker) fails only the
        records that need it."""
        raw = self._get(partition, key)
        return None if raw is None else decode(raw)


def decide_case(
    current: Incident | Case | None, change: Revision | Opening | Status, offset: int
) -> tuple[Outcome, Case | None, dict[CellKey, Figures]]:
    """What an event of a woonoverlast case (or a withdrawal of one) at `offset` of its lane
    does to the case and to the aggregates (service/domain/cases)."""
    if isinstance(current, Incident):
        if current.kind is not None:
            return Outcome.CONFLICT_KIND, None, {}
        # Its withdrawal came first: the case starts withdrawn.
        current = Case(CaseWithdrawal(current.event_id, current.revision), offset=current.offset)
    if current is not None and current.offset >= offset:
        return Outcome.REPLAYED, None, {}
    if isinstance(change, Revision):
        if change.kind is not None:  # an incident's event under a case's subject
            return Outcome.CONFLICT_KIND, None, {}
        outcome, after = apply_change(current, CaseWithdrawal(change.event_id, change.revision))
    else:
        outcome, after = apply_change(current, change)
    if after is None:
        return outcome, None, {}
    after = replace(after, offset=offset)
    return outcome, after, cell_deltas(current, after)


def _conflict_detail(outcome: Outcome) -> str:
    if outcome is Outcome.CONFLICT_KIND:
        return "type: this subject already holds an incident of another kind"
    return "data.revision: this revision was already counted under another id"
