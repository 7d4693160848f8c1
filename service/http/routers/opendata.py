"""GET /v1/open/totals: open data, no sign-in: yearly and monthly counts per kind, category
and wijk, with small numbers suppressed (service/domain/disclosure.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.domain.disclosure import Key, across_months, suppress
from service.domain.figures import Figures
from service.http.deps import KindFilter, Parts, SettingsDep
from service.http.ports import ApiParts
from service.http.problems import BAD_QUERY, STORE_DOWN, answers
from service.http.routers.totals import Selection, Year
from service.http.schemas import OpenTotalsOut, open_totals_out

router = APIRouter(tags=["open data"])
Month = Annotated[
    int | None, Query(ge=1, le=12, description="a month of `year`; omitted: the whole year")
]


@router.get(
    "/v1/open/totals",
    response_model=OpenTotalsOut,
    summary="Open data: counts per kind, category and wijk, small numbers suppressed",
    description=(
        "No sign-in. A year's figures come from the store (as published once the year is "
        "closed); a month's from the stream processors' running aggregates. A row counting "
        "fewer incidents than WIJKWACHT_OPEN_DATA_THRESHOLD (default 5) shows its count as "
        "`<N` and no amounts, and is left out of the per-kind sums beside it. In a month's "
        "answer, further rows may be suppressed so that the year's figure less the months "
        "shown never reveals a small month."
    ),
    responses=answers(BAD_QUERY, STORE_DOWN),
)
def get_open_totals(
    parts: Parts, settings: SettingsDep, year: Year, month: Month = None, kind: KindFilter = None
) -> OpenTotalsOut:
    rows: dict[Key, Figures]
    also: set[Key] = set()
    if month is None:
        selection = Selection(["kind", "category", "wijk"], kind, None, None)
        rows = {
            (k, c, w): figures
            for (k, c, w), figures in selection.of(parts.repository, year).rows.items()
            if k is not None and c is not None and w is not None
        }
    else:
        # Every month of the year, to suppress so that no two answers reveal a small cell.
        months = {m: _month(parts, year, m, kind) for m in range(1, 13)}
        rows = months[month]
        also = across_months(months, settings.open_data_threshold)[month]
    return open_totals_out(year, month, suppress(rows, settings.open_data_threshold, also))


def _month(parts: ApiParts, year: int, month: int, kind: str | None) -> dict[Key, Figures]:
    found = parts.live.aggregates.rows("month", f"{year}-{month:02d}", kind)
    return {(r.where.kind, r.where.category, r.where.wijk): r.figures for r in found}
