"""GET /v1/cases: woonoverlast cases live, for the dashboard's woonoverlast view: per wijk and
housing type, the cases open now, and those registered, closed and reopened in a period, from
the stream processors' aggregates. Readers get no small numbers (service/domain/disclosure)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from events.kinds import CASE, CASE_CLOSED, CASE_REOPENED
from events.periods import ANY_PERIOD_PATTERN, Scope
from service.domain.disclosure import hidden
from service.http.auth import OPERATOR, READER, Caller, requires
from service.http.deps import Parts, SettingsDep
from service.http.openapi import READERS
from service.http.problems import BAD_QUERY, FORBIDDEN_ROLE, UNAUTHORIZED, answers
from service.http.routers.live import period_of

router = APIRouter(tags=["live"])
READ = Depends(requires(READER))
FLOWS = {"registered": CASE, "closed": CASE_CLOSED, "reopened": CASE_REOPENED}


class CaseCellOut(BaseModel):
    wijk: str
    housing: str
    open: int = Field(description="cases open now, whenever they were registered")
    registered: int = Field(description="registered in the period")
    closed: int = Field(description="closings in the period")
    reopened: int = Field(description="reopenings in the period")


class LiveCasesOut(BaseModel):
    scope: str
    period: str
    rows: list[CaseCellOut] = Field(description="per wijk and housing type with any figure")
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
    figures: dict[tuple[str, str], list[int]] = {}
    for (wijk, housing), count in aggregates.case_stock().items():
        figures.setdefault((wijk, housing), [0, 0, 0, 0])[0] = count
    for n, kind in enumerate(FLOWS.values(), start=1):
        for row in aggregates.rows(asked, period, kind):
            where = (row.where.wijk, row.where.housing)
            figures.setdefault(where, [0, 0, 0, 0])[n] += row.figures.count
    threshold = None if OPERATOR in caller.roles else settings.open_data_threshold
    rows = {k: tuple(v) for k, v in figures.items() if any(v)}
    hide = set() if threshold is None else hidden(rows, threshold)
    return LiveCasesOut(
        scope=asked,
        period=period,
        rows=[
            CaseCellOut(wijk=w, housing=h, open=o, registered=r, closed=c, reopened=re)
            for (w, h), (o, r, c, re) in sorted(rows.items())
            if (w, h) not in hide
        ],
        threshold=threshold,
        suppressed_rows=len(hide),
    )
