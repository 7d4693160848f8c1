"""The counting rules of docs/contract.md §4 as pure functions over plain data.

Per incident (source, subject) only its highest revision counts; a withdrawal counts nowhere.
State is kept per input partition. Every value written is absolute and stamped with the input
offset that last changed it, so re-applying an input record is a no-op: that is what makes the
aggregates exact under at-least-once delivery (docs/architecture.md, "Why the aggregates are
exact").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

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
    """Where a contribution counts. A named tuple: hashed in C, several times per event."""

    kind: str
    category: str
    wijk: str
    scope: str
    period: str


# Many incidents share kind, category, wijk and date: their cells are built once.
@lru_cache(maxsize=16384)
def _cells(kind: str, category: str, wijk: str, periods: Periods) -> tuple[CellKey, ...]:
    return tuple(CellKey(kind, category, wijk, scope, periods.label(scope)) for scope in SCOPES)


class Cell(NamedTuple):
    """An aggregate's absolute value, stamped with the input offset that last changed it."""

    figures: Figures
    offset: int


@dataclass(slots=True)
class Incident:
    """The counted state of one incident; `contribution` is None once withdrawn (or if the
    first thing seen of it was its withdrawal, in which case `kind` is None too)."""

    revision: int
    event_id: str
    kind: str | None
    contribution: Contribution | None
    offset: int


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
    """Decide what an event at input `offset` does to its incident and to the aggregates."""
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


def apply_delta(cell: Cell | None, delta: Figures, offset: int) -> Cell | None:
    """The cell after `delta` from input `offset`, or None if that offset was applied already."""
    if cell is None:
        return Cell(delta, offset)
    if cell.offset >= offset:
        return None
    return Cell(cell.figures + delta, offset)


def revision_of(event: Event, wijk: str) -> Revision:
    """Reduce a validated event to what counting needs; `wijk` is where it counts (a camera
    incident's is its camera's)."""
    data = event.data
    if isinstance(data, Withdrawal):
        return Revision(event.id, data.revision, None, None)
    amount = data.amount_cents if isinstance(data, DamageItem) else 0
    fireworks = amount if isinstance(data, DamageItem) and data.illegal_fireworks else 0
    contribution = Contribution(
        kind=data.kind,
        category=data.category,
        wijk=wijk,
        periods=event.periods(),
        amount_cents=amount,
        illegal_fireworks_cents=fireworks,
    )
    return Revision(event.id, data.revision, data.kind, contribution)
