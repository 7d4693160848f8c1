"""Reporting periods: the local (Europe/Amsterdam) year, month, ISO week and day of a moment."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")
Scope = Literal["year", "month", "week", "day"]
SCOPES: tuple[Scope, ...] = ("year", "month", "week", "day")
# The label of each scope's periods, as the API takes and shows them.
# [0-9], not \d: Python's \d takes every Unicode digit.
PERIOD_PATTERNS: dict[str, str] = {
    "year": r"[0-9]{4}",
    "month": r"[0-9]{4}-(0[1-9]|1[0-2])",
    "week": r"[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])",
    "day": r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
}
# A period of any scope (a JSON Schema pattern: anchored, as JSON Schema patterns are not).
ANY_PERIOD_PATTERN = "^(" + "|".join(f"(?:{p})" for p in PERIOD_PATTERNS.values()) + ")$"
PERIOD_EXAMPLES = {"year": "2022", "month": "2022-12", "week": "2022-W52", "day": "2022-12-31"}


class Periods(NamedTuple):
    """The period labels of one moment, in the forms the API takes: 2022, 2022-12, 2022-W52,
    2022-12-31. `year` may differ from the calendar year of `day` (New Year damage).
    A named tuple: it is part of cache keys, and hashing one is cheap."""

    year: int
    month: str
    week: str
    day: str

    def label(self, scope: str) -> str:
        if scope == "year":
            return str(self.year)
        value: str = getattr(self, scope)
        return value


def periods_of(moment: datetime, *, year: int | None = None) -> Periods:
    """Periods of an aware moment in local time; `year` overrides the reporting year."""
    if moment.tzinfo is None:
        raise ValueError("moment must carry a UTC offset")
    return _periods_of_day(moment.astimezone(LOCAL).date(), year)


def periods_of_day(day: date) -> Periods:
    """Periods of a local day."""
    return _periods_of_day(day, None)


# Every label follows from the local date alone, and events cluster on few dates: the worker
# computes each date's labels once instead of once per event.
@lru_cache(maxsize=4096)
def _periods_of_day(day: date, year: int | None) -> Periods:
    iso = day.isocalendar()
    return Periods(
        year=day.year if year is None else year,
        month=f"{day.year:04d}-{day.month:02d}",
        week=f"{iso.year:04d}-W{iso.week:02d}",
        day=day.isoformat(),
    )


def check_period(scope: str, label: str) -> str:
    """`label` if it is a period of `scope` in the API's form; ValueError saying the form if not."""
    if scope not in PERIOD_PATTERNS:
        raise ValueError(f"{scope!r} is not a scope; use one of {', '.join(SCOPES)}")
    if not re.fullmatch(PERIOD_PATTERNS[scope], label):
        raise ValueError(f"{label!r} is not a {scope} like {PERIOD_EXAMPLES[scope]}")
    return label


def current_period(scope: str, now: datetime | None = None) -> str:
    """The period of `scope` that holds now, in local time."""
    return periods_of(now or datetime.now(LOCAL)).label(scope)


def last_day(scope: str, period: str) -> date:
    """The last local day of a period in the API's form (2022, 2022-12, 2022-W52, 2022-12-31)."""
    if scope == "day":
        return date.fromisoformat(period)
    if scope == "week":
        return date.fromisocalendar(int(period[:4]), int(period[6:]), 7)
    if scope == "month":
        year, month = int(period[:4]), int(period[5:])
        return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return date(int(period), 12, 31)
