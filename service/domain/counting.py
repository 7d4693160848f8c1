"""The counting rules of docs/contract.md §4 as pure functions over plain data.

Per incident (source, subject) only its highest revision counts; a withdrawal counts nowhere.
State is kept per input partition. Every value written is absolute and stamped with the input
offset that last changed it, so re-applying an input record is a no-op: that is what makes the
aggregates exact under at-least-once delivery (docs/architecture.md, "Why the aggregates are
exact").

Each field system has an input topic of its own, its lane (named after it), and only its own
incidents count there: every record of an incident is in one lane, in one partition, in
order, so an incident's stamp is one offset. Partition p of every lane is processed by the one
worker that owns partition p of the state, and a cell sums incidents of several lanes, whose
offsets say nothing about each other: a cell's stamp holds one offset per lane (a version
vector), and a cell only ever moves forward in each of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from events.home_safety import CaseOpening, CaseStatus, DomesticViolence, RestrainingOrder
from events.kinds import RESTRAINING_CATEGORY
from events.models import DamageItem, Event, Withdrawal
from events.periods import SCOPES, Periods
from service.domain.figures import ZERO, Figures

# The records below are built several times per event. Frozen dataclasses cost about four times
# as much to build (every field goes through object.__setattr__), so only the keys, which are
# hashed and shared through caches, are immutable; nothing changes the others once built.


class Outcome(enum.StrEnum):
    COUNTED = "counted"  # a new incident, or a higher revision of one
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"  # the same id again: a retry
    STALE = "stale"  # a revision at or below the one counted
    CONFLICT_REVISION = "conflict-revision"  # the same revision under another id
    CONFLICT_KIND = "conflict-kind"  # another kind under a subject that has one
    REPLAYED = "replayed"  # this input record was applied before a crash
    HELD = "held"  # a case's status before its opening: kept, counted once the opening comes


@dataclass(slots=True)
class Contribution:
    """What one counted incident adds, in its kind, category and wijk, to each of its periods."""

    kind: str
    category: str
    wijk: str
    periods: Periods
    amount_cents: int = 0
    illegal_fireworks_cents: int = 0

    def cells(self) -> tuple[CellKey, ...]:
        return _cells(self.kind, self.category, self.wijk, self.periods)

    @property
    def figures(self) -> Figures:
        """What it adds to each of its cells: one incident, and its amounts."""
        return Figures(1, self.amount_cents, self.illegal_fireworks_cents)


class CellKey(NamedTuple):
    """Where a contribution counts. A named tuple: hashed in C, several times per event.
    `housing` is a woonoverlast case's housing type, and empty for incidents."""

    kind: str
    category: str
    wijk: str
    scope: str
    period: str
    housing: str = ""


# Many incidents share kind, category, wijk and date: their cells are built once.
@lru_cache(maxsize=16384)
def _cells(kind: str, category: str, wijk: str, periods: Periods) -> tuple[CellKey, ...]:
    return tuple(CellKey(kind, category, wijk, scope, periods.label(scope)) for scope in SCOPES)


Stamp = dict[str, int]  # input lane → offset of its last record applied


MAX_VERSION = 2**63 - 1  # a signed 64-bit column holds it, as it holds a Kafka offset


def version(stamp: Stamp) -> int:
    """A number that grows with every change of a cell: readers that get the same cell more
    than once (the store, the live view) keep the one with the highest. Every change raises
    one lane's offset, so the sum of (offset + 1) over the lanes grows too. It saturates at
    MAX_VERSION, which the lanes' offsets together reach only after 2**63 input records."""
    return min(sum(stamp.values()) + len(stamp), MAX_VERSION)


class Cell(NamedTuple):
    """An aggregate's absolute value, stamped with the input records that changed it last."""

    figures: Figures
    stamp: Stamp


@dataclass(slots=True)
class Incident:
    """The counted state of one incident; `contribution` is None once withdrawn (or if the
    first thing seen of it was its withdrawal, in which case `kind` is None too)."""

    revision: int
    event_id: str
    kind: str | None
    contribution: Contribution | None
    offset: int  # in the incident's lane: the only one it is ever changed from


@dataclass(slots=True)
class Revision:
    """One incoming event, reduced to what counting needs. `contribution` None = withdrawal."""

    event_id: str
    revision: int
    kind: str | None
    contribution: Contribution | None


@dataclass(slots=True)
class Decision:
    outcome: Outcome
    incident: Incident | None  # the state to write, None when nothing changes
    deltas: dict[CellKey, Figures]  # per cell, what the event changes


def apply_revision(current: Incident | None, event: Revision, offset: int) -> Decision:
    """Decide what an event at `offset` of its incident's lane does to the incident and to
    the aggregates."""
    if current is not None:
        if current.offset >= offset:
            return Decision(Outcome.REPLAYED, None, {})
        if event.event_id == current.event_id:
            return Decision(Outcome.DUPLICATE, None, {})
        if event.kind is not None and current.kind is not None and event.kind != current.kind:
            return Decision(Outcome.CONFLICT_KIND, None, {})
        if event.revision == current.revision:
            return Decision(Outcome.CONFLICT_REVISION, None, {})
        if event.revision < current.revision:
            return Decision(Outcome.STALE, None, {})
    before = current.contribution if current else None
    kind = event.kind or (current.kind if current else None)
    incident = Incident(event.revision, event.event_id, kind, event.contribution, offset)
    outcome = Outcome.WITHDRAWN if event.contribution is None else Outcome.COUNTED
    return Decision(outcome, incident, contribution_deltas(before, event.contribution))


def contribution_deltas(
    before: Contribution | None, after: Contribution | None
) -> dict[CellKey, Figures]:
    """Per cell, what replacing `before` by `after` changes; cells that net to zero are left out."""
    if before is None or after is None:  # a new incident or a withdrawal: one side only
        if after is not None:
            return dict.fromkeys(after.cells(), after.figures)
        return {} if before is None else dict.fromkeys(before.cells(), -before.figures)
    deltas = dict.fromkeys(before.cells(), -before.figures)
    for key in after.cells():
        deltas[key] = deltas.get(key, ZERO) + after.figures
    return {key: delta for key, delta in deltas.items() if delta}


class Tally:
    """A cell's value while a batch changes it. Mutable, so that the events of a batch that
    touch one cell add to one object instead of each building a new cell; the batch writes
    its final value once. Its stamp is its own copy, changed in place."""

    __slots__ = ("amount_cents", "changed", "count", "illegal_fireworks_cents", "stamp")

    def __init__(self, cell: Cell | None) -> None:
        figures, stamp = (ZERO, {}) if cell is None else cell
        self.count, self.amount_cents, self.illegal_fireworks_cents = figures
        self.stamp: Stamp = dict(stamp)
        self.changed = False

    def applies(self, lane: str, offset: int) -> bool:
        """Whether the record at `offset` of `lane` is still to be applied (not reflected)."""
        return self.stamp.get(lane, -1) < offset

    def add(self, delta: Figures, lane: str, offset: int) -> None:
        """Apply the change the record at `offset` of input `lane` makes (it `applies`)."""
        count, amount, fireworks = delta
        self.count += count
        self.amount_cents += amount
        self.illegal_fireworks_cents += fireworks
        self.stamp[lane] = offset
        self.changed = True

    def cell(self) -> Cell:
        return Cell(
            Figures(self.count, self.amount_cents, self.illegal_fireworks_cents), self.stamp
        )


def revision_of(event: Event, wijk: str) -> Revision:
    """Reduce a validated event to what counting needs; `wijk` is where it counts (a camera
    incident's is its camera's)."""
    data = event.data
    if isinstance(data, Withdrawal):
        return Revision(event.id, data.revision, None, None)
    if isinstance(data, DomesticViolence):
        category = data.organisation  # counted per registering organisation
    elif isinstance(data, RestrainingOrder):
        category = RESTRAINING_CATEGORY
    elif isinstance(data, CaseOpening | CaseStatus):
        raise ValueError(f"{data.kind} is not an incident: it is a case's (domain/cases.py)")
    else:
        category = data.category
    amount = data.amount_cents if isinstance(data, DamageItem) else 0
    fireworks = amount if isinstance(data, DamageItem) and data.illegal_fireworks else 0
    contribution = Contribution(
        kind=data.kind,
        category=category,
        wijk=wijk,
        periods=event.periods(),
        amount_cents=amount,
        illegal_fireworks_cents=fireworks,
    )
    return Revision(event.id, data.revision, data.kind, contribution)
