"""Section 5.1's traffic, safety in the home: domestic violence registered, restraining orders
imposed, and woonoverlast cases with a life of their own (intake, action, closing, now and then
a reopening), planned so that a year's cases end exactly as the year's figures say."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from events.kinds import DOMESTIC
from events.periods import LOCAL
from events.registry import Registries
from service.devtools.simulation.figures import CaseTargets, YearFigures
from service.devtools.simulation.messages import stamp
from service.devtools.simulation.traffic import _WIJKEN, Draft, Extra, _apportion, _days, _local

# Domestic violence: more in the evening and at the weekend, and around the holidays.
_EVENING = (
    0.8, 0.7, 0.5, 0.3, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6, 0.7,
    0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.5, 1.7, 1.8, 1.7, 1.4, 1.1,
)  # fmt: skip
_WEEKEND = (0.9, 0.9, 0.9, 0.95, 1.1, 1.3, 1.3)
_ORGANISATIONS = {"politie": 80, "veilig-thuis": 15, "wijkteam": 5}
# Woonoverlast: the housing types of the cases closed within their year (the open ones follow
# the targets), and the nuisance.
_CLOSED_HOUSING = {"corporatie": 55, "koop": 25, "particuliere-huur": 20}
_CASE_CATEGORIES = {"geluid": 35, "vervuiling": 25, "intimidatie": 15, "drugs": 10, "overig": 15}
_RESULTS = {"opgelost": 55, "afspraken": 25, "doorverwezen": 15, "niet-opgelost": 5}
_REOPENED = 0.1  # of the cases: closed and opened again within their year


def _office(day: date, rnd: random.Random) -> datetime:
    return _local(day, rnd.randint(8, 16), rnd)


def domestic_violence(
    rnd: random.Random, regs: Registries, figures: YearFigures
) -> tuple[list[Draft], Extra]:
    days = _days(figures.year)
    weights = [_WEEKEND[d.weekday()] * (1.4 if d.month == 12 else 1.0) for d in days]
    wijken = sorted(regs.wijk_codes())
    organisations = sorted(regs.category_codes(DOMESTIC))

    def registration(r: random.Random) -> Draft:
        happened = _local(r.choices(days, weights)[0], r.choices(range(24), _EVENING)[0], r)
        # Registered within hours, and within its year: the year's figure is of registrations.
        last = datetime(figures.year, 12, 31, 23, 30, tzinfo=LOCAL)
        registered = min(happened + timedelta(hours=r.uniform(0.5, 30)), last)
        data = {
            "registered_at": stamp(registered),
            "wijk": r.choices(wijken, [_WIJKEN.get(w, 5) for w in wijken])[0],
            "organisation": r.choices(
                organisations, [_ORGANISATIONS.get(o, 5) for o in organisations]
            )[0],
        }
        return Draft(data, registered + timedelta(minutes=r.uniform(5, 240)))

    drafts = sorted(
        (registration(rnd) for _ in range(figures.domestic_violence)), key=lambda d: d.recorded
    )
    return drafts, registration


def restraining_orders(
    rnd: random.Random, regs: Registries, figures: YearFigures
) -> tuple[list[Draft], Extra]:
    days = [d for d in _days(figures.year) if d.weekday() < 5]  # the mayor decides on weekdays
    wijken = sorted(regs.wijk_codes())

    def order(r: random.Random) -> Draft:
        imposed = _office(r.choice(days), r)
        data = {
            "imposed_at": stamp(imposed),
            "wijk": r.choices(wijken, [_WIJKEN.get(w, 5) for w in wijken])[0],
        }
        return Draft(data, imposed + timedelta(minutes=r.uniform(10, 600)))

    drafts = sorted(
        (order(rnd) for _ in range(figures.restraining_orders)), key=lambda d: d.recorded
    )
    return drafts, order


@dataclass(slots=True)
class CaseDraft:
    """One woonoverlast case as planned: the zaak's data (without revision), and its
    statuses in the order they are set: (statustype, set at, resultaat or None)."""

    data: dict[str, Any]
    registered: datetime
    statuses: list[tuple[str, datetime, str | None]] = field(default_factory=list)


ExtraCase = Callable[[random.Random], CaseDraft]


def woonoverlast_cases(
    rnd: random.Random, regs: Registries, figures: YearFigures, closes_next_year: bool
) -> tuple[list[CaseDraft], ExtraCase]:
    """The year's cases: of them, `targets.open` are open on 31 December (per housing type,
    the most in `targets.most_open_wijk`), and the rest closed by then. An open case is
    closed in the next year when that year is simulated too (so that, by its end, only its
    own cases are open), and stays open otherwise."""
    targets = figures.cases
    year = figures.year
    wijken = sorted(regs.wijk_codes())
    categories = sorted(regs.category_codes("woonoverlast"))
    housing = sorted(_CLOSED_HOUSING)
    results = sorted(_RESULTS)
    end = datetime(year, 12, 31, 17, tzinfo=LOCAL)

    open_places = _open_places(rnd, wijken, targets)
    closed_housing = [
        h
        for h, n in zip(
            housing, _apportion(targets.closed, [_CLOSED_HOUSING[h] for h in housing]), strict=True
        )
        for _ in range(n)
    ]
    plan = [(h, w, True) for h, w in open_places]
    plan += [
        (h, rnd.choices(wijken, [_WIJKEN.get(x, 5) for x in wijken])[0], False)
        for h in closed_housing
    ]
    rnd.shuffle(plan)

    def case(r: random.Random, housing_type: str, wijk: str, stays_open: bool) -> CaseDraft:
        registered = _office(r.choice(_days(year)[:-1]), r)
        data = {
            "registered_at": stamp(registered),
            "wijk": wijk,
            "housing": housing_type,
            "category": r.choices(categories, [_CASE_CATEGORIES.get(c, 5) for c in categories])[0],
        }
        draft = CaseDraft(data, registered)
        left = (end - registered).total_seconds()
        reopened = r.random() < _REOPENED and left > 3 * 86_400
        # The transitions within the year, in order: closings and reopenings alternate, and
        # the case ends the year open or closed as planned.
        changes = 2 if reopened else 0
        changes += 0 if stays_open else 1
        moments = sorted(
            registered + timedelta(seconds=r.uniform(3_600, left)) for _ in range(changes + 1)
        )
        draft.statuses.append(("intake", registered + timedelta(minutes=r.uniform(1, 60)), None))
        draft.statuses.append(("in-behandeling", moments[0], None))
        for n, moment in enumerate(moments[1:]):
            closing = n % 2 == 0
            result = r.choices(results, [_RESULTS[x] for x in results])[0] if closing else None
            draft.statuses.append(("afgerond" if closing else "heropend", moment, result))
        if stays_open and closes_next_year:
            later = end + timedelta(days=r.uniform(3, 300))
            draft.statuses.append(
                ("afgerond", later, r.choices(results, [_RESULTS[x] for x in results])[0])
            )
        return draft

    drafts = [case(rnd, h, w, stays_open) for h, w, stays_open in plan]

    def extra(r: random.Random) -> CaseDraft:
        return case(r, r.choice(housing), r.choice(wijken), r.random() < 0.5)

    return sorted(drafts, key=lambda d: d.registered), extra


def _open_places(
    rnd: random.Random, wijken: list[str], targets: CaseTargets
) -> list[tuple[str, str]]:
    """(housing type, wijk) of each case open at the year's end: exactly the targets per
    housing type, `most_open` of them in `most_open_wijk` and fewer in every other wijk."""
    housing = [h for h, n in sorted(targets.open_by_housing.items()) for _ in range(n)]
    rnd.shuffle(housing)
    places = [targets.most_open_wijk] * targets.most_open
    others = [w for w in wijken if w != targets.most_open_wijk]
    counts = dict.fromkeys(others, 0)
    for _ in range(targets.open - targets.most_open):
        room = [w for w in others if counts[w] < targets.most_open - 1]
        chosen = rnd.choices(room, [_WIJKEN.get(w, 5) for w in room])[0]
        counts[chosen] += 1
        places.append(chosen)
    return list(zip(housing, places, strict=True))
