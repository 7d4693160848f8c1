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
    "nl.wijkwacht.huiselijkgeweld.v1": "huiselijkgeweld",
    "nl.wijkwacht.huisverbod.v1": "huisverbod",
}
MOMENT = {"huiselijkgeweld": "registered_at", "huisverbod": "imposed_at"}
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
        if event["type"] not in KINDS and not event["type"].endswith("intrekking.v1"):
            continue  # a case's events: expected_cases
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
        written = data.get(MOMENT.get(kind, "occurred_at")) or event["time"]
        moment = datetime.fromisoformat(written).astimezone(AMSTERDAM)
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
        category = data.get("category") or data.get("organisation") or "tijdelijk"
        row = totals[(kind, category, wijk, period)]
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


FINAL_STATUSES = {"afgerond"}  # the shipped registry's final statustype


def expected_cases(events: list[dict[str, Any]], years: Iterable[int]) -> dict[Any, int]:
    """Woonoverlast cases the long way round: the highest revision of each zaak (or its
    withdrawal) and of each status, then for every year and case whether it is open at the
    year's last moment. (year, "registered"|"closed"|"open"|"stock", wijk, housing) → count,
    where `closed` and `open` are of the year's own cases."""
    zaken: dict[tuple[str, str], dict[str, Any]] = {}
    statuses: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in events:
        key = (event["source"], event["subject"])
        if event["type"] == "nl.wijkwacht.woonoverlaststatus.v1":
            skey = (*key, event["data"]["status_id"])
            if skey not in statuses or event["data"]["revision"] > statuses[skey]["revision"]:
                statuses[skey] = event["data"]
        elif event["type"] in ("nl.wijkwacht.woonoverlast.v1", "nl.wijkwacht.intrekking.v1") and (
            key not in zaken or event["data"]["revision"] > zaken[key]["data"]["revision"]
        ):
            zaken[key] = event
    found: dict[Any, int] = defaultdict(int)
    for key, zaak in zaken.items():
        if zaak["type"].endswith("intrekking.v1"):
            continue
        data = zaak["data"]
        registered = datetime.fromisoformat(data["registered_at"])
        own = [s for (source, subject, _), s in statuses.items() if (source, subject) == key]
        timeline = sorted(
            (max(datetime.fromisoformat(s["set_at"]), registered), s["status_id"], s) for s in own
        )
        for year in years:
            end = datetime(year, 12, 31, 23, 59, 59, 999999, tzinfo=AMSTERDAM)
            if registered > end:
                continue
            so_far = [s for moment, _, s in timeline if moment <= end]
            is_open = not so_far or so_far[-1]["statustype"] not in FINAL_STATUSES
            where = (data["wijk"], data["housing"])
            found[(year, "stock", *where)] += is_open
            if registered.astimezone(AMSTERDAM).year == year:
                found[(year, "registered", *where)] += 1
                found[(year, "open" if is_open else "closed", *where)] += 1
    return found
