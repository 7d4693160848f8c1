"""The store's port: what the service reads and writes, whatever the database behind it
(`storage.repository.SqlTotalsRepository`; tests have one over plain dicts)."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from storage.rows import CaseRow, Closing, IncidentRow, Quarantined, TotalRow, YearCell

GROUPS = ("kind", "category", "wijk")
# `housing` too, for woonoverlast cases: asked for by name, summed over otherwise.
ALL_GROUPS = (*GROUPS, "housing")


class TotalsRepository(abc.ABC):
    @abc.abstractmethod
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
        """Totals of one year, summed over partitions, grouped by a subset of ALL_GROUPS: of
        the incidents, or with `cases` of the woonoverlast cases' cells (CASE_CELL_KINDS),
        never the two summed together."""

    @abc.abstractmethod
    def upsert(
        self,
        cells: Sequence[YearCell] = (),
        incidents: Sequence[IncidentRow] = (),
        cases: Sequence[CaseRow] = (),
    ) -> None:
        """Cells, incidents and cases in one transaction, each keeping its highest-offset
        value (a redelivered older value changes nothing)."""

    @abc.abstractmethod
    def case_states(self) -> list[str]:
        """The state of every stored woonoverlast case, to recompute its cells by."""

    @abc.abstractmethod
    def incident_totals(self, *, year: int) -> list[TotalRow]:
        """A year's totals recomputed from the incident rows, per kind, category and wijk."""

    @abc.abstractmethod
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
        """A closed year's totals as published (empty for an open year)."""

    @abc.abstractmethod
    def closing(self, year: int) -> Closing | None:
        """When `year` was closed, or None while it is open."""

    @abc.abstractmethod
    def close_year(self, year: int, by: str) -> Closing:
        """Freeze the year's current totals as published; YearClosed if it was already."""

    @abc.abstractmethod
    def purge_incidents(self, *, before: int) -> list[int]:
        """Delete the incident rows of every year before `before`, all of which must be closed
        (NotClosed names the first that is not), and keep rows of those years out from then
        on; the totals stay. The years purged, ascending."""

    @abc.abstractmethod
    def years(self) -> list[int]:
        """Every year that has a non-zero total, ascending."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StorageError unless the store answers."""

    @abc.abstractmethod
    def quarantine(self, rows: Sequence[Quarantined]) -> int:
        """Set aside rows the store refused; how many were new (a record redelivered after a
        crash is kept once, by topic, partition and offset)."""

    @abc.abstractmethod
    def quarantined(self) -> int:
        """How many changelog records are set aside."""

    @abc.abstractmethod
    def clear_aggregates(self) -> int:
        """Delete every materialised aggregate and incident row, and the records set aside
        (derived data of a changelog that a replay recreates, its offsets starting at 0
        again); return how many rows went. Closed years and their published totals stay."""
