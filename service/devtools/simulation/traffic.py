"""The incidents each field system reports in a year, with a realistic rhythm and mix."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT
from events.periods import LOCAL
from events.registry import Camera, Registries
from service.devtools.simulation.figures import YearFigures
from service.devtools.simulation.messages import stamp

_HOURS = range(24)


@dataclass(slots=True)
class Draft:
    """One incident as planned: its payload without revision, and when it was recorded."""

    data: dict[str, Any]
    recorded: datetime

    @property
    def occurred(self) -> datetime:
        """When the incident happened, or (unknown) two days before it was recorded."""
        if "occurred_at" in self.data:
            return datetime.fromisoformat(self.data["occurred_at"])
        return self.recorded - timedelta(days=2)


# Draws one more incident like the planned ones: an extra incident that is withdrawn later.
Extra = Callable[[random.Random], Draft]
# Plans a kind's incidents of one year from the kind's own random stream.
Planner = Callable[[random.Random, Registries, YearFigures], tuple[list[Draft], Extra]]


def _local(day: date, hour: int, rnd: random.Random) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, rnd.randrange(60), rnd.randrange(60), tzinfo=LOCAL
    )


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def _weighted(codes: Sequence[str], weights: Mapping[str, float], default: float) -> list[float]:
    return [weights.get(code, default) for code in codes]


# --- enforcement reports --------------------------------------------------------------------

# Monday … Sunday: the team works fewer shifts at the weekend, least on Sunday.
_WEEKDAY = (1.08, 1.12, 1.10, 1.10, 1.04, 0.80, 0.58)
_DAY_HOURS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.2, 1.4, 1.5, 1.5,
    1.4, 1.4, 1.5, 1.5, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.5, 0.3,
)  # fmt: skip
_REPORT_CATEGORIES = {
    "afval": 22, "parkeren": 19, "fietsen": 8, "jeugdoverlast": 10, "woonoverlast": 6,
    "geluidsoverlast": 8, "horeca": 4, "evenementen": 3, "flora-fauna": 4, "ondermijning": 2,
    "scholen": 4, "overig": 10,
}  # fmt: skip
_SUMMER_CATEGORIES = {"jeugdoverlast", "geluidsoverlast", "evenementen", "horeca"}
_WIJKEN = {
    "buytenwegh-de-leyens": 12, "dorp": 5, "driemanspolder": 6, "meerzicht": 11, "noordhove": 7,
    "oosterheem": 13, "palenstein": 8, "rokkeveen": 10, "seghwaert": 10, "stadshart": 12,
    "bedrijventerreinen": 6,
}  # fmt: skip
_TEAMS = {"jeugdoverlast": "jeugdboa", "ondermijning": "ondermijning", "evenementen": "evenementen"}


def _season(day: date) -> float:
    """More reports in summer (peak mid-July) than in winter."""
    return 1.0 + 0.2 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)


def enforcement_reports(
    rnd: random.Random, regs: Registries, figures: YearFigures
) -> tuple[list[Draft], Extra]:
    days = _days(figures.year)
    day_weights = [_WEEKDAY[d.weekday()] * _season(d) for d in days]
    wijken = sorted(regs.wijk_codes())
    wijk_weights = _weighted(wijken, _WIJKEN, 5)
    categories = sorted(regs.category_codes(ENFORCEMENT))
    # Cumulative weights, computed once: `choices` would sum them again on every call.
    by_season = {
        summer: list(
            accumulate(
                _REPORT_CATEGORIES.get(c, 3) * (1.5 if summer and c in _SUMMER_CATEGORIES else 1)
                for c in categories
            )
        )
        for summer in (False, True)
    }
    wijk_cumulative = list(accumulate(wijk_weights))
    hour_cumulative = list(accumulate(_DAY_HOURS))
    teams = regs.team_codes()

    def report(rnd: random.Random, day: date) -> Draft:
        summer = 5 <= day.month <= 9
        category = rnd.choices(categories, cum_weights=by_season[summer])[0]
        occurred = _local(day, rnd.choices(_HOURS, cum_weights=hour_cumulative)[0], rnd)
        data: dict[str, Any] = {
            "occurred_at": stamp(occurred),
            "wijk": rnd.choices(wijken, cum_weights=wijk_cumulative)[0],
            "category": category,
        }
        team = _TEAMS.get(category, "wijkhandhaving")
        if team in teams and rnd.random() < 0.85:
            data["team"] = team
        return Draft(data, occurred + timedelta(minutes=rnd.uniform(2, 180)))

    chosen = sorted(rnd.choices(days, day_weights, k=figures.enforcement_reports))
    drafts = [report(rnd, day) for day in chosen]
    return drafts, lambda r: report(r, r.choices(days, day_weights)[0])


# --- camera incidents -----------------------------------------------------------------------

# Per active camera and day; busiest on Friday and Saturday nights and around New Year.
_CAMERA_RATE = {True: 0.5, False: 0.35}
_NIGHT_WEEKDAY = (0.8, 0.8, 0.85, 0.95, 1.4, 1.7, 1.1)
_NIGHT_HOURS = (
    1.6, 1.4, 1.1, 0.7, 0.3, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
    0.7, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.4, 1.5, 1.6, 1.7,
)  # fmt: skip
_CAMERA_CATEGORIES = {
    "geweld": 12, "vernieling": 22, "overlast": 30, "drugs": 10, "diefstal": 8, "verkeer": 10,
    "overig": 8,
}  # fmt: skip


def camera_incidents(
    rnd: random.Random, regs: Registries, figures: YearFigures
) -> tuple[list[Draft], Extra]:
    slots: list[tuple[Camera, date]] = []
    weights: list[float] = []
    expected = 0.0
    for camera in sorted(regs.cameras, key=lambda c: c.id):
        for day in _days(figures.year):
            if camera.active_on(day):
                new_year = (day.month, day.day) in ((12, 31), (1, 1))
                slots.append((camera, day))
                weights.append(_NIGHT_WEEKDAY[day.weekday()] * (4 if new_year else 1))
                expected += _CAMERA_RATE[camera.fixed]
    categories = sorted(regs.category_codes(CAMERA))
    category_weights = _weighted(categories, _CAMERA_CATEGORIES, 5)

    def incident(rnd: random.Random, camera: Camera, day: date) -> Draft:
        occurred = _local(day, rnd.choices(_HOURS, _NIGHT_HOURS)[0], rnd)
        data: dict[str, Any] = {
            "occurred_at": stamp(occurred),
            "camera": camera.id,
            "category": rnd.choices(categories, category_weights)[0],
        }
        if rnd.random() < 0.5:
            data["wijk"] = camera.wijk
        return Draft(data, occurred + timedelta(minutes=rnd.uniform(1, 30)))

    if not slots:
        return [], lambda r: Draft({}, datetime.now(LOCAL))  # never called: no incidents
    chosen = sorted(rnd.choices(range(len(slots)), weights, k=round(expected)))
    drafts = [incident(rnd, *slots[n]) for n in chosen]
    return drafts, lambda r: incident(r, *r.choices(slots, weights)[0])


# --- New Year damage ------------------------------------------------------------------------

# Shares of the damage; the published three largest stay the largest under any jitter below.
_DAMAGE_CATEGORIES = {
    "verharding": 0.27, "afvalbakken": 0.19, "scholen-kinderopvang": 0.14,
    "straatmeubilair": 0.08, "verkeersborden": 0.07, "openbare-verlichting": 0.06,
    "speelvoorzieningen": 0.06, "groen": 0.04, "gebouwen": 0.05, "overig": 0.04,
}  # fmt: skip
_FIREWORKS_PRONE = {"afvalbakken": 3.0, "verharding": 2.0, "openbare-verlichting": 1.5}
_DAMAGE_WIJKEN = {
    "buytenwegh-de-leyens": 14, "dorp": 4, "driemanspolder": 6, "meerzicht": 10, "noordhove": 7,
    "oosterheem": 16, "palenstein": 9, "rokkeveen": 9, "seghwaert": 12, "stadshart": 8,
    "bedrijventerreinen": 3,
}  # fmt: skip
_AVERAGE_ITEM_CENTS = 48_000


def damage_items(
    rnd: random.Random, regs: Registries, figures: YearFigures
) -> tuple[list[Draft], Extra]:
    year = figures.year
    categories = sorted(regs.category_codes(DAMAGE))
    shares = [_DAMAGE_CATEGORIES.get(c, 0.03) * rnd.uniform(0.9, 1.1) for c in categories]
    budgets = _apportion(figures.damage_cents, shares)
    items = round(figures.damage_cents / (_AVERAGE_ITEM_CENTS * rnd.uniform(0.85, 1.15)))
    amounts: list[tuple[str, int]] = []
    for category, budget, share in zip(categories, budgets, shares, strict=True):
        count = min(budget, max(1, round(items * share / sum(shares))))
        amounts += [(category, cents) for cents in _split(budget, count, rnd)]
    flagged = _fireworks(amounts, figures.illegal_fireworks_cents, rnd)
    wijken = sorted(regs.wijk_codes())
    wijk_weights = _weighted(wijken, _DAMAGE_WIJKEN, 5)

    def item(r: random.Random, category: str, cents: int, illegal: bool | None) -> Draft:
        data: dict[str, Any] = {
            "jaarwisseling": year,
            "wijk": r.choices(wijken, wijk_weights)[0],
            "category": category,
            "amount_cents": cents,
        }
        if illegal is not None:
            data["illegal_fireworks"] = illegal
        occurred = _new_year_moment(year, r)
        if r.random() < 0.05:  # not known when it happened: recorded at the inspection round
            return Draft(data, _local(date(year + 1, 1, r.randint(2, 5)), r.randint(8, 16), r))
        data["occurred_at"] = stamp(occurred)
        return Draft(data, max(occurred, _inspection(year, r)) + timedelta(hours=r.uniform(1, 8)))

    drafts = [item(rnd, c, cents, illegal) for c, cents, illegal in flagged]

    def extra(r: random.Random) -> Draft:
        category = r.choices(categories, shares)[0]
        return item(r, category, r.randint(5_000, 250_000), r.choice([True, False, None]))

    return drafts, extra


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in integers that add up exactly."""
    exact = [total * w / sum(weights) for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _split(total: int, count: int, rnd: random.Random) -> list[int]:
    """`count` positive amounts of skewed size (a few large items, many small) adding up to
    `total`."""
    weights = [rnd.lognormvariate(0, 0.9) for _ in range(count)]
    return [1 + part for part in _apportion(total - count, weights)]


def _fireworks(
    amounts: list[tuple[str, int]], target: int, rnd: random.Random
) -> list[tuple[str, int, bool | None]]:
    """Flag items as caused by illegal fireworks until they add up to exactly `target`: items
    are taken whole in a random order that favours bins and paving, and the item that would
    overshoot is split in two (its illegal part and the rest)."""
    order = sorted(
        range(len(amounts)),
        key=lambda i: rnd.random() ** (1 / _FIREWORKS_PRONE.get(amounts[i][0], 1.0)),
        reverse=True,
    )
    flagged: list[tuple[str, int, bool | None]] = []
    left = target
    for i in order:
        category, cents = amounts[i]
        if left >= cents:
            flagged.append((category, cents, True))
            left -= cents
        elif left > 0:
            flagged += [(category, left, True), (category, cents - left, False)]
            left = 0
        else:
            flagged.append((category, cents, rnd.choices([False, None], [7, 3])[0]))
    rnd.shuffle(flagged)
    return flagged


def _new_year_moment(year: int, rnd: random.Random) -> datetime:
    """When a damage item happened: most on the night of 31 December, some in the weeks
    around it (bins blown up in advance, damage found on New Year's Day)."""
    roll = rnd.random()
    if roll < 0.75:
        eve = datetime(year, 12, 31, 20, tzinfo=LOCAL)
        return eve + timedelta(minutes=min(540.0, rnd.triangular(0, 540, 250)))
    if roll < 0.9:
        return _local(date(year, 12, rnd.randint(max(1, 31 - 14), 30)), rnd.randint(17, 23), rnd)
    return _local(date(year + 1, 1, rnd.randint(1, 6)), rnd.randint(8, 22), rnd)


def _inspection(year: int, rnd: random.Random) -> datetime:
    """The inspection rounds after New Year, when most damage is recorded."""
    return _local(date(year + 1, 1, rnd.randint(1, 4)), rnd.randint(8, 16), rnd)


# Each kind's planner; `simulate` calls them in the order of PLACE_KINDS.
PLANNERS: dict[str, Planner] = {
    ENFORCEMENT: enforcement_reports,
    CAMERA: camera_incidents,
    DAMAGE: damage_items,
}
