"""The case rules (service/domain/cases.py) against a reference written another way: any order
of one case's events, with duplicates, revisions and a withdrawal, gives the same case and the
same contribution, and the stock that follows from its flows is, day by day, whether the
reference finds the case open at the day's end."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.periods import LOCAL
from service.domain.cases import (
    STOCK_SIGN,
    Case,
    CaseCell,
    Change,
    Measure,
    Opening,
    Status,
    Withdrawal,
    apply_change,
    cell_deltas,
    contribution,
    deltas,
    is_open,
    year_end,
)
from service.domain.counting import Outcome

FINAL = {"intake": False, "in-behandeling": False, "afgerond": True, "heropend": False}
START = datetime(2021, 1, 1, tzinfo=LOCAL)


def opening(revision: int = 1, at: datetime = START, wijk: str = "dorp", **more: Any) -> Opening:
    return Opening(
        more.get("event_id", f"zaak-{revision}"),
        revision,
        at,
        wijk,
        more.get("housing", "corporatie"),
        more.get("category", "geluid"),
    )


def status(
    status_id: str, at: datetime, statustype: str, revision: int = 1, event_id: str = ""
) -> Status:
    final = FINAL[statustype]
    return Status(
        event_id or f"{status_id}-{revision}",
        revision,
        status_id,
        at,
        statustype,
        final,
        "opgelost" if final else None,
    )


def applied(changes: list[Change]) -> tuple[Case | None, list[Outcome], dict[CaseCell, int]]:
    """The case after the changes in this order, their outcomes, and the sum of the deltas."""
    case: Case | None = None
    outcomes = []
    total: Counter[CaseCell] = Counter()
    for change in changes:
        outcome, after = apply_change(case, change)
        outcomes.append(outcome)
        if after is not None:
            total.update(deltas(case, after))
            case = after
    return case, outcomes, {cell: n for cell, n in total.items() if n}


# ---- the reference: the truth of a case, and whether it is open at the end of a day ----


def reference_open(truth: dict[str, Any], day: date) -> bool:
    """Open at the end of `day`: registered by then, and the last status in effect by then
    (none: open) is not final."""
    start = truth["opening"].registered_at
    if truth["withdrawn"] or start.astimezone(LOCAL).date() > day:
        return False
    in_effect = [
        (max(s.set_at, start), s.status_id, s)
        for s in truth["statuses"]
        if max(s.set_at, start).astimezone(LOCAL).date() <= day
    ]
    return not in_effect or not max(in_effect, key=lambda t: (t[0], t[1]))[2].final


def yearly(case: Case | None) -> Counter[tuple[str, int]]:
    """The case's year cells, as the store keeps them: (kind, year) → count."""
    counts: Counter[tuple[str, int]] = Counter()
    for where, delta in cell_deltas(None, case).items():
        if where.scope == "year":
            counts[(where.kind, int(where.period))] += delta.count
    return counts


def stock_on(cells: dict[CaseCell, int], day: date) -> int:
    return sum(STOCK_SIGN[c.measure] * n for c, n in cells.items() if c.day <= day)


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Any], list[Change]]:
    """A case's truth and every event that was sent for it: earlier revisions, duplicates."""
    start = START + timedelta(
        days=draw(st.integers(0, 700)),
        hours=draw(st.integers(0, 23)),
        minutes=draw(st.integers(0, 59)),
    )
    final_open = opening(2, start, draw(st.sampled_from(["dorp", "palenstein", "meerzicht"])))
    events: list[Change] = [final_open]
    if draw(st.booleans()):  # an earlier revision, in another wijk, a day earlier
        events.append(opening(1, start - timedelta(days=1), "rokkeveen"))
    withdrawn = draw(st.booleans()) and draw(st.booleans())
    if withdrawn:
        events.append(Withdrawal("zaak-3", 3))
    statuses = []
    for n in range(draw(st.integers(0, 6))):
        at = start + timedelta(hours=draw(st.integers(-30, 24 * 500)))
        final = status(f"s{n}", at, draw(st.sampled_from(sorted(FINAL))), revision=2)
        statuses.append(final)
        events.append(final)
        if draw(st.booleans()):  # first sent with another moment and statustype
            moment = at + timedelta(hours=draw(st.integers(-100, 100)))
            events.append(status(f"s{n}", moment, draw(st.sampled_from(sorted(FINAL))), 1))
    events += draw(st.lists(st.sampled_from(events), max_size=4))  # duplicates
    truth = {"opening": final_open, "withdrawn": withdrawn, "statuses": statuses}
    return truth, events


@settings(max_examples=300, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_any_order_gives_the_case_and_stock_the_reference_gives(
    history: tuple[dict[str, Any], list[Change]], rng: random.Random
) -> None:
    truth, events = history
    in_order, _, summed = applied(events)
    shuffled = events[:]
    rng.shuffle(shuffled)
    case, outcomes, summed_shuffled = applied(shuffled)
    assert case == in_order
    assert contribution(case) == contribution(in_order)
    # The deltas, summed over the events, are the contribution: nothing lost, nothing twice.
    assert summed == summed_shuffled == {c: n for c, n in contribution(case).items() if n}
    cells = contribution(case)
    registered_day = truth["opening"].registered_at.astimezone(LOCAL).date()
    last = max([registered_day] + [s.set_at.astimezone(LOCAL).date() for s in truth["statuses"]])
    for offset in range(-2, (last - registered_day).days + 3):
        day = registered_day + timedelta(days=offset)
        assert stock_on(cells, day) == int(reference_open(truth, day)), day
    counts = yearly(case)
    for year in range(registered_day.year - 1, last.year + 2):
        end = date(year, 12, 31)
        registered = int(not truth["withdrawn"] and registered_day.year == year)
        still_open = int(reference_open(truth, end))
        assert year_end(counts, year) == (
            registered,
            registered - (still_open if registered else 0),
            still_open if registered else 0,
            still_open,
        ), year
    if not truth["withdrawn"]:
        assert [c.day for c in cells if c.measure is Measure.REGISTERED] == [registered_day]
        assert {c.wijk for c in cells} == {truth["opening"].wijk}
        assert {c.cohort for c in cells} == {registered_day.year}
    else:
        assert cells == Counter()
    # Each revision has its one id: no conflicts, only duplicates and stale revisions.
    assert not {Outcome.CONFLICT_REVISION, Outcome.CONFLICT_KIND} & set(outcomes)


def test_a_status_before_its_opening_is_held_and_counted_when_the_opening_comes() -> None:
    closed = status("s1", START + timedelta(days=10), "afgerond")
    outcome, case = apply_change(None, closed)
    assert outcome is Outcome.HELD
    assert contribution(case) == Counter()
    outcome, case = apply_change(case, opening())
    assert outcome is Outcome.COUNTED
    assert contribution(case) == Counter(
        {
            CaseCell(Measure.REGISTERED, 2021, "dorp", "corporatie", "geluid", date(2021, 1, 1)): 1,
            CaseCell(Measure.CLOSED, 2021, "dorp", "corporatie", "geluid", date(2021, 1, 11)): 1,
        }
    )
    assert not is_open(case)


def test_revisions_duplicates_and_conflicts_follow_the_incident_rules() -> None:
    _, case = apply_change(None, opening(2))
    assert apply_change(case, opening(2))[0] is Outcome.DUPLICATE
    assert apply_change(case, opening(1))[0] is Outcome.STALE
    assert apply_change(case, opening(2, event_id="other"))[0] is Outcome.CONFLICT_REVISION
    outcome, withdrawn = apply_change(case, Withdrawal("w", 3))
    assert outcome is Outcome.WITHDRAWN
    assert contribution(withdrawn) == Counter()
    assert deltas(case, withdrawn) == {
        CaseCell(Measure.REGISTERED, 2021, "dorp", "corporatie", "geluid", date(2021, 1, 1)): -1
    }
    # A status revised: the higher revision replaces it, a lower one is stale.
    _, case = apply_change(case, status("s1", START + timedelta(days=3), "afgerond", 2))
    assert apply_change(case, status("s1", START, "intake", 1))[0] is Outcome.STALE
    other = status("s1", START, "intake", 2, event_id="other")
    assert apply_change(case, other)[0] is Outcome.CONFLICT_REVISION


def test_closed_reopened_and_closed_again() -> None:
    day = timedelta(days=1)
    changes: list[Change] = [
        opening(at=datetime(2022, 3, 1, 9, tzinfo=LOCAL)),
        status("a", datetime(2022, 3, 1, 9, tzinfo=LOCAL), "intake"),
        status("b", datetime(2022, 6, 1, tzinfo=LOCAL), "afgerond"),
        status("c", datetime(2022, 6, 1, tzinfo=LOCAL) + 20 * day, "heropend"),
        status("d", datetime(2022, 6, 1, tzinfo=LOCAL) + 40 * day, "in-behandeling"),
        status("e", datetime(2023, 2, 1, tzinfo=LOCAL), "afgerond"),
    ]
    case, _, _ = applied(changes)
    measures = Counter()
    for cell, n in contribution(case).items():
        measures[(cell.measure, cell.day.year)] += n
    assert measures == {
        (Measure.REGISTERED, 2022): 1,
        (Measure.CLOSED, 2022): 1,
        (Measure.REOPENED, 2022): 1,
        (Measure.CLOSED, 2023): 1,
    }
    flows = yearly(case)
    assert year_end(flows, 2022) == (1, 0, 1, 1)
    assert year_end(flows, 2023) == (0, 0, 0, 0)
    assert not is_open(case)


@pytest.mark.parametrize("hours", [-5, 0])
def test_a_status_dated_before_the_registration_counts_from_it(hours: int) -> None:
    start = datetime(2022, 12, 31, 23, 30, tzinfo=LOCAL)
    case, _, _ = applied(
        [opening(at=start), status("a", start + timedelta(hours=hours), "afgerond")]
    )
    assert {(c.measure, c.day) for c in contribution(case)} == {
        (Measure.REGISTERED, date(2022, 12, 31)),
        (Measure.CLOSED, date(2022, 12, 31)),
    }
