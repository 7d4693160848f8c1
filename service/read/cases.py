"""Woonoverlast cases as the controller reads them, per year from the store: of the year's
cases, how many were registered, closed and still open on 31 December, and every case open
then (the stock), per wijk, housing type and category (service/domain/cases.py says how they
follow from the cells). A closed year gives its published figures, like the incidents'.

The API, `wijkwacht report` and the dashboard all go through here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.domain.cases import Case, YearEnd, cell_deltas, year_end
from service.kafka.changelog import decode_state
from storage.repository import ALL_GROUPS, TotalRow, TotalsRepository

CASE_GROUPS = ("wijk", "housing", "category")
CaseKey = tuple[str | None, str | None, str | None]  # wijk, housing, category (None: summed)


@dataclass(frozen=True, slots=True)
class CaseRow:
    key: CaseKey
    figures: YearEnd

    @property
    def wijk(self) -> str | None:
        return self.key[0]

    @property
    def housing(self) -> str | None:
        return self.key[1]

    @property
    def category(self) -> str | None:
        return self.key[2]


def case_years(
    repository: TotalsRepository,
    year: int,
    group_by: Sequence[str] = CASE_GROUPS,
    wijk: str | None = None,
    housing: str | None = None,
    category: str | None = None,
) -> list[CaseRow]:
    """`year`'s case figures per group of `group_by` (any of CASE_GROUPS), in order. The stock
    needs every year before it: for an open year as they stand, for a closed one as they were
    published (a case that arrived after the closing is an adjustment of its year, and counts
    in the stock of the years still open)."""
    groups = set(group_by)
    years = sorted({y for y in repository.years() if y <= year} | {year})
    closed = repository.closing(year) is not None
    counts: dict[CaseKey, Counter[tuple[str, int]]] = {}
    for when in years:
        for row in _rows(repository, when, published=closed):
            if (
                (wijk is not None and row.wijk != wijk)
                or (housing is not None and row.housing != housing)
                or (category is not None and row.category != category)
            ):
                continue
            key: CaseKey = (
                row.wijk if "wijk" in groups else None,
                row.housing if "housing" in groups else None,
                row.category if "category" in groups else None,
            )
            counts.setdefault(key, Counter())[(str(row.kind), when)] += row.count
    found = [CaseRow(key, year_end(c, year)) for key, c in counts.items()]
    return sorted((r for r in found if any(r.figures)), key=lambda r: [k or "" for k in r.key])


def _rows(repository: TotalsRepository, year: int, published: bool) -> Iterable[TotalRow]:
    """A year's case cells, each kind, wijk, housing type and category: as published if it is
    closed and `published` asks for it (a closed year's figures come from the published cells
    of its own and the closed years before it), else as they stand."""
    closed = published and repository.closing(year) is not None
    read = repository.published_totals if closed else repository.totals
    return read(year=year, group_by=ALL_GROUPS, cases=True)


def total(rows: Iterable[CaseRow]) -> YearEnd:
    """The sum of case rows (of one selection: no case in two of them)."""
    sums = [sum(column) for column in zip(*(r.figures for r in rows), strict=True)]
    return YearEnd(*sums) if sums else YearEnd(0, 0, 0, 0)


def recounted(states: Iterable[str], year: int) -> list[TotalRow]:
    """`year`'s case cells recomputed from the stored cases (`wijkwacht reconcile`), per kind,
    category, wijk and housing type."""
    found: Counter[tuple[str, str, str, str]] = Counter()
    for state in states:
        case = decode_state(state.encode())
        if not isinstance(case, Case):
            continue
        for where, delta in cell_deltas(None, case).items():
            if where.scope == "year" and where.period == str(year):
                found[(where.kind, where.category, where.wijk, where.housing)] += delta.count
    return [
        TotalRow(kind, category, wijk, n, 0, 0, housing)
        for (kind, category, wijk, housing), n in sorted(found.items())
        if n
    ]


def case_differences(materialised: Iterable[TotalRow], recomputed: Iterable[TotalRow]) -> list[str]:
    """Every case cell whose materialised count differs from the recount, one line each."""

    def counts(rows: Iterable[TotalRow]) -> dict[tuple[str, ...], int]:
        return {
            (r.kind or "", r.category or "", r.wijk or "", r.housing or ""): r.count for r in rows
        }

    have, want = counts(materialised), counts(recomputed)
    return [
        f"{'/'.join(key)}: totals count {have.get(key, 0)}; cases count {want.get(key, 0)}"
        for key in sorted(set(have) | set(want))
        if have.get(key, 0) != want.get(key, 0)
    ]
