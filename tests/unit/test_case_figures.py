"""A year's woonoverlast figures as the store gives them (service/read/cases.py): registered,
closed and open at the year's end of that year's cases, and the stock of every open case, per
wijk, housing type and category; a closed year keeps its published figures."""

from __future__ import annotations

from datetime import datetime

from events.periods import LOCAL
from service.domain.cases import Case, Opening, Status, YearEnd, apply_change, cell_deltas
from service.read.cases import case_years, total
from storage.repository import YearCell
from tests.unit.fakes import InMemoryTotals


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def case(name: str, registered: str, wijk: str, housing: str, *statuses: tuple[str, str]) -> Case:
    state: Case | None = None
    _, state = apply_change(state, Opening(f"{name}-o", 1, at(registered), wijk, housing, "geluid"))
    for n, (moment, statustype) in enumerate(statuses):
        final = statustype == "afgerond"
        status = Status(f"{name}-{n}", 1, f"{n}", at(moment), statustype, final, None)
        _, state = apply_change(state, status)
    assert state is not None
    return state


def stored(*cases: Case) -> InMemoryTotals:
    """The store after the materialiser wrote the cases' year cells (one partition)."""
    store = InMemoryTotals()
    totals: dict[tuple[str, str, str, str, int], int] = {}
    for one in cases:
        for where, delta in cell_deltas(None, one).items():
            if where.scope == "year":
                key = (where.kind, where.category, where.wijk, where.housing, int(where.period))
                totals[key] = totals.get(key, 0) + delta.count
    store.upsert(
        cells=[
            YearCell(0, kind, category, wijk, year, count, 0, 0, 1, housing)
            for (kind, category, wijk, housing, year), count in totals.items()
        ]
    )
    return store


CASES = (
    case(
        "A", "2021-11-15T10:00", "seghwaert", "particuliere-huur", ("2022-02-01T10:00", "afgerond")
    ),
    case(
        "B",
        "2022-03-01T10:00",
        "buytenwegh-de-leyens",
        "corporatie",
        ("2022-06-01T10:00", "afgerond"),
        ("2022-09-01T10:00", "heropend"),
    ),
    case("C", "2022-04-01T10:00", "dorp", "koop", ("2022-05-01T10:00", "afgerond")),
)


def test_a_year_of_cases_per_housing_type_and_in_all() -> None:
    store = stored(*CASES)
    rows = case_years(store, 2022, group_by=["housing"])
    assert [(r.housing, r.figures) for r in rows] == [
        ("corporatie", YearEnd(registered=1, closed=0, open=1, stock=1)),
        ("koop", YearEnd(registered=1, closed=1, open=0, stock=0)),
    ]
    assert total(rows) == YearEnd(2, 1, 1, 1)
    assert total(case_years(store, 2021, group_by=[])) == YearEnd(1, 0, 1, 1)
    by_wijk = case_years(store, 2022, group_by=["wijk"], housing="corporatie")
    assert [(r.wijk, r.figures.open) for r in by_wijk] == [("buytenwegh-de-leyens", 1)]


def test_a_closed_year_keeps_its_published_figures() -> None:
    store = stored(*CASES)
    store.close_year(2022, "controller")
    late = stored(*CASES, case("D", "2022-12-30T10:00", "dorp", "koop"))
    store.cells = late.cells  # a case registered late in 2022 arrives after the closing
    assert total(case_years(store, 2022, group_by=[])) == YearEnd(2, 1, 1, 1)
    assert total(case_years(store, 2023, group_by=[])).stock == 2  # B, and D since
