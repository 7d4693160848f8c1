"""The report's section 5.1, safety in the home (`HomeSafety`): woonoverlast cases registered,
closed and open at the year's end, open cases per housing type and the wijk with the most;
domestic violence registered and temporary restraining orders imposed, year against year.

The report is the controller's: it is run with the store's own credentials, as an operator, so
its figures are not suppressed (the API suppresses small numbers for readers)."""

from __future__ import annotations

from dataclasses import dataclass

from events.kinds import DOMESTIC, RESTRAINING
from events.registry import Registries
from service.domain.cases import YearEnd
from service.read.cases import case_years, total
from service.read.yearly import year_totals
from service.report.measures import Measure, measure
from storage.repository import TotalsRepository


@dataclass(frozen=True, slots=True)
class Housing:
    housing: str
    name: str
    open: Measure  # of the year's cases, open on 31 December


@dataclass(frozen=True, slots=True)
class WijkCases:
    wijk: str
    name: str
    open: int


@dataclass(frozen=True, slots=True)
class HomeSafety:
    registered: Measure
    closed: Measure
    open: Measure
    stock: Measure  # every case open on 31 December, whatever its year
    by_housing: tuple[Housing, ...]
    most_open: WijkCases | None  # the wijk with the most of the year's cases open at its end
    domestic_violence: Measure
    restraining_orders: Measure


def build_home(
    repository: TotalsRepository, registries: Registries, year: int, base: int | None
) -> HomeSafety:
    def cases(when: int | None, *groups: str) -> dict[str | None, YearEnd]:
        if when is None:
            return {}
        rows = case_years(repository, when, groups)
        key = groups[0] if groups else None
        found = {getattr(r, key) if key else None: r.figures for r in rows}
        return found if groups else {None: total(rows)}

    now, then = cases(year, *()), cases(base, *())
    zero = YearEnd(0, 0, 0, 0)
    whole, before = now.get(None, zero), then.get(None, zero) if base is not None else None

    def of(field: str) -> Measure:
        return measure(getattr(whole, field), None if before is None else getattr(before, field))

    housing_now, housing_then = cases(year, "housing"), cases(base, "housing")
    by_housing = tuple(
        Housing(
            h.code,
            h.name,
            measure(
                housing_now.get(h.code, zero).open,
                None if base is None else housing_then.get(h.code, zero).open,
            ),
        )
        for h in registries.housing
    )
    per_wijk = cases(year, "wijk")
    names = {w.code: w.name for w in registries.wijken}
    ranked = sorted(
        ((f.open, code or "") for code, f in per_wijk.items() if f.open),
        key=lambda t: (-t[0], t[1]),
    )
    most_open = (
        WijkCases(ranked[0][1], names.get(ranked[0][1], ranked[0][1]), ranked[0][0])
        if ranked
        else None
    )
    return HomeSafety(
        registered=of("registered"),
        closed=of("closed"),
        open=of("open"),
        stock=of("stock"),
        by_housing=by_housing,
        most_open=most_open,
        domestic_violence=_count(repository, DOMESTIC, year, base),
        restraining_orders=_count(repository, RESTRAINING, year, base),
    )


def _count(repository: TotalsRepository, kind: str, year: int, base: int | None) -> Measure:
    def of(when: int) -> int:
        return year_totals(repository, when, ("kind",), kind=kind).total(kind=kind).count

    return measure(of(year), None if base is None else of(base))
