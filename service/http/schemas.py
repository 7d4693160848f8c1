"""The API's response bodies (pydantic models, so that OpenAPI describes them), and their
making from the read models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.domain.cases import YearEnd
from service.domain.disclosure import OpenTable
from service.domain.figures import Figures
from service.read.cases import CaseKey, CaseRow
from service.read.yearly import Key, YearTotals


class Accepted(BaseModel):
    accepted: int
    duplicates: int
    ids: list[str]


class TotalRowOut(BaseModel):
    kind: str | None
    category: str | None
    wijk: str | None
    count: int
    amount_cents: int
    illegal_fireworks_cents: int


class ClosingOut(BaseModel):
    closed_at: datetime
    closed_by: str


class TotalsOut(BaseModel):
    year: int
    group_by: list[str]
    rows: list[TotalRowOut] = Field(
        description="The year's totals; for a closed year, as published when it was closed"
    )
    closed: ClosingOut | None = Field(description="When and by whom the year was closed")
    adjustments: list[TotalRowOut] = Field(
        description="Closed years only: what changed after closing (late events, revisions, "
        "withdrawals), as differences; never included in rows"
    )
    cases: CasesOut = Field(description="Woonoverlast cases of the year (section 5.1)")
    threshold: int | None = Field(
        description="Readers: rows of domestic violence, restraining orders and cases with a "
        "figure below this are left out; null for operators, who see every row"
    )
    suppressed_rows: int = Field(description="incident rows left out for small numbers")


class CaseFiguresOut(BaseModel):
    registered: int = Field(description="woonoverlast cases registered in the year")
    closed: int = Field(description="of those, closed on 31 December (or now, this year)")
    open: int = Field(description="of those, open on 31 December (or now, this year)")
    stock: int = Field(description="every case open on 31 December, whatever its year")


class CaseRowOut(CaseFiguresOut):
    wijk: str | None
    housing: str | None = Field(description="corporatie, koop, particuliere-huur")
    category: str | None


class CasesOut(BaseModel):
    group_by: list[str] = Field(description="of wijk, housing, category")
    rows: list[CaseRowOut]
    total: CaseFiguresOut | None = Field(
        description="the whole selection; null when it is too small to show (readers)"
    )
    suppressed_rows: int = Field(description="rows left out for small numbers (readers)")


class FiguresOut(BaseModel):
    count: int
    amount_cents: int
    illegal_fireworks_cents: int


class ChangeOut(BaseModel):
    count: float | None
    amount_cents: float | None
    illegal_fireworks_cents: float | None


class CompareRowOut(BaseModel):
    kind: str | None
    category: str | None
    wijk: str | None
    year: FiguresOut
    base: FiguresOut
    difference: FiguresOut
    change_percent: ChangeOut = Field(description="null where the base year has 0")


class CaseCompareOut(BaseModel):
    wijk: str | None
    housing: str | None
    category: str | None
    year: CaseFiguresOut
    base: CaseFiguresOut


class CompareOut(BaseModel):
    year: int
    base: int
    group_by: list[str]
    rows: list[CompareRowOut]
    closed: dict[str, ClosingOut | None]
    adjustments: dict[str, list[TotalRowOut]]
    cases: list[CaseCompareOut] = Field(description="Woonoverlast cases of both years")
    threshold: int | None = Field(
        description="Readers: rows of the sensitive kinds with a figure below this in either "
        "year are left out; null for operators"
    )
    suppressed_rows: int = Field(description="incident and case rows left out")


def rows_out(rows: dict[Key, Figures]) -> list[TotalRowOut]:
    return [
        TotalRowOut(kind=k[0], category=k[1], wijk=k[2], **figures_out(f).model_dump())
        for k, f in rows.items()
    ]


def figures_out(figures: Figures) -> FiguresOut:
    return FiguresOut(
        count=figures.count,
        amount_cents=figures.amount_cents,
        illegal_fireworks_cents=figures.illegal_fireworks_cents,
    )


def closing_out(totals: YearTotals) -> ClosingOut | None:
    if totals.closing is None:
        return None
    return ClosingOut(closed_at=totals.closing.closed_at, closed_by=totals.closing.closed_by)


class OpenRowOut(BaseModel):
    kind: str
    category: str
    wijk: str
    count: int | str = Field(
        description="incidents; `<N` (N the threshold) when fewer, to protect the people in them",
        json_schema_extra={"pattern": "^<[0-9]+$"},
    )
    amount_cents: int | None = Field(description="null where the count is suppressed")
    illegal_fireworks_cents: int | None = Field(description="null where the count is suppressed")


class OpenKindOut(BaseModel):
    kind: str
    count: int = Field(description="the sum of this kind's published rows only")
    amount_cents: int
    illegal_fireworks_cents: int
    suppressed_rows: int = Field(description="rows shown as `<N`, left out of these sums")


class OpenTotalsOut(BaseModel):
    year: int
    month: int | None = Field(description="the month asked for; null: the whole year")
    threshold: int = Field(description="rows counting fewer incidents are shown as `<N`")
    rows: list[OpenRowOut] = Field(description="per kind, category and wijk")
    kinds: list[OpenKindOut] = Field(description="per kind, the sum of the published rows")


def open_totals_out(year: int, month: int | None, table: OpenTable) -> OpenTotalsOut:
    hidden = f"<{table.threshold}"
    return OpenTotalsOut(
        year=year,
        month=month,
        threshold=table.threshold,
        rows=[
            OpenRowOut(
                kind=cell.key[0],
                category=cell.key[1],
                wijk=cell.key[2],
                count=hidden if cell.figures is None else cell.figures.count,
                amount_cents=None if cell.figures is None else cell.figures.amount_cents,
                illegal_fireworks_cents=(
                    None if cell.figures is None else cell.figures.illegal_fireworks_cents
                ),
            )
            for cell in table.cells
        ],
        kinds=[
            OpenKindOut(
                kind=kind,
                **figures_out(figures).model_dump(),
                suppressed_rows=table.suppressed[kind],
            )
            for kind, figures in sorted(table.published.items())
        ],
    )


class SessionOut(BaseModel):
    name: str = Field(description="the key's name, or the person's at the identity provider")
    roles: list[str] = Field(description="reader; operator and admin as granted")


class SignInMethods(BaseModel):
    key: bool = Field(description="a reader's or operator's key may sign in (POST /auth/session)")
    provider: str | None = Field(description="the identity provider's issuer, if one is set")
    provider_login: str | None = Field(description="where a browser starts signing in there")


class FieldSystemOut(BaseModel):
    name: str
    keys: list[str] = Field(description="the start of each key's hash: several while rotating")
    kinds: list[str] | None = Field(description="the kinds it may report; null: every kind")
    cameras: list[str] | None = Field(description="the cameras it may report for; null: any")


class PointOut(BaseModel):
    period: str = Field(description="A day (2022-12-31), ISO week (2022-W52) or year (2022)")
    count: int
    amount_cents: int
    illegal_fireworks_cents: int
    marked: bool = Field(
        default=False,
        description="Weeks only: far above the weeks before it (`rule` says how far)",
    )
    suppressed: bool = Field(
        default=False,
        description="Readers, sensitive kinds: the count was 1 to the threshold - 1 and is shown "
        "as 0",
    )


class SeriesOut(BaseModel):
    name: str = Field(description="What the series shows: `last 56 days`, a year, `years`")
    points: list[PointOut]


class TrendsOut(BaseModel):
    kind: str
    scope: str
    category: str | None
    wijk: str | None
    until: str = Field(description="The last day the series reach (local time)")
    series: list[SeriesOut]
    rule: str = Field(description="When a week is marked, in words")


def case_figures_out(figures: YearEnd) -> CaseFiguresOut:
    return CaseFiguresOut(**figures._asdict())


def cases_out(
    group_by: list[str], rows: list[CaseRow], hide: set[CaseKey], total: YearEnd | None
) -> CasesOut:
    return CasesOut(
        group_by=group_by,
        rows=[
            CaseRowOut(wijk=r.wijk, housing=r.housing, category=r.category, **r.figures._asdict())
            for r in rows
            if r.key not in hide
        ],
        total=None if total is None else case_figures_out(total),
        suppressed_rows=len(hide),
    )
