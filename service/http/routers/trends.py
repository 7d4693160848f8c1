"""GET /v1/series: one kind's counts over time, for the operations view's trends, in one
request: per day over the last eight weeks and per ISO week this year against last year from
the live aggregates, per year from the store. Weeks far above the eight before them are marked
(service/domain/trends.py says the rule)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from events.kinds import SENSITIVE
from events.periods import LOCAL
from service.domain.figures import Figures
from service.domain.trends import DAYS, RULE, day_periods, usual, week_periods, weeks_before
from service.http.auth import OPERATOR, READER, Caller, requires
from service.http.deps import CategoryFilter, Kind, Parts, SettingsDep, WijkFilter
from service.http.openapi import READERS
from service.http.problems import (
    BAD_QUERY,
    FORBIDDEN_ROLE,
    STORE_DOWN,
    UNAUTHORIZED,
    Problem,
    answers,
)
from service.http.schemas import PointOut, SeriesOut, TrendsOut
from service.read.live import Aggregates
from service.read.yearly import year_totals
from storage.errors import StorageError
from storage.repository import TotalsRepository

router = APIRouter(tags=["live"])
READ = Depends(requires(READER))
SeriesScope = Literal["day", "week", "year"]


def point(period: str, figures: Figures, marked: bool = False) -> PointOut:
    return PointOut(
        period=period,
        count=figures.count,
        amount_cents=figures.amount_cents,
        illegal_fireworks_cents=figures.illegal_fireworks_cents,
        marked=marked,
    )


@router.get(
    "/v1/series",
    summary="One kind's counts per day, week or year, for trends (readers)",
    description="`day`: the 56 days up to `until`. `week`: every ISO week of last year and "
    "of this year up to `until`'s week, a series each, weeks far above the eight before them "
    "marked. `year`: every year in the store (published figures for closed years). Day and "
    "week come from the stream processors, live; year from the store.",
    response_model=TrendsOut,
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE, STORE_DOWN),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
async def get_series(
    parts: Parts,
    settings: SettingsDep,
    caller: Annotated[Caller, READ],
    kind: Annotated[Kind, Query(description="the kind of incident")],
    scope: Annotated[SeriesScope, Query(description="the periods of the points")] = "day",
    category: CategoryFilter = None,
    wijk: WijkFilter = None,
    until: Annotated[
        str | None,
        Query(
            description="the last day the series reach, like 2022-12-31; default: today",
            pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        ),
    ] = None,
) -> TrendsOut:
    day = _day(until) if until else datetime.now(LOCAL).date()
    live = parts.live.aggregates
    if scope == "day":
        periods = day_periods(day)
        totals = live.period_totals("day", periods, kind, category, wijk)
        series = [
            SeriesOut(name=f"last {DAYS} days", points=[point(p, totals[p]) for p in periods])
        ]
    elif scope == "week":
        series = _weeks(live, day, kind, category, wijk)
    else:
        series = [_years(parts.repository, kind, category, wijk)]
    if kind in SENSITIVE and OPERATOR not in caller.roles:
        series = [_suppressed(s, settings.open_data_threshold) for s in series]
    return TrendsOut(
        kind=kind,
        scope=scope,
        category=category,
        wijk=wijk,
        until=day.isoformat(),
        series=series,
        rule=RULE,
    )


def _suppressed(series: SeriesOut, threshold: int) -> SeriesOut:
    """A sensitive kind's series as a reader may see it: small counts shown as 0, and said so
    (nor is a week marked on a count the reader cannot see)."""
    points = [
        p.model_copy(update={"count": 0, "marked": False, "suppressed": True})
        if 0 < p.count < threshold
        else p
        for p in series.points
    ]
    return series.model_copy(update={"points": points})


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Problem(400, "Bad Request", f"until: {text!r} is not a day") from None


def _weeks(
    live: Aggregates, day: date, kind: str, category: str | None, wijk: str | None
) -> list[SeriesOut]:
    """Last year's weeks and this year's up to `day`'s, each marked against the eight before
    it (across the turn of the year)."""
    iso = day.isocalendar()
    this_week = f"{iso.year:04d}-W{iso.week:02d}"
    series = []
    for year in (iso.year - 1, iso.year):
        periods = [p for p in week_periods(year) if p <= this_week]
        totals = live.period_totals(
            "week", weeks_before(periods[0]) + periods, kind, category, wijk
        )
        points = []
        for period in periods:
            before = [totals[p].count for p in weeks_before(period)]
            points.append(point(period, totals[period], usual(before).marks(totals[period].count)))
        series.append(SeriesOut(name=str(year), points=points))
    return series


def _years(
    repository: TotalsRepository, kind: str, category: str | None, wijk: str | None
) -> SeriesOut:
    try:
        points = [
            point(str(year), year_totals(repository, year, [], kind, category, wijk).total())
            for year in sorted(repository.years())
        ]
    except StorageError as exc:
        raise Problem(503, "Service Unavailable", "the store is unavailable") from exc
    return SeriesOut(name="years", points=points)
