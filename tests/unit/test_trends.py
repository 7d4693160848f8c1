"""The trends of the operations view: the periods a series spans, the rule that marks an
unusual week, and GET /v1/series over the live aggregates and the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.counting import Cell, CellKey
from service.domain.figures import Figures
from service.domain.trends import (
    MINIMUM,
    day_periods,
    usual,
    week_periods,
    weeks_before,
)
from storage.repository import YearCell
from tests.unit.test_api import READER, Api, start

DAMAGE, REPORT = "jaarwisselingsschade", "handhavingsmelding"


def test_the_day_series_is_the_eight_weeks_up_to_the_day() -> None:
    days = day_periods(date(2022, 3, 1))
    assert len(days) == 56
    assert days[0] == "2022-01-05" and days[-1] == "2022-03-01"
    assert "2022-02-28" in days and "2022-02-29" not in days


@pytest.mark.parametrize(("year", "weeks"), [(2020, 53), (2021, 52), (2022, 52), (2026, 53)])
def test_a_year_has_the_iso_weeks_it_has(year: int, weeks: int) -> None:
    periods = week_periods(year)
    assert len(periods) == weeks
    assert periods[0] == f"{year}-W01" and periods[-1] == f"{year}-W{weeks}"


def test_the_weeks_before_cross_the_turn_of_the_year() -> None:
    assert weeks_before("2021-W02", 3) == ["2020-W52", "2020-W53", "2021-W01"]
    assert weeks_before("2022-W10") == [f"2022-W{n:02d}" for n in range(2, 10)]


def test_a_week_far_above_the_eight_before_it_is_marked() -> None:
    steady = [10, 12, 11, 9, 10, 11, 12, 9]
    level = usual(steady)
    assert level.threshold == pytest.approx(10.5 + 2 * 1.118, abs=0.01)
    assert not level.marks(12)  # within two standard deviations
    assert level.marks(13)
    assert not usual([0] * 8).marks(MINIMUM - 1)  # 0, 0, …, 2: too few to call it a spike
    assert usual([0] * 8).marks(MINIMUM)


@given(st.lists(st.integers(0, 500), min_size=8, max_size=8), st.integers(0, 1000))
def test_more_is_never_less_unusual_and_the_same_again_is_usual(
    before: list[int], count: int
) -> None:
    level = usual(before)
    if level.marks(count):
        assert level.marks(count + 1)
    assert not level.marks(min(count, level.mean))  # never at or below the usual mean
    assert not usual([before[0]] * 8).marks(before[0])  # a steady level is no spike


def cell(kind: str, scope: str, period: str, count: int, wijk: str = "dorp") -> tuple:
    return CellKey(kind, "afval" if kind == REPORT else "verharding", wijk, scope, period), Cell(
        Figures(count, 100 * count, 0), {"": count}
    )


def fill(api: Api, *cells: tuple) -> None:
    for partition, (where, value) in enumerate(cells):
        api.live.aggregates.apply(partition, where, value)


def series(api: Api, **params: object) -> dict:
    response = api.client.get("/v1/series", params=params, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


def test_days_come_from_the_live_view_with_zero_for_a_quiet_day(tmp_path: Path) -> None:
    api = start(tmp_path)
    fill(
        api,
        cell(REPORT, "day", "2022-12-30", 4),
        cell(REPORT, "day", "2022-12-31", 2),
        cell(REPORT, "day", "2022-12-31", 3, wijk="rokkeveen"),
        cell(DAMAGE, "day", "2022-12-31", 7),  # another kind: not in this series
    )
    body = series(api, kind=REPORT, scope="day", until="2022-12-31")
    points = body["series"][0]["points"]
    assert len(points) == 56 and points[-1]["period"] == "2022-12-31"
    assert [(p["period"], p["count"]) for p in points[-3:]] == [
        ("2022-12-29", 0),
        ("2022-12-30", 4),
        ("2022-12-31", 5),
    ]
    in_dorp = series(api, kind=REPORT, scope="day", until="2022-12-31", wijk="dorp")
    assert in_dorp["series"][0]["points"][-1]["count"] == 2


def test_weeks_this_year_against_last_year_with_a_spike_marked(tmp_path: Path) -> None:
    api = start(tmp_path)
    steady = [f"2021-W{n}" for n in range(45, 53)] + [f"2022-W0{n}" for n in range(1, 9)]
    usual_weeks = [cell(REPORT, "week", week, 10 + n % 2) for n, week in enumerate(steady)]
    spike = cell(REPORT, "week", "2022-W09", 40)
    normal = cell(REPORT, "week", "2022-W10", 11)
    last_year = cell(REPORT, "week", "2021-W09", 1)
    fill(api, *usual_weeks, spike, normal, last_year)
    body = series(api, kind=REPORT, scope="week", until="2022-03-09")  # in 2022-W10
    assert [s["name"] for s in body["series"]] == ["2021", "2022"]
    previous, current = body["series"]
    assert len(previous["points"]) == 52
    assert [p["period"] for p in current["points"]][-1] == "2022-W10"
    marked = [p["period"] for p in current["points"] if p["marked"]]
    assert marked == ["2022-W09"]
    assert "standard deviation" in body["rule"]


def test_years_come_from_the_store(tmp_path: Path) -> None:
    api = start(tmp_path)
    api.repository.upsert(
        [
            YearCell(0, DAMAGE, "verharding", "dorp", 2021, 3, 30_000, 10_000, 1),
            YearCell(0, DAMAGE, "verharding", "dorp", 2022, 5, 69_854, 23_750, 2),
            YearCell(1, DAMAGE, "groen", "rokkeveen", 2022, 1, 100, 0, 3),
        ]
    )
    body = series(api, kind=DAMAGE, scope="year")
    points = body["series"][0]["points"]
    assert [(p["period"], p["count"], p["amount_cents"]) for p in points] == [
        ("2021", 3, 30_000),
        ("2022", 6, 69_954),
    ]


def test_series_need_a_reader_and_a_known_kind(tmp_path: Path) -> None:
    api = start(tmp_path)
    assert api.client.get("/v1/series", params={"kind": REPORT}).status_code == 401
    refused = api.client.get("/v1/series", params={"kind": "fietsendiefstal"}, headers=READER)
    assert refused.status_code == 400 and "kind" in refused.text
    bad_day = api.client.get(
        "/v1/series", params={"kind": REPORT, "until": "2022-13-01"}, headers=READER
    )
    assert bad_day.status_code == 400 and "until" in bad_day.text


def test_a_sensitive_kinds_small_counts_are_kept_from_readers(tmp_path: Path) -> None:
    from tests.unit.test_api import OPERATOR_KEY

    api = start(tmp_path)
    kind = "huiselijkgeweld"
    for period, count in (("2022-12-30", 3), ("2022-12-31", 6)):
        where = CellKey(kind, "politie", "dorp", "day", period)
        api.live.aggregates.apply(0, where, Cell(Figures(count, 0, 0), {"": count}))
    params = {"kind": kind, "scope": "day", "until": "2022-12-31"}
    read = series(api, **params)["series"][0]["points"][-2:]
    assert [(p["count"], p["suppressed"]) for p in read] == [(0, True), (6, False)]
    operator = {"authorization": f"Bearer {OPERATOR_KEY}"}
    seen = api.client.get("/v1/series", params=params, headers=operator).json()
    assert [p["count"] for p in seen["series"][0]["points"][-2:]] == [3, 6]
