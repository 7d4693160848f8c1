"""Yearly totals from the store: GET /v1/totals, /v1/totals/compare, and closing a year."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from events.kinds import CASE, SENSITIVE
from service.domain.cases import YearEnd
from service.domain.disclosure import hidden
from service.domain.figures import Figures
from service.http.auth import OPERATOR, READER, Caller, OperatorCaller, requires
from service.http.deps import CategoryFilter, KindFilter, Parts, SettingsDep, WijkFilter
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
    CaseCompareOut,
    ChangeOut,
    ClosingOut,
    CompareOut,
    CompareRowOut,
    TotalsOut,
    case_figures_out,
    cases_out,
    closing_out,
    figures_out,
    rows_out,
)
from service.read.cases import CASE_GROUPS, CaseRow, case_years, total
from service.read.yearly import Key, YearTotals, compare, year_totals
from storage.errors import StorageError
from storage.repository import ALL_GROUPS, TotalsRepository, YearClosed

log = logging.getLogger(__name__)
router = APIRouter(tags=["totals"])
READ = Depends(requires(READER))
ReaderCaller = Annotated[Caller, READ]
Year = Annotated[int, Query(ge=2000, le=2100)]
GROUP = "(" + "|".join(ALL_GROUPS) + ")"
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
        groups = [g for g in self.groups if g != "housing"]  # incidents have no housing type
        try:
            return year_totals(repository, year, groups, self.kind, self.category, self.wijk)
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc

    def cases(self, repository: TotalsRepository, year: int) -> list[CaseRow]:
        """The year's woonoverlast cases as selected (none when another kind is)."""
        if self.kind not in (None, CASE):
            return []
        groups = [g for g in CASE_GROUPS if g in self.groups]
        try:
            return case_years(repository, year, groups, self.wijk, None, self.category)
        except StorageError as exc:
            raise Problem(503, "Service Unavailable", "the store is unavailable") from exc

    @property
    def case_groups(self) -> list[str]:
        return [g for g in CASE_GROUPS if g in self.groups]


def _selection(
    group_by: Annotated[
        str,
        Query(
            description="any of kind, category, wijk, housing, comma-separated; empty: one "
            "total. `housing` groups the woonoverlast cases only: incidents have none",
            # Documented only: _selection's 400 names the groups that are not allowed.
            json_schema_extra={"pattern": GROUP_BY_PATTERN},
        ),
    ] = "kind,category,wijk",
    kind: KindFilter = None,
    category: CategoryFilter = None,
    wijk: WijkFilter = None,
) -> Selection:
    groups = group_by.split(",") if group_by else []
    unknown = [g for g in groups if g not in ALL_GROUPS]
    if unknown:
        raise Problem(
            400,
            "Bad Request",
            f"group_by: cannot group by {', '.join(g or '(nothing)' for g in unknown)}; "
            f"use any of {', '.join(ALL_GROUPS)}",
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
def get_totals(
    parts: Parts, settings: SettingsDep, caller: ReaderCaller, year: Year, selection: Selected
) -> TotalsOut:
    totals = selection.of(parts.repository, year)
    cases = selection.cases(parts.repository, year)
    threshold = None if OPERATOR in caller.roles else settings.open_data_threshold
    rows, hide_rows = _sensitive(totals.rows, selection.kind, threshold)
    hide_cases = (
        set() if threshold is None else hidden({r.key: r.figures for r in cases}, threshold)
    )
    whole = total(cases)
    shown_whole = threshold is None or not any(0 < n < threshold for n in whole)
    return TotalsOut(
        year=year,
        group_by=list(totals.group_by),
        rows=rows_out(rows),
        closed=closing_out(totals),
        adjustments=rows_out(_sensitive(totals.adjustments, selection.kind, threshold)[0]),
        cases=cases_out(selection.case_groups, cases, hide_cases, whole if shown_whole else None),
        threshold=threshold,
        suppressed_rows=hide_rows,
    )


def _sensitive(
    rows: dict[Key, Figures], kind: str | None, threshold: int | None
) -> tuple[dict[Key, Figures], int]:
    """The rows a caller may see, and how many were left out."""
    hide = _hidden_sensitive({k: (f.count,) for k, f in rows.items()}, kind, threshold)
    return {k: f for k, f in rows.items() if k not in hide}, len(hide)


def _hidden_sensitive(
    counts: Mapping[Key, tuple[int, ...]], kind: str | None, threshold: int | None
) -> set[Key]:
    """The rows a reader may not see: small numbers of the sensitive kinds (domestic violence,
    restraining orders), per kind (`kind`: the one asked for, where rows are not per kind).
    None for an operator, who sees every row."""
    if threshold is None:
        return set()
    hide: set[Key] = set()
    for sensitive in SENSITIVE:
        hide |= hidden({k: c for k, c in counts.items() if (k[0] or kind) == sensitive}, threshold)
    return hide


@router.get(
    "/v1/totals/compare",
    response_model=CompareOut,
    summary="Two years side by side, with the difference and the percentage change (readers)",
    responses=answers(BAD_QUERY, UNAUTHORIZED, FORBIDDEN_ROLE, STORE_DOWN),
    dependencies=[READ],
    openapi_extra={"security": READERS},
)
def get_compare(
    parts: Parts,
    settings: SettingsDep,
    caller: ReaderCaller,
    year: Year,
    base: Year,
    selection: Selected,
) -> CompareOut:
    this, before = selection.of(parts.repository, year), selection.of(parts.repository, base)
    threshold = None if OPERATOR in caller.roles else settings.open_data_threshold
    comparisons = compare(this, before)
    counts = {c.key: (c.year.count, c.base.count) for c in comparisons}
    hide = _hidden_sensitive(counts, selection.kind, threshold)
    cases, hidden_cases = _compared_cases(selection, parts.repository, year, base, threshold)
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
            for c in comparisons
            if c.key not in hide
        ],
        closed={str(t.year): closing_out(t) for t in (this, before)},
        adjustments={
            str(t.year): rows_out(_sensitive(t.adjustments, selection.kind, threshold)[0])
            for t in (this, before)
        },
        cases=cases,
        threshold=threshold,
        suppressed_rows=len(hide) + hidden_cases,
    )


def _compared_cases(
    selection: Selection, repository: TotalsRepository, year: int, base: int, threshold: int | None
) -> tuple[list[CaseCompareOut], int]:
    """The cases of two years side by side, per group; for readers without small numbers."""
    zero = YearEnd(0, 0, 0, 0)
    now = {r.key: r.figures for r in selection.cases(repository, year)}
    then = {r.key: r.figures for r in selection.cases(repository, base)}
    keys = sorted(set(now) | set(then), key=lambda k: [part or "" for part in k])
    pairs = {k: (now.get(k, zero), then.get(k, zero)) for k in keys}
    hide = (
        set()
        if threshold is None
        else hidden({k: (*a, *b) for k, (a, b) in pairs.items()}, threshold)
    )
    shown = [
        CaseCompareOut(
            wijk=k[0],
            housing=k[1],
            category=k[2],
            year=case_figures_out(a),
            base=case_figures_out(b),
        )
        for k, (a, b) in pairs.items()
        if k not in hide
    ]
    return shown, len(hide)


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
