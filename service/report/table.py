"""The report as rich tables in the terminal (`print_table`)."""

from __future__ import annotations

from collections.abc import Callable

from rich import box
from rich.console import Console
from rich.table import Table

from events.kinds import PLACE_KINDS
from service.domain.formats import (
    count,
    euros,
    percent,
    points,
    signed_count,
    signed_euros,
    signed_percent,
)
from service.report.build import CAMERA_NOTE, KIND_LABELS, Report, YearStatus
from service.report.measures import Measure


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
    for kind in PLACE_KINDS:
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
        for kind in PLACE_KINDS:
            name = wijk.name if kind == PLACE_KINDS[0] else ""
            wijken.add_row(name, KIND_LABELS[kind], *_cells(report, wijk.counts[kind], count))
        wijken.add_row(
            "", "New Year damage", *_cells(report, wijk.damage_cents, euros), end_section=True
        )
    console.print(wijken)

    _print_home(report, console)

    for status in filter(None, (report.status, report.base_status)):
        if status.closing is not None:
            _print_adjustments(status, console)


def _print_home(report: Report, console: Console) -> None:
    """Section 5.1: safety in the home."""
    home = report.home
    table = _table(report, "Figure", "Safety in the home (5.1)")
    table.add_row("Woonoverlast cases registered", *_cells(report, home.registered, count))
    table.add_row("  of which closed at year end", *_cells(report, home.closed, count))
    table.add_row("  of which open at year end", *_cells(report, home.open, count))
    table.add_row("Open cases at year end, all years", *_cells(report, home.stock, count))
    table.add_row("Domestic violence registered", *_cells(report, home.domestic_violence, count))
    table.add_row("Temporary restraining orders", *_cells(report, home.restraining_orders, count))
    console.print(table)
    housing = _table(report, "Housing type", f"Open woonoverlast cases {report.year}")
    for h in home.by_housing:
        housing.add_row(h.name, *_cells(report, h.open, count))
    console.print(housing)
    most = home.most_open
    if most is not None:
        console.print(f"Wijk with the most open cases: {most.name} ({count(most.open)})\n")


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
