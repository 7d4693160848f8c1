"""Counts over time, for the operations view's trends: the periods a series spans, and the
rule that marks a week as far above its usual level. Pure: no clock, no I/O."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DAYS = 56  # the day series: the last eight weeks
USUAL_WEEKS = 8  # a week is compared with the eight before it
SPREAD = 2.0  # ... and marked above their mean plus twice their standard deviation
MINIMUM = 3  # never for fewer incidents than this: 0, 0, 0, 1 is no spike
RULE = (
    f"A week is marked when its count is above the mean plus {SPREAD:g} standard deviations "
    f"of the {USUAL_WEEKS} weeks before it, and at least {MINIMUM}."
)


def day_periods(until: date, days: int = DAYS) -> list[str]:
    """The `days` days up to and including `until`, oldest first, as period labels."""
    return [(until - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def week_periods(year: int) -> list[str]:
    """Every ISO week of an ISO year (52 or 53), as period labels."""
    weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
    return [f"{year:04d}-W{week:02d}" for week in range(1, weeks + 1)]


def weeks_before(period: str, count: int = USUAL_WEEKS) -> list[str]:
    """The `count` ISO weeks before week `period` (2022-W03), oldest first; across years."""
    year, week = int(period[:4]), int(period[6:])
    monday = date.fromisocalendar(year, week, 1)
    found = []
    for n in range(count, 0, -1):
        iso = (monday - timedelta(weeks=n)).isocalendar()
        found.append(f"{iso.year:04d}-W{iso.week:02d}")
    return found


@dataclass(frozen=True, slots=True)
class Usual:
    """A count's usual level: the mean and standard deviation of the weeks before it."""

    mean: float
    deviation: float

    @property
    def threshold(self) -> float:
        return self.mean + SPREAD * self.deviation

    def marks(self, count: int) -> bool:
        """Whether `count` is far above this level (RULE)."""
        return count >= MINIMUM and count > self.threshold


def usual(previous: Sequence[int]) -> Usual:
    """The usual level of the weeks before (population standard deviation: these weeks are
    all there is, not a sample of more)."""
    if not previous:
        return Usual(0.0, 0.0)
    return Usual(statistics.fmean(previous), statistics.pstdev(previous))
