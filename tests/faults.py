"""What the fault tests (tests/chaos, tests/cluster) read and compare: the live aggregates over
HTTP, and a wait for them, or the store, to equal the reference, with the difference said."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from events.periods import LOCAL
from service.read.cases import case_years
from tests import factories
from tests.support import READER, wait_until

SCOPES = ("year", "month", "week", "day")
WIJKEN = ("buytenwegh-de-leyens", "dorp", "meerzicht", "oosterheem")
HOUSING = ("corporatie", "koop", "particuliere-huur")


def live(api: str, scope: str, period: str) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """The incidents' live rows (a woonoverlast case's cells, with a housing type, are left to
    `stored_cases`)."""
    response = httpx.get(
        f"{api}/v1/live", headers=READER, params={"scope": scope, "period": period}, timeout=10
    )
    response.raise_for_status()
    return {
        (r["kind"], r["category"], r["wijk"], period): (
            r["count"],
            r["amount_cents"],
            r["illegal_fireworks_cents"],
        )
        for r in response.json()["rows"]
        if "housing" not in r
    }


def stored_cases(repository: Any, years: Any) -> dict[Any, int]:
    """The store's woonoverlast figures in the shape of `tests.reference.expected_cases`."""
    found = {}
    for year in years:
        for row in case_years(repository, year, ("wijk", "housing")):
            for figure, n in row.figures._asdict().items():
                if n:
                    found[(year, figure, row.wijk, row.housing)] = n
    return found


def mismatch(expected: dict[Any, Any], found: dict[Any, Any]) -> str:
    keys = sorted(set(expected) | set(found))
    diff = [f"{k}: want {expected.get(k)} got {found.get(k)}" for k in keys]
    return "; ".join(d for d, k in zip(diff, keys, strict=True) if expected.get(k) != found.get(k))


def check_equal(
    what: str, expected: dict[Any, Any], read: Callable[[], dict[Any, Any]], timeout: float
) -> None:
    found: dict[Any, Any] = {}

    def probe() -> bool:
        nonlocal found
        try:
            found = read()
        except (httpx.HTTPError, OSError):
            return False
        return found == expected

    try:
        wait_until(probe, timeout=timeout, interval=0.5, what=what)
    except AssertionError:
        raise AssertionError(f"{what} differs: {mismatch(expected, found)}") from None


STATUSTYPES = ("intake", "in-behandeling", "afgerond", "heropend")


def case_events(seed: int, cases: int, source: str) -> list[dict[str, Any]]:
    """Woonoverlast cases for the fault tests, every event of each (in no order; the caller
    shuffles): a zaak, now and then revised or withdrawn, and up to four statuses, now and then
    revised, some set before the case was registered; about one in ten sent twice."""
    rnd = random.Random(f"cases-{seed}")
    start = datetime(2022, 1, 1, tzinfo=LOCAL)
    events: list[dict[str, Any]] = []

    def event(made: dict[str, Any], moment: datetime) -> dict[str, Any]:
        made |= {
            "source": source,
            "id": str(uuid.UUID(int=rnd.getrandbits(128))),
            "time": moment.isoformat(),
        }
        return made

    for n in range(cases):
        subject = f"Z{seed}-{n}"
        registered = start + timedelta(minutes=rnd.randrange(365 * 24 * 60))
        where = {"wijk": rnd.choice(WIJKEN), "housing": rnd.choice(HOUSING)}
        revisions = rnd.choice((1, 1, 2))
        for revision in range(1, revisions + 1):
            moved = where if revision == revisions else {**where, "wijk": rnd.choice(WIJKEN)}
            opening = factories.case_opening(
                subject, revision=revision, registered_at=registered.isoformat(), **moved
            )
            events.append(event(opening, registered + timedelta(hours=revision)))
        if rnd.random() < 0.05:
            withdrawal = factories.withdrawal(subject, revision=revisions + 1, source=source)
            events.append(event(withdrawal, registered + timedelta(days=3)))
        for s in range(rnd.randrange(5)):
            for revision in range(1, rnd.choice((1, 1, 2)) + 1):
                set_at = registered + timedelta(hours=rnd.uniform(-24, 24 * 400))
                status = factories.case_status(
                    subject,
                    f"{subject}-S{s}",
                    rnd.choice(STATUSTYPES),
                    revision=revision,
                    set_at=set_at.isoformat(),
                )
                events.append(event(status, max(set_at, registered) + timedelta(hours=revision)))
    return events + [dict(e) for e in rnd.sample(events, len(events) // 10)]
