"""The annual report (`wijkwacht report`): the figures a jaarverslag publishes, built from the
store's yearly totals and rendered as a table, JSON, CSV or a trend chart.

`build_report` reads only through the `TotalsRepository` port and `service.read.yearly`, so a closed
year shows its published figures with post-closing adjustments beside them, never added in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich import box
from rich.console import Console
from rich.table import Table

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT, KINDS
from events.registry import Camera, Registries
from service.domain.figures import Figures
from service.read.yearly import Key, YearTotals, compare, year_totals
from storage.repository import Closing, TotalsRepository

SCHEMA_VERSION = 1
KIND_LABELS = {
    ENFORCEMENT: "Enforcement reports",
    CAMERA: "Camera incidents",
    DAMAGE: "New Year damage items",
}
CHART_SUFFIXES = (".png", ".svg")
CSV_COLUMNS = (
    "section",
    "year",
    "kind",
    "category",
    "wijk",
    "measure",
    "value",
    "base_year",
    "base_value",
    "difference",
    "change_percent",
)
CAMERA_NOTE = (
    "The store counts camera incidents per wijk, not per camera: each camera area is the wijk "
    "its cameras lie in (registry cameras.json), listed with those cameras."
)
TOP_CATEGORIES = 3


class ReportError(Exception):
    """Base of the report's exceptions."""


class NoFigures(ReportError):
    """The store has no figures for a year that the report needs."""

    def __init__(self, year: int, available: Sequence[int]) -> None:
        self.year = year
        self.available = tuple(available)
        years = ", ".join(map(str, available)) or "none"
        super().__init__(f"the store has no figures for {year} (years with figures: {years})")


@dataclass(frozen=True, slots=True)
class Measure:
    """One figure of the report year, beside the base year's when comparing (else None)."""

    value: int
    base: int | None = None
    difference: int | None = None
    change_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Share:
    """A percentage; `difference` is in percentage points."""

    value: float | None
    base: float | None = None
    difference: float | None = None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What arrived for a closed year after it was closed, per kind, category and wijk."""

    kind: str
    category: str | None
    wijk: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class YearStatus:
    year: int
    closing: Closing | None
    adjustments: tuple[Adjustment, ...]  # per kind, category and wijk
    adjustment_totals: tuple[Adjustment, ...]  # per kind


@dataclass(frozen=True, slots=True)
class YearChange:
    """Enforcement reports of one year and the change from the calendar year before."""

    year: int
    count: int
    change: int | None
    change_percent: float | None


@dataclass(frozen=True, slots=True)
class RankedCategory:
    rank: int
    category: str
    name: str
    amount_cents: Measure


@dataclass(frozen=True, slots=True)
class CameraArea:
    wijk: str
    name: str
    cameras: tuple[Camera, ...]
    count: Measure


@dataclass(frozen=True, slots=True)
class WijkFigures:
    wijk: str
    name: str
    counts: dict[str, Measure]  # per kind
    damage_cents: Measure


@dataclass(frozen=True, slots=True)
class TrendPoint:
    year: int
    closed: bool
    counts: dict[str, int]  # per kind
    damage_cents: int


@dataclass(frozen=True, slots=True)
class Report:
    status: YearStatus
    base_status: YearStatus | None
    counts: dict[str, Measure]  # per kind
    damage_cents: Measure
    illegal_fireworks_cents: Measure
    illegal_fireworks_share: Share
    top_damage_categories: tuple[RankedCategory, ...]
    camera_areas: tuple[CameraArea, ...]
    wijken: tuple[WijkFigures, ...]
    enforcement_by_year: tuple[YearChange, ...]
    trend: tuple[TrendPoint, ...]

    @property
    def year(self) -> int:
        return self.status.year

    @property
    def base_year(self) -> int | None:
        return None if self.base_status is None else self.base_status.year


# Building --------------------------------------------------------------------------------------


def build_report(
    repository: TotalsRepository, registries: Registries, year: int, base: int | None = None
) -> Report:
    """The report of `year` (compared with `base` if given); NoFigures if either has none."""
    available = repository.years()
    for wanted in (year, base):
        if wanted is not None and not _has_figures(repository, available, wanted):
            raise NoFigures(wanted, available)

    def grouped(*groups: str, kind: str | None = None) -> tuple[YearTotals, YearTotals | None]:
        current = year_totals(repository, year, groups, kind=kind)
        before = None if base is None else year_totals(repository, base, groups, kind=kind)
        return current, before

    per_kind = grouped("kind")
    per_category = grouped("kind", "category", kind=DAMAGE)
    per_wijk = grouped("kind", "wijk")
    counts = _measures(*per_kind, "count")
    amounts = _measures(*per_kind, "amount_cents")
    illegal = _measures(*per_kind, "illegal_fireworks_cents")
    comparing = base is not None
    damage = _pick(amounts, (DAMAGE, None, None), comparing)
    fireworks = _pick(illegal, (DAMAGE, None, None), comparing)
    trend = _trend(repository, [y for y in available if y <= year] or [year])
    return Report(
        status=_status(repository, per_kind[0]),
        base_status=None if per_kind[1] is None else _status(repository, per_kind[1]),
        counts={k: _pick(counts, (k, None, None), comparing) for k in KINDS},
        damage_cents=damage,
        illegal_fireworks_cents=fireworks,
        illegal_fireworks_share=_share(damage, fireworks),
        top_damage_categories=_top_categories(per_category, registries),
        camera_areas=_camera_areas(per_wijk, registries, year, base),
        wijken=_wijken(per_wijk, registries),
        enforcement_by_year=_year_changes(trend),
        trend=tuple(trend),
    )


def _has_figures(repository: TotalsRepository, available: Sequence[int], year: int) -> bool:
    return year in available or repository.closing(year) is not None


def _measures(year: YearTotals, base: YearTotals | None, attribute: str) -> dict[Key, Measure]:
    if base is None:
        return {key: Measure(getattr(f, attribute)) for key, f in year.rows.items()}
    return {
        c.key: Measure(
            getattr(c.year, attribute),
            getattr(c.base, attribute),
            getattr(c.difference, attribute),
            c.change_percent(attribute),
        )
        for c in compare(year, base)
    }


def _pick(measures: dict[Key, Measure], key: Key, comparing: bool) -> Measure:
    return measures.get(key) or (Measure(0, 0, 0, None) if comparing else Measure(0))


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part * 100 / whole, 1)


def _share(damage: Measure, fireworks: Measure) -> Share:
    value = _percent(fireworks.value, damage.value)
    if damage.base is None or fireworks.base is None:
        return Share(value)
    base = _percent(fireworks.base, damage.base)
    difference = None if value is None or base is None else round(value - base, 1)
    return Share(value, base, difference)


def _status(repository: TotalsRepository, per_kind: YearTotals) -> YearStatus:
    year = per_kind.year
    detailed = year_totals(repository, year) if per_kind.closing is not None else per_kind
    return YearStatus(
        year,
        per_kind.closing,
        tuple(Adjustment(k or "", c, w, f) for (k, c, w), f in detailed.adjustments.items()),
        tuple(Adjustment(k or "", None, None, f) for (k, _, _), f in per_kind.adjustments.items()),
    )


def _top_categories(
    per_category: tuple[YearTotals, YearTotals | None], registries: Registries
) -> tuple[RankedCategory, ...]:
    amounts = _measures(*per_category, "amount_cents")
    names = {c.code: c.name for c in registries.categories.get(DAMAGE, ())}
    ranked = sorted(
        ((key, m) for key, m in amounts.items() if m.value > 0),
        key=lambda item: (-item[1].value, item[0][1] or ""),
    )
    return tuple(
        RankedCategory(rank, key[1] or "", names.get(key[1] or "", key[1] or ""), measure)
        for rank, (key, measure) in enumerate(ranked[:TOP_CATEGORIES], start=1)
    )


def _camera_areas(
    per_wijk: tuple[YearTotals, YearTotals | None],
    registries: Registries,
    year: int,
    base: int | None,
) -> tuple[CameraArea, ...]:
    counts = _measures(*per_wijk, "count")
    first, last = date(min(year, base or year), 1, 1), date(year, 12, 31)
    cameras: dict[str, list[Camera]] = {}
    for camera in registries.cameras:
        if camera.active_from <= last and (
            camera.active_until is None or camera.active_until >= first
        ):
            cameras.setdefault(camera.wijk, []).append(camera)
    wijken = sorted(set(cameras) | {w or "" for k, _, w in counts if k == CAMERA})
    names = _wijk_names(registries)
    return tuple(
        CameraArea(
            wijk,
            names.get(wijk, wijk),
            tuple(cameras.get(wijk, ())),
            _pick(counts, (CAMERA, None, wijk), base is not None),
        )
        for wijk in wijken
    )


def _wijken(
    per_wijk: tuple[YearTotals, YearTotals | None], registries: Registries
) -> tuple[WijkFigures, ...]:
    comparing = per_wijk[1] is not None
    counts = _measures(*per_wijk, "count")
    amounts = _measures(*per_wijk, "amount_cents")
    names = _wijk_names(registries)
    return tuple(
        WijkFigures(
            wijk,
            names.get(wijk, wijk),
            {k: _pick(counts, (k, None, wijk), comparing) for k in KINDS},
            _pick(amounts, (DAMAGE, None, wijk), comparing),
        )
        for wijk in sorted({w or "" for _, _, w in counts})
    )


def _wijk_names(registries: Registries) -> dict[str, str]:
    return {w.code: w.name for w in registries.wijken}


def _trend(repository: TotalsRepository, years: Sequence[int]) -> list[TrendPoint]:
    points = []
    for year in years:
        totals = year_totals(repository, year, ("kind",))
        points.append(
            TrendPoint(
                year,
                totals.closing is not None,
                {k: totals.total(kind=k).count for k in KINDS},
                totals.total(kind=DAMAGE).amount_cents,
            )
        )
    return points


def _year_changes(trend: Sequence[TrendPoint]) -> tuple[YearChange, ...]:
    counts = {p.year: p.counts[ENFORCEMENT] for p in trend}
    changes = []
    for year, count in counts.items():
        before = counts.get(year - 1)
        change = None if before is None else count - before
        percent = None if before is None else _percent(count - before, before)
        changes.append(YearChange(year, count, change, percent))
    return tuple(changes)


# JSON ------------------------------------------------------------------------------------------


def to_document(report: Report) -> dict[str, Any]:
    """The report as one JSON-ready document (schema in docs/report.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "year": report.year,
        "base_year": report.base_year,
        "years": {
            "report": _status_document(report.status),
            "base": None if report.base_status is None else _status_document(report.base_status),
        },
        "enforcement": {
            "count": _measure_document(report.counts[ENFORCEMENT]),
            "by_year": [
                {
                    "year": c.year,
                    "count": c.count,
                    "change": c.change,
                    "change_percent": c.change_percent,
                }
                for c in report.enforcement_by_year
            ],
        },
        "damage": {
            "items": _measure_document(report.counts[DAMAGE]),
            "amount_cents": _measure_document(report.damage_cents),
            "illegal_fireworks_cents": _measure_document(report.illegal_fireworks_cents),
            "illegal_fireworks_share_percent": {
                "value": report.illegal_fireworks_share.value,
                "base": report.illegal_fireworks_share.base,
                "difference_points": report.illegal_fireworks_share.difference,
            },
            "top_categories": [
                {
                    "rank": c.rank,
                    "category": c.category,
                    "name": c.name,
                    "amount_cents": _measure_document(c.amount_cents),
                }
                for c in report.top_damage_categories
            ],
        },
        "camera_incidents": {
            "grouped_by": "wijk",
            "note": CAMERA_NOTE,
            "count": _measure_document(report.counts[CAMERA]),
            "areas": [
                {
                    "wijk": a.wijk,
                    "name": a.name,
                    "cameras": [
                        {
                            "id": c.id,
                            "name": c.name,
                            "fixed": c.fixed,
                            "active_from": c.active_from.isoformat(),
                            "active_until": c.active_until and c.active_until.isoformat(),
                        }
                        for c in a.cameras
                    ],
                    "count": _measure_document(a.count),
                }
                for a in report.camera_areas
            ],
        },
        "wijken": [
            {
                "wijk": w.wijk,
                "name": w.name,
                "counts": {k: _measure_document(m) for k, m in w.counts.items()},
                "damage_amount_cents": _measure_document(w.damage_cents),
            }
            for w in report.wijken
        ],
        "trend": [
            {
                "year": p.year,
                "closed": p.closed,
                "counts": p.counts,
                "damage_amount_cents": p.damage_cents,
            }
            for p in report.trend
        ],
    }


def render_json(report: Report) -> str:
    return orjson.dumps(to_document(report), option=orjson.OPT_INDENT_2).decode()


def _measure_document(measure: Measure) -> dict[str, Any]:
    return {
        "value": measure.value,
        "base": measure.base,
        "difference": measure.difference,
        "change_percent": measure.change_percent,
    }


def _status_document(status: YearStatus) -> dict[str, Any]:
    closing = status.closing
    return {
        "year": status.year,
        "figures": "current" if closing is None else "published",
        "closed_at": None if closing is None else closing.closed_at.isoformat(),
        "closed_by": None if closing is None else closing.closed_by,
        "adjustments": {
            "by_kind": [_adjustment_document(a) for a in status.adjustment_totals],
            "rows": [_adjustment_document(a) for a in status.adjustments],
        },
    }


def _adjustment_document(adjustment: Adjustment) -> dict[str, Any]:
    return {
        "kind": adjustment.kind,
        "category": adjustment.category,
        "wijk": adjustment.wijk,
        "count": adjustment.figures.count,
        "amount_cents": adjustment.figures.amount_cents,
        "illegal_fireworks_cents": adjustment.figures.illegal_fireworks_cents,
    }


# CSV -------------------------------------------------------------------------------------------


def render_csv(report: Report) -> str:
    """Long format: one row per figure, its dimensions, and the base year's beside it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(report))
    return out.getvalue()


def _csv_rows(report: Report) -> Iterator[list[object]]:
    def row(
        section: str, measure_name: str, measure: Measure, kind: str = "", **where: str
    ) -> list[object]:
        return [
            section,
            report.year,
            kind,
            where.get("category", ""),
            where.get("wijk", ""),
            measure_name,
            measure.value,
            _blank(report.base_year),
            _blank(measure.base),
            _blank(measure.difference),
            _blank(measure.change_percent),
        ]

    for kind, measure in report.counts.items():
        yield row("totals", "count", measure, kind)
    yield row("damage", "amount_cents", report.damage_cents, DAMAGE)
    yield row("damage", "illegal_fireworks_cents", report.illegal_fireworks_cents, DAMAGE)
    share = report.illegal_fireworks_share
    yield [
        "damage",
        report.year,
        DAMAGE,
        "",
        "",
        "illegal_fireworks_share_percent",
        _blank(share.value),
        _blank(report.base_year),
        _blank(share.base),
        _blank(share.difference),
        "",
    ]
    for c in report.top_damage_categories:
        yield row(
            f"top_damage_category_{c.rank}",
            "amount_cents",
            c.amount_cents,
            DAMAGE,
            category=c.category,
        )
    for area in report.camera_areas:
        yield row("camera_area", "count", area.count, CAMERA, wijk=area.wijk)
    for wijk in report.wijken:
        for kind, measure in wijk.counts.items():
            yield row("wijk", "count", measure, kind, wijk=wijk.wijk)
        yield row("wijk", "amount_cents", wijk.damage_cents, DAMAGE, wijk=wijk.wijk)
    for change in report.enforcement_by_year:
        yield [
            "enforcement_by_year",
            change.year,
            ENFORCEMENT,
            "",
            "",
            "count",
            change.count,
            _blank(change.year - 1 if change.change is not None else None),
            "",
            _blank(change.change),
            _blank(change.change_percent),
        ]
    for point in report.trend:
        for kind, count in point.counts.items():
            yield ["trend", point.year, kind, "", "", "count", count, "", "", "", ""]
        yield [
            "trend",
            point.year,
            DAMAGE,
            "",
            "",
            "amount_cents",
            point.damage_cents,
            "",
            "",
            "",
            "",
        ]
    for status in filter(None, (report.status, report.base_status)):
        for a in status.adjustments:
            for name in ("count", "amount_cents", "illegal_fireworks_cents"):
                yield [
                    "adjustment",
                    status.year,
                    a.kind,
                    a.category or "",
                    a.wijk or "",
                    name,
                    getattr(a.figures, name),
                    "",
                    "",
                    "",
                    "",
                ]


def _blank(value: object) -> object:
    return "" if value is None else value


# Table -----------------------------------------------------------------------------------------


def print_table(report: Report, console: Console) -> None:
    """The report as rich tables; money Dutch-style with cents (€ 69.854,00)."""
    base = report.base_year
    title = f"Wijkwacht annual report {report.year}" + (
        f", compared with {base}" if base is not None else ""
    )
    console.print(f"[bold]{title}[/bold]")
    for status in filter(None, (report.status, report.base_status)):
        console.print(_status_line(status))
    console.print()

    table = _table(report, "Figure")
    for kind in KINDS:
        table.add_row(KIND_LABELS[kind], *_cells(report, report.counts[kind], count))
    table.add_row("New Year damage", *_cells(report, report.damage_cents, euros))
    table.add_row(
        "  of which illegal fireworks", *_cells(report, report.illegal_fireworks_cents, euros)
    )
    share = report.illegal_fireworks_share
    share_cells = [percent(share.value)]
    if base is not None:
        share_cells += [percent(share.base), points(share.difference), ""]
    table.add_row("  illegal fireworks share", *share_cells)
    console.print(table)

    years = Table(title="Enforcement reports per year", box=box.SIMPLE_HEAD, title_justify="left")
    for name in ("Year", "Reports", "Change", "Change %"):
        years.add_column(name, justify="left" if name == "Year" else "right")
    for change in report.enforcement_by_year:
        years.add_row(
            str(change.year),
            count(change.count),
            signed_count(change.change),
            signed_percent(change.change_percent),
        )
    console.print(years)

    top = _table(report, "#", "Largest damage categories " + str(report.year), "Category")
    for c in report.top_damage_categories:
        top.add_row(str(c.rank), c.name, *_cells(report, c.amount_cents, euros))
    console.print(top)

    cameras = _table(report, "Camera area (wijk)", "Camera incidents per camera area", "Cameras")
    for area in report.camera_areas:
        names = ", ".join(c.name + ("" if c.fixed else " (temporary)") for c in area.cameras)
        cameras.add_row(area.name, names or "-", *_cells(report, area.count, count))
    console.print(cameras)
    console.print(f"[italic]{CAMERA_NOTE}[/italic]\n")

    wijken = _table(report, "Wijk", "Per wijk", "Figure")
    for wijk in report.wijken:
        for kind in KINDS:
            name = wijk.name if kind == KINDS[0] else ""
            wijken.add_row(name, KIND_LABELS[kind], *_cells(report, wijk.counts[kind], count))
        wijken.add_row(
            "", "New Year damage", *_cells(report, wijk.damage_cents, euros), end_section=True
        )
    console.print(wijken)

    for status in filter(None, (report.status, report.base_status)):
        if status.closing is not None:
            _print_adjustments(status, console)


def _status_line(status: YearStatus) -> str:
    closing = status.closing
    if closing is None:
        return f"{status.year}: open; current figures."
    when = closing.closed_at.strftime("%Y-%m-%d %H:%M %Z")
    return (
        f"{status.year}: closed on {when} by {closing.closed_by}; published figures, "
        "post-closing adjustments listed separately below."
    )


def _print_adjustments(status: YearStatus, console: Console) -> None:
    title = (
        f"Post-closing adjustments {status.year} (arrived after closing; "
        "NOT included in the published figures above)"
    )
    if not status.adjustments:
        console.print(f"{title}: none.")
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for name in ("Kind", "Category", "Wijk", "Count", "Amount", "Illegal fireworks"):
        table.add_column(name, justify="right" if name in ("Count", "Amount") else "left")
    for a in (*status.adjustments, *status.adjustment_totals):
        total = a.category is None and a.wijk is None
        table.add_row(
            KIND_LABELS.get(a.kind, a.kind) + (" (total)" if total else ""),
            a.category or "",
            a.wijk or "",
            signed_count(a.figures.count),
            signed_euros(a.figures.amount_cents),
            signed_euros(a.figures.illegal_fireworks_cents),
        )
    console.print(table)


def _table(report: Report, first: str, title: str | None = None, *labels: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for name in (first, *labels):
        table.add_column(name)
    table.add_column(str(report.year), justify="right")
    if report.base_year is not None:
        for name in (str(report.base_year), "Difference", "Change"):
            table.add_column(name, justify="right")
    return table


def _cells(report: Report, measure: Measure, fmt: Callable[[int], str]) -> list[str]:
    cells = [fmt(measure.value)]
    if report.base_year is not None:
        signed = signed_euros if fmt is euros else signed_count
        cells += [
            fmt(measure.base or 0),
            signed(measure.difference),
            signed_percent(measure.change_percent),
        ]
    return cells


def count(value: int) -> str:
    """8989 → '8.989' (Dutch thousands separator)."""
    return f"{value:,}".replace(",", ".")


def signed_count(value: int | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "-" if value < 0 else "") + count(abs(value))


def euros(cents: int) -> str:
    """6985400 → '€ 69.854,00'; from integer cents, never through a float."""
    whole, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else "") + f"€ {count(whole)},{rest:02d}"


def signed_euros(cents: int | None) -> str:
    if cents is None:
        return "-"
    return ("+" if cents > 0 else "-" if cents < 0 else "") + euros(abs(cents))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %".replace(".", ",")


def signed_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %".replace(".", ",")


def points(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} pp".replace(".", ",")


# Chart -----------------------------------------------------------------------------------------


def write_chart(report: Report, path: Path) -> None:
    """The multi-year trend per kind (counts) above New Year damage in euros, as PNG or SVG."""
    from matplotlib.figure import Figure  # Figure without pyplot: Agg, no display needed

    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise ReportError(f"{path}: the chart must be a .png or .svg file")
    years = [p.year for p in report.trend]
    figure = Figure(figsize=(8, 7), layout="constrained")
    counts_axes, damage_axes = figure.subplots(2, 1, sharex=True)
    for kind in KINDS:
        counts_axes.plot(
            years, [p.counts[kind] for p in report.trend], marker="o", label=KIND_LABELS[kind]
        )
    counts_axes.set_title(f"Wijkwacht: incidents per year up to {report.year}")
    counts_axes.set_ylabel("count")
    counts_axes.set_ylim(bottom=0)
    counts_axes.legend()
    counts_axes.grid(alpha=0.3)
    damage_axes.bar(years, [p.damage_cents / 100 for p in report.trend], color="tab:red")
    damage_axes.set_title("New Year damage (by year of New Year's Eve)")
    damage_axes.set_ylabel("euro")
    damage_axes.set_xticks(years, [str(y) for y in years])
    damage_axes.grid(axis="y", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"Date": None} if suffix == ".svg" else {}
    figure.savefig(path, format=suffix[1:], metadata=metadata)
