"""Fakes of the ports the service is built on: real implementations over plain memory, for
unit tests without Kafka or a database. Not mocks: each keeps the semantics of the real one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.exc import DataError, OperationalError

from events.kinds import CASE_CELL_KINDS
from events.models import Event
from service.http.ports import EventSink
from service.kafka.errors import KafkaUnavailable
from service.kafka.writer import Receipt, first_sightings
from service.read.health import Pipeline
from service.read.live import LiveState
from storage.errors import StorageError
from storage.models import AggregateCell, IncidentRecord
from storage.repository import (
    ALL_GROUPS,
    GROUPS,
    CaseRow,
    Closing,
    IncidentRow,
    NotClosed,
    Quarantined,
    TotalRow,
    TotalsRepository,
    YearCell,
    YearClosed,
)


class FakeWriter(EventSink):
    """The event writer over a list: all of a body or, while `available` is False, nothing."""

    def __init__(self) -> None:
        self.written: list[Event] = []
        self.available = True
        self.closed = False

    async def write(self, events: list[Event]) -> Receipt:
        if not self.available:
            raise KafkaUnavailable("Kafka is unavailable")
        self.written += [
            e for e, first in zip(events, first_sightings(events), strict=True) if first
        ]
        return Receipt.of(events)

    async def close(self) -> None:
        self.closed = True


class FakeLive(LiveState):
    """The live view without a changelog: tests apply cells to its aggregates directly and
    say how far behind the processors are and how the pipeline stands."""

    def __init__(self) -> None:
        super().__init__()
        self.caught_up.set()
        self.behind: dict[str, int] = {}
        self.measured = Pipeline(workers=1, materialisers=1, dead_letters=0)

    def lag(self) -> dict[str, Any]:
        return {"events_behind": sum(self.behind.values()), "partitions": dict(self.behind)}

    def pipeline(self) -> Pipeline:
        return replace(self.measured, events_behind=sum(self.behind.values()))


class InMemoryTotals(TotalsRepository):
    """The TotalsRepository port over plain dicts, with the SQL store's semantics."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, str, str, str, int, str], YearCell] = {}
        self.incidents: dict[tuple[str, str], IncidentRow] = {}
        self.cases: dict[tuple[str, str], CaseRow] = {}
        self.published: dict[int, list[TotalRow]] = {}
        self.closings: dict[int, Closing] = {}
        self.set_aside: dict[tuple[str, int, int], Quarantined] = {}

    def upsert(
        self,
        cells: Sequence[YearCell] = (),
        incidents: Sequence[IncidentRow] = (),
        cases: Sequence[CaseRow] = (),
    ) -> None:
        # One transaction: a row PostgreSQL would refuse refuses the whole call.
        for case in cases:
            stored_case = self.cases.get((case.source, case.subject))
            if stored_case is None or stored_case.source_offset < case.source_offset:
                self.cases[(case.source, case.subject)] = case
        for row in (*cells, *incidents):
            reason = postgresql_refusal(row)
            if reason is not None:
                raise DataError("INSERT … ON CONFLICT", None, Exception(reason))
        for cell in cells:
            key = (cell.partition, cell.kind, cell.category, cell.wijk, cell.year, cell.housing)
            if key not in self.cells or self.cells[key].source_offset < cell.source_offset:
                self.cells[key] = cell
        purged = {c.year for c in self.closings.values() if c.incidents_purged_at is not None}
        for incident in incidents:
            if incident.year in purged:
                continue
            ikey = (incident.source, incident.subject)
            stored = self.incidents.get(ikey)
            if stored is None or stored.source_offset < incident.source_offset:
                self.incidents[ikey] = incident

    def quarantine(self, rows: Sequence[Quarantined]) -> int:
        new = {(r.topic, r.partition, r.offset): r for r in rows}.items()
        added = {key: row for key, row in new if key not in self.set_aside}
        self.set_aside.update(added)
        return len(added)

    def quarantined(self) -> int:
        return len(self.set_aside)

    def case_states(self) -> list[str]:
        return [case.state for case in self.cases.values()]

    def totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
        cases: bool = False,
    ) -> list[TotalRow]:
        rows = [
            TotalRow(
                c.kind,
                c.category,
                c.wijk,
                c.count,
                c.amount_cents,
                c.illegal_fireworks_cents,
                c.housing,
            )
            for c in self.cells.values()
            if c.year == year and (c.kind in CASE_CELL_KINDS) == cases
        ]
        return _grouped(rows, group_by, kind=kind, category=category, wijk=wijk)

    def incident_totals(self, *, year: int) -> list[TotalRow]:
        return self.totals(year=year)

    def published_totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
        cases: bool = False,
    ) -> list[TotalRow]:
        rows = [r for r in self.published.get(year, []) if (r.kind in CASE_CELL_KINDS) == cases]
        return _grouped(rows, group_by, kind=kind, category=category, wijk=wijk)

    def closing(self, year: int) -> Closing | None:
        return self.closings.get(year)

    def close_year(self, year: int, by: str) -> Closing:
        if year in self.closings:
            raise YearClosed(f"year {year} is closed already")
        self.closings[year] = Closing(year, datetime(year + 1, 2, 1, 9, 30, tzinfo=UTC), by)
        self.published[year] = [
            *self.totals(year=year, group_by=ALL_GROUPS),
            *self.totals(year=year, group_by=ALL_GROUPS, cases=True),
        ]
        return self.closings[year]

    def purge_incidents(self, *, before: int) -> list[int]:
        held = {i.year for i in self.incidents.values() if i.year is not None}
        held |= {c.year for c in self.cells.values()}
        still_open = sorted(y for y in held if y < before and y not in self.closings)
        if still_open:
            raise NotClosed(f"{still_open[0]} is not closed")
        self.incidents = {
            k: i for k, i in self.incidents.items() if i.year is None or i.year >= before
        }
        now = datetime.now(UTC)
        for year, closing in self.closings.items():
            if year < before and closing.incidents_purged_at is None:
                self.closings[year] = replace(closing, incidents_purged_at=now)
        return sorted(y for y in self.closings if y < before)

    def years(self) -> list[int]:
        counts: dict[int, int] = defaultdict(int)
        for cell in self.cells.values():
            counts[cell.year] += cell.count
        return sorted(year for year, count in counts.items() if count)

    def ping(self) -> None:
        pass

    def clear_aggregates(self) -> int:
        cleared = len(self.cells) + len(self.incidents) + len(self.cases) + len(self.set_aside)
        self.cells.clear()
        self.incidents.clear()
        self.cases.clear()
        self.set_aside.clear()
        return cleared


def postgresql_refusal(row: YearCell | IncidentRow) -> str | None:
    """Why the SQL store's columns on PostgreSQL cannot hold `row` (text longer than its column
    or holding NUL, an integer beyond the column's 32 or 64 bits), or None if they can."""
    table = (AggregateCell if isinstance(row, YearCell) else IncidentRecord).__table__  # type: ignore[attr-defined]
    for column in table.columns:
        value = getattr(row, column.name, None)
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            return f"value too long for type character varying({length})"
        if isinstance(value, str) and "\x00" in value:
            return "PostgreSQL text fields cannot contain NUL (0x00) bytes"
        limit = 2**63 if isinstance(column.type, BigInteger) else 2**31
        integer = isinstance(column.type, Integer) and isinstance(value, int)
        if integer and not -limit <= value < limit:
            return "integer out of range"
    return None


def _grouped(
    rows: Sequence[TotalRow], group_by: Sequence[str], **where: str | None
) -> list[TotalRow]:
    sums: dict[tuple[str | None, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        if any(value is not None and getattr(row, name) != value for name, value in where.items()):
            continue
        key = tuple(getattr(row, g) if g in group_by else None for g in ALL_GROUPS)
        total = sums[key]
        total[0] += row.count
        total[1] += row.amount_cents
        total[2] += row.illegal_fireworks_cents
    return [
        TotalRow(k[0], k[1], k[2], *v, housing=k[3])
        for k, v in sorted(sums.items(), key=lambda item: tuple(x or "" for x in item[0]))
        if v[0]
    ]


class UnreachableTotals(InMemoryTotals):
    """A store that is down: every read, write and ping fails as the SQL store's would."""

    def upsert(
        self,
        cells: Sequence[YearCell] = (),
        incidents: Sequence[IncidentRow] = (),
        cases: Sequence[CaseRow] = (),
    ) -> None:
        raise OperationalError("INSERT … ON CONFLICT", None, Exception("connection refused"))

    def totals(self, **_: Any) -> list[TotalRow]:
        raise StorageError("store unreachable: OperationalError")

    def close_year(self, year: int, by: str) -> Closing:
        raise StorageError("store unreachable: OperationalError")

    def ping(self) -> None:
        raise StorageError("store unreachable: OperationalError")
