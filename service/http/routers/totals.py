"""Yearly totals from the store: GET /v1/totals, /v1/totals/compare, and closing a year."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from service.http.auth import READER, OperatorCaller, requires
from service.http.deps import CategoryFilter, KindFilter, Parts, WijkFilter
from service.http.openapi import OPERATORS, READERS
from service.http.problems import (
    BAD_QUERY,
    FORBIDDEN_ROLE,
    STORE_DOWN,
    UNAUTHORIZED,
    Problem,
    answers,
)
from service.http.schemas import (
    ChangeOut,
    ClosingOut,
    CompareOut,
    CompareRowOut,
    TotalsOut,
    closing_out,
    figures_out,
    rows_out,
)
from service.read.yearly import YearTotals, compare, year_totals
from storage.errors import StorageError
from storage.repository import GROUPS, TotalsRepository, YearClosed

log = logging.getLogger(__name__)
router = APIRouter(tags=["totals"])
READ = Depends(requires(READER))
Year = Annotated[int, Query(ge=2000, le=2100)]
GROUP = "(" + "|".join(GROUPS) + ")"
GROUP_BY_PATTERN = f"^({GROUP}(,{GROUP})*)?$"


@dataclass(frozen=True, slots=True)
class Selection:
    """How a request groups and filters the yearly totals."""

    groups: list[str]
    kind: str | None
    category: str | None
    wijk: str | None

    def of(self, repository: TotalsRepository, year: int) -> YearTotals:
        """The year's totals as selected; Problem 503 when the store is down."""
        try:
            return year_totals(repository, year, self.groups, self.kind, self.category, self.wijk)
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc


def _selection(
    group_by: Annotated[
        str,
        Query(
            description="any of kind, category, wijk, comma-separated; empty: one total",
            # Documented only: _selection's 400 names the groups that are not allowed.
            json_schema_extra={"pattern": GROUP_BY_PATTERN},
        ),
    ] = "kind,category,wijk",
    kind: KindFilter = None,
    category: CategoryFilter = None,
    wijk: WijkFilter = None,
) -> Selection:
    groups = group_by.split(",") if group_by else []
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise Problem(
            400,
            "Bad Request",
            f"group_by: cannot group by {', '.join(g or '(nothing)' for g in unknown)}; "
            f"use any of {', '.join(GROUPS)}",
        )
    return Selection(groups, kind, category, wijk)


Selected = Annotated[Selection, Depends(_selection)]


@router.get(
    "/v1/totals",
    response_model=TotalsOut,
    summary="Yearly totals from the store (readers)",
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE, STORE_DOWN),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
def get_totals(parts: Parts, year: Year, selection: Selected) -> TotalsOut:
    totals = selection.of(parts.repository, year)
    return TotalsOut(
        year=year,
        group_by=list(totals.group_by),
        rows=rows_out(totals.rows),
        closed=closing_out(totals),
        adjustments=rows_out(totals.adjustments),
    )


@router.get(
    "/v1/totals/compare",
    response_model=CompareOut,
    summary="Two years side by side, with the difference and the percentage change (readers)",
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE, STORE_DOWN),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
def get_compare(parts: Parts, year: Year, base: Year, selection: Selected) -> CompareOut:
    this, before = selection.of(parts.repository, year), selection.of(parts.repository, base)
    return CompareOut(
        year=year,
        base=base,
        group_by=list(this.group_by),
        rows=[
            CompareRowOut(
                kind=c.key[0],
                category=c.key[1],
                wijk=c.key[2],
                year=figures_out(c.year),
                base=figures_out(c.base),
                difference=figures_out(c.difference),
                change_percent=ChangeOut(
                    count=c.change_percent("count"),
                    amount_cents=c.change_percent("amount_cents"),
                    illegal_fireworks_cents=c.change_percent("illegal_fireworks_cents"),
                ),
            )
            for c in compare(this, before)
        ],
        closed={str(t.year): closing_out(t) for t in (this, before)},
        adjustments={str(t.year): rows_out(t.adjustments) for t in (this, before)},
    )


@router.post(
    "/v1/years/{year}/close",
    response_model=ClosingOut,
    status_code=201,
    summary="Close a year (operators only): freeze its totals as published",
    responses=answers(
        (400, "The year is not one of 2000-2100"),
        UNAUTHORIZED,
        FORBIDDEN_ROLE,
        (409, "The year is closed already"),
        STORE_DOWN,
    ),
    openapi_extra={"security": OPERATORS},
)
def close(
    parts: Parts, caller: OperatorCaller, year: Annotated[int, Path(ge=2000, le=2100)]
) -> ClosingOut:
    operator = caller.name
    try:
        closing = parts.repository.close_year(year, by=operator)
    except YearClosed as exc:
        raise Problem(409, "Conflict", str(exc)) from exc
    except StorageError as exc:
        raise Problem(503, "Service Unavailable", "the store is unavailable") from exc
    log.info("year %d closed by %s", year, operator)
    return ClosingOut(closed_at=closing.closed_at, closed_by=closing.closed_by)
