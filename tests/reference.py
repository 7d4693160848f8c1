"""A separate, deliberately simple implementation of docs/contract.md §4, to check the service by.

It sees the whole set of accepted events at once: per incident the highest revision wins, a
withdrawal counts nowhere. It shares no code with service.domain.counting."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
KINDS = {
    "nl.wijkwacht.handhavingsmelding.v1": "handhavingsmelding",
    "nl.wijkwacht.cameraincident.v1": "cameraincident",
    "nl.wijkwacht.jaarwisselingsschade.v1": "jaarwisselingsschade",
}
CAMERA_WIJK = {
    "buytenwegh": "buytenwegh-de-leyens",
    "mandelabrug": "stadshart",
    "stadshart": "stadshart",
    "tijdelijk-oosterheem": "oosterheem",
    "tijdelijk-palenstein": "palenstein",
    "tijdelijk-seghwaert": "seghwaert",
}


def expected_totals(
    events: list[dict[str, Any]], scope: str = "year"
) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """(kind, category, wijk, period) → (count, amount_cents, illegal_fireworks_cents)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        key = (event["source"], event["subject"])
        if key not in latest or event["data"]["revision"] > latest[key]["data"]["revision"]:
            latest[key] = event
    totals: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in latest.values():
        if event["type"] not in KINDS:
            continue
        data = event["data"]
        kind = KINDS[event["type"]]
        wijk = data.get("wijk") or CAMERA_WIJK[data["camera"]]
        moment = datetime.fromisoformat(data.get("occurred_at") or event["time"]).astimezone(
            AMSTERDAM
        )
        if scope == "year":
            period = (
                str(data["jaarwisseling"]) if kind == "jaarwisselingsschade" else str(moment.year)
            )
        elif scope == "month":
            period = moment.strftime("%Y-%m")
        elif scope == "week":
            year, week, _ = moment.isocalendar()
            period = f"{year}-W{week:02d}"
        else:
            period = moment.date().isoformat()
        amount = data.get("amount_cents", 0)
        row = totals[(kind, data["category"], wijk, period)]
        row[0] += 1
        row[1] += amount
        row[2] += amount if data.get("illegal_fireworks") else 0
    return {key: (c, a, f) for key, (c, a, f) in totals.items() if c}


def stored_totals(
    repository: Any, years: Iterable[str]
) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """The store's yearly totals in the shape of `expected_totals(events)` (scope year)."""
    return {
        (r.kind, r.category, r.wijk, str(year)): (
            r.count,
            r.amount_cents,
            r.illegal_fireworks_cents,
        )
        for year in years
        for r in repository.totals(year=int(year))
    }
