"""GET /v1/cases: woonoverlast cases live, for the dashboard's woonoverlast view: per wijk,
housing type and category, the cases open now and at the end of a period, and those
registered, closed and reopened in it, from the stream processors' aggregates. Readers get
no small numbers (service/domain/disclosure)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from events.kinds import CASE, CASE_CLOSED, CASE_REOPENED
from events.periods import ANY_PERIOD_PATTERN, LOCAL, Scope, last_day
from service.domain.disclosure import hidden
from service.http.auth import OPERATOR, READER, Caller, requires
from service.http.deps import Parts, SettingsDep
from service.http.openapi import READERS
from service.http.problems import BAD_QUERY, FORBIDDEN_ROLE, UNAUTHORIZED, Problem, answers
from service.http.routers.live import period_of

router = APIRouter(tags=["live"])
READ = Depends(requires(READER))
FLOWS = {"registered": CASE, "closed": CASE_CLOSED, "reopened": CASE_REOPENED}


class CaseCellOut(BaseModel):
    wijk: str
    housing: str
    category: str
    open: int = Field(description="cases open now, whenever they were registered")
    open_at_end: int = Field(
        description="cases open at the end of the period (for the current period: now)"
    )
    registered: int = Field(description="registered in the period")
    closed: int = Field(description="closings in the period")
    reopened: int = Field(description="reopenings in the period")


class LiveCasesOut(BaseModel):
    scope: str
    period: str
    rows: list[CaseCellOut] = Field(
        description="per wijk, housing type and category with any figure"
    )
    threshold: int | None = Field(
        description="Readers: rows with a figure below this are left out; null for operators"
    )
    suppressed_rows: int


@router.get(
    "/v1/cases",
    summary="Woonoverlast cases live: open now, and the period's flows (readers)",
    response_model=LiveCasesOut,
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
def get_cases(
    parts: Parts,
    settings: SettingsDep,
    caller: Annotated[Caller, READ],
    scope: Annotated[Scope, Query(description="the scope of the flows' period")] = "week",
    period: Annotated[
        str | None,
        Query(
            description="a period in the form of `scope`; default: the current one",
            json_schema_extra={"pattern": ANY_PERIOD_PATTERN},
        ),
    ] = None,
) -> LiveCasesOut:
    asked, period = period_of(scope, period)
    aggregates = parts.live.aggregates
    try:
        end = last_day(asked, period)
    except ValueError:  # the form is right, the period does not exist: 0000, 2022-W53
        raise Problem(400, "Bad Request", f"period: {period!r} is no {asked} that exists") from None
    now = datetime.now(LOCAL).date()
    figures: dict[tuple[str, str, str], list[int]] = {}
    stocks = (aggregates.case_stock(), aggregates.case_stock(None if end >= now else end))
    for n, stock in enumerate(stocks):
        for where, count in stock.items():
            figures.setdefault(where, [0] * 5)[n] = count
    for n, kind in enumerate(FLOWS.values(), start=2):
        for row in aggregates.rows(asked, period, kind):
            where = (row.where.wijk, row.where.housing, row.where.category)
            figures.setdefault(where, [0] * 5)[n] += row.figures.count
    threshold = None if OPERATOR in caller.roles else settings.open_data_threshold
    rows = {k: tuple(v) for k, v in figures.items() if any(v)}
    hide = set() if threshold is None else hidden(rows, threshold)
    return LiveCasesOut(
        scope=asked,
        period=period,
        rows=[
            CaseCellOut(
                wijk=w,
                housing=h,
                category=k,
                open=o,
                open_at_end=e,
                registered=r,
                closed=c,
                reopened=re,
            )
            for (w, h, k), (o, e, r, c, re) in sorted(rows.items())
            if (w, h, k) not in hide
        ],
        threshold=threshold,
        suppressed_rows=len(hide),
    )
