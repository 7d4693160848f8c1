"""The rules of woonoverlast cases (zaken) as pure functions over plain data: what a case's
events make of it, and what the case contributes to the aggregates. No clock, no I/O.

A case is more than one event. Its opening (the zaak: when it was registered, its wijk,
housing type and category) may be revised or withdrawn like an incident; its statuses (ZGW's
Status: a statustype set at a moment, the final one with a resultaat) arrive as events of
their own, each identified by its `status_id` and revisable by itself. Events of one case may
come in any order, and more than once: the case is the set of the highest revisions it has
seen, so its contribution depends on that set alone, never on the order (docs/design.md,
"Cases").

What a case contributes is flow, per local day: registered (+1 on the day it was registered),
closed (+1 on each day a final status closes it), reopened (+1 on each day a later status
opens it again). Stock follows from flow: the cases open at the end of a day are those
registered up to that day, less those closed, plus those reopened. Every cell also carries
the case's cohort, the year it was registered in, so that the annual report can say what
became of one year's cases at the year's end.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple

from events.kinds import CASE, CASE_CLOSED, CASE_REOPENED, OWN_YEAR
from events.periods import LOCAL, SCOPES, periods_of_day
from service.domain.counting import CellKey, Outcome
from service.domain.figures import ZERO, Figures


class Measure(enum.StrEnum):
    REGISTERED = "registered"
    CLOSED = "closed"
    REOPENED = "reopened"


# What each measure does to the stock of open cases.
STOCK_SIGN = {Measure.REGISTERED: 1, Measure.CLOSED: -1, Measure.REOPENED: 1}
# The kind of the aggregate cells each measure counts in (events/kinds.py); a closing or
# reopening counts once more under OWN_YEAR when the case was registered in the year of the
# change: the annual report's "of this year's cases, closed at its end".
MEASURE_KINDS = {
    Measure.REGISTERED: CASE,
    Measure.CLOSED: CASE_CLOSED,
    Measure.REOPENED: CASE_REOPENED,
}
CLOSED_OWN_YEAR = CASE_CLOSED + OWN_YEAR
REOPENED_OWN_YEAR = CASE_REOPENED + OWN_YEAR


class CaseCell(NamedTuple):
    """Where a case's change counts: the measure, the case's cohort (registration year), its
    wijk, housing type and category, and the local day."""

    measure: Measure
    cohort: int
    wijk: str
    housing: str
    category: str
    day: date


@dataclass(frozen=True, slots=True)
class Opening:
    """The zaak itself, at one revision."""

    event_id: str
    revision: int
    registered_at: datetime
    wijk: str
    housing: str
    category: str


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """The case withdrawn (intrekking): it counts nowhere, unless a higher revision of its
    opening follows."""

    event_id: str
    revision: int


@dataclass(frozen=True, slots=True)
class Status:
    """A status set on the case, at one revision of that status. `final`: its statustype
    closes the case (ZGW's eindstatus); every other statustype leaves it, or makes it, open."""

    event_id: str
    revision: int
    status_id: str
    set_at: datetime
    statustype: str
    final: bool
    result: str | None = None


Change = Opening | Withdrawal | Status


@dataclass(frozen=True, slots=True)
class Case:
    """What is known of one case: the highest revision of its zaak (an opening or a
    withdrawal), and of each of its statuses. Statuses that come before the opening are held
    here until it arrives."""

    zaak: Opening | Withdrawal | None = None
    statuses: dict[str, Status] = field(default_factory=dict)
    offset: int = -1  # in the case's lane: of the last record that changed it (as an Incident)

    @property
    def opening(self) -> Opening | None:
        """The opening that counts: None while it has not arrived or the case is withdrawn."""
        return self.zaak if isinstance(self.zaak, Opening) else None


def apply_change(case: Case | None, change: Change) -> tuple[Outcome, Case | None]:
    """What `change` makes of `case`: the outcome, and the case to keep (None: unchanged).
    A status of a case whose opening has not come yet is HELD: kept, and counted once the
    opening arrives."""
    case = case or Case()
    if isinstance(change, Status):
        before = case.statuses.get(change.status_id)
        refused = _refusal(before, change)
        if refused is not None:
            return refused, None
        statuses = {**case.statuses, change.status_id: change}
        outcome = Outcome.COUNTED if case.opening is not None else Outcome.HELD
        return outcome, replace(case, statuses=statuses)
    refused = _refusal(case.zaak, change)
    if refused is not None:
        return refused, None
    outcome = Outcome.WITHDRAWN if isinstance(change, Withdrawal) else Outcome.COUNTED
    return outcome, replace(case, zaak=change)


def _refusal(before: Change | None, change: Change) -> Outcome | None:
    """The rules of revisions (docs/contract.md §4), for a zaak or one status."""
    if before is None:
        return None
    if change.event_id == before.event_id:
        return Outcome.DUPLICATE
    if change.revision == before.revision:
        return Outcome.CONFLICT_REVISION
    if change.revision < before.revision:
        return Outcome.STALE
    return None


def contribution(case: Case | None) -> Counter[CaseCell]:
    """Per cell, what the case adds: nothing until its opening is known or once withdrawn.
    A status set before the registration (a clock off, or a status entered late with an
    earlier date) counts from the registration on."""
    opening = case.opening if case is not None else None
    if case is None or opening is None:
        return Counter()
    start = opening.registered_at
    cohort = _local_day(start).year

    def cell(measure: Measure, moment: datetime) -> CaseCell:
        day = _local_day(moment)
        return CaseCell(measure, cohort, opening.wijk, opening.housing, opening.category, day)

    cells: Counter[CaseCell] = Counter({cell(Measure.REGISTERED, start): 1})
    is_open = True
    for moment, status in timeline(start, case.statuses.values()):
        if status.final and is_open:
            cells[cell(Measure.CLOSED, moment)] += 1
            is_open = False
        elif not status.final and not is_open:
            cells[cell(Measure.REOPENED, moment)] += 1
            is_open = True
    return cells


def timeline(start: datetime, statuses: Iterable[Status]) -> list[tuple[datetime, Status]]:
    """The statuses in the order they took effect: by moment (never before `start`), then
    by status id, so that two statuses set at one moment have one order everywhere."""
    found = [(max(s.set_at, start), s) for s in statuses]
    return sorted(found, key=lambda pair: (pair[0], pair[1].status_id))


def deltas(before: Case | None, after: Case | None) -> dict[CaseCell, int]:
    """Per cell, what replacing `before` by `after` changes; cells that net to zero left out."""
    change = contribution(after)
    change.subtract(contribution(before))
    return {cell: n for cell, n in change.items() if n}


def cell_deltas(before: Case | None, after: Case | None) -> dict[CellKey, Figures]:
    """`deltas` in the aggregate cells of every scope (docs/design.md, "Cases")."""
    found: dict[CellKey, Figures] = {}
    for cell, n in deltas(before, after).items():
        periods = periods_of_day(cell.day)
        kind = MEASURE_KINDS[cell.measure]
        kinds = [kind]
        if cell.measure is not Measure.REGISTERED and cell.day.year == cell.cohort:
            kinds.append(kind + OWN_YEAR)
        for counted in kinds:
            for scope in SCOPES:
                where = CellKey(
                    counted, cell.category, cell.wijk, scope, periods.label(scope), cell.housing
                )
                found[where] = found.get(where, ZERO) + Figures(n, 0, 0)
    return {where: delta for where, delta in found.items() if delta}


def is_open(case: Case | None) -> bool:
    """Whether the case is open now, after every status it has."""
    cells = contribution(case)
    return sum(STOCK_SIGN[cell.measure] * n for cell, n in cells.items()) > 0


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


class YearEnd(NamedTuple):
    """A year's cases at its end, as the annual report gives them: of the cases registered
    in the year, how many were closed and how many open on 31 December; and the stock, every
    case open on 31 December whatever its year."""

    registered: int
    closed: int
    open: int
    stock: int


# What each kind of case cell does to the stock of open cases.
STOCK_OF_KIND = {MEASURE_KINDS[m]: sign for m, sign in STOCK_SIGN.items()}


def year_end(counts: Mapping[tuple[str, int], int], year: int) -> YearEnd:
    """`year`'s figures from the yearly counts of one group of cases (or of all), per case
    kind and year (`(kind, year) → count`). A case of the year closed and reopened within it
    counts as open, as it is."""
    registered = counts.get((CASE, year), 0)
    closed = counts.get((CLOSED_OWN_YEAR, year), 0) - counts.get((REOPENED_OWN_YEAR, year), 0)
    stock = sum(
        STOCK_OF_KIND[kind] * n
        for (kind, when), n in counts.items()
        if when <= year and kind in STOCK_OF_KIND
    )
    return YearEnd(registered, closed, registered - closed, stock)
