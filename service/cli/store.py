"""Commands on the store: migrate, replay, reconcile, close a year, the annual report."""

from __future__ import annotations

import asyncio
import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from service.cli.common import fail, store, wiring
from storage.errors import MigrationError


def migrate() -> None:
    """Bring the store's schema up to date and exit."""
    try:
        wiring().migrate()
    except MigrationError as exc:
        fail(str(exc), 1)
    typer.echo("store schema is up to date")


def replay() -> None:
    """Rebuild every aggregate from offset 0 of the input topic (stop all workers first)."""
    from service.stream.replay import ReplayError

    wired = wiring()
    store(wired)
    try:
        result = asyncio.run(wired.replay())
    except ReplayError as exc:
        fail(str(exc), 1)
    typer.echo(
        f"state emptied on {result['partitions']} partitions and "
        f"{result['store_rows_cleared']} store rows cleared; "
        "start the workers to rebuild from offset 0"
    )


def reconcile(
    year: Annotated[int, typer.Option(help="The year to check", min=2000, max=2100)],
) -> None:
    """Recompute a year from the stored incidents and woonoverlast cases and print every
    difference with the materialised totals; exit 0 only if there is none. Run it when the
    processors have caught up (GET /v1/live: as_of.events_behind 0): mid-stream the two may
    be a batch apart."""
    from service.read.cases import case_differences, recounted
    from service.read.yearly import reconcile as differences
    from storage.repository import ALL_GROUPS

    repository = store(wiring())
    closing = repository.closing(year)
    if closing is not None and closing.incidents_purged_at is not None:
        typer.echo(
            f"{year}: its incident rows were purged on {closing.incidents_purged_at:%Y-%m-%d}; "
            "its totals stand as published, with nothing left to check them against"
        )
        return
    found = differences(repository.totals(year=year), repository.incident_totals(year=year))
    materialised = repository.totals(year=year, group_by=ALL_GROUPS, cases=True)
    cases = recounted(repository.case_states(), year)
    found += case_differences(materialised, cases)
    for line in found:
        typer.echo(line)
    if found:
        fail(f"{year}: {len(found)} difference(s) between totals and incidents or cases", 1)
    rows = repository.totals(year=year)
    typer.echo(
        f"{year}: totals and incidents agree ({len(rows)} rows, "
        f"{sum(r.count for r in rows)} incidents counted), and so do the woonoverlast cases' "
        f"cells and the stored cases ({len(cases)} cells)"
    )


def close_year(
    year: Annotated[int, typer.Option(help="The year to close", min=2000, max=2100)],
    by: Annotated[str, typer.Option(help="Who closes it (recorded with the closing)")],
) -> None:
    """Freeze a year's totals as published. Events for it that arrive later are still counted,
    as post-closing adjustments shown beside the published figures."""
    from storage.repository import YearClosed

    repository = store(wiring())
    try:
        closing = repository.close_year(year, by=by)
    except YearClosed as exc:
        fail(str(exc), 1)
    total = sum(r.count for r in repository.published_totals(year=year))
    typer.echo(
        f"{year} closed at {closing.closed_at.isoformat()} by {by}: {total} incidents published"
    )


def purge(
    before: Annotated[
        int, typer.Option(help="Purge the incident rows of every year before this one", min=2001)
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Purge; without it, only say what")] = False,
) -> None:
    """Delete the stored incident rows of closed years the municipality need no longer keep
    (AVG: storage limitation). Their totals, published and materialised, stay; incident rows of
    those years are kept out from then on, even through a replay. Every earlier year must be
    closed. docs/operations.md#privacy-retention-and-purging says what else holds incidents."""
    from storage.repository import NotClosed

    repository = store(wiring())
    years = [y for y in repository.years() if y < before]
    if not yes:
        typer.echo(
            f"would purge the incident rows of {', '.join(map(str, years)) or 'no year'} "
            f"(every year before {before}); run again with --yes to purge"
        )
        return
    try:
        purged = repository.purge_incidents(before=before)
    except NotClosed as exc:
        fail(str(exc), 1)
    typer.echo(
        f"incident rows purged for {', '.join(map(str, purged)) or 'no year'}; "
        "their totals stay as published"
    )


class ReportFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def report(
    year: Annotated[int, typer.Option(help="the reporting year", show_default=False)],
    compare: Annotated[
        int | None, typer.Option(help="an earlier year to set beside it", show_default=False)
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="rich tables, one JSON document, or CSV rows")
    ] = ReportFormat.TABLE,
    chart: Annotated[
        Path | None,
        typer.Option(help="also write the multi-year trend per kind to this .png or .svg file"),
    ] = None,
) -> None:
    """The figures of an annual report from the store; exit 1 if a year has no figures."""
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from service.report import (
        CHART_SUFFIXES,
        NoFigures,
        ReportError,
        build_report,
        print_table,
        render_csv,
        render_json,
        write_chart,
    )

    if compare is not None and compare >= year:
        fail(f"--compare {compare} must be an earlier year than --year {year}")
    if chart is not None and chart.suffix.lower() not in CHART_SUFFIXES:
        fail(f"--chart {chart} must end in .png or .svg")
    wired = wiring()
    repository = store(wired)
    try:
        built = build_report(repository, wired.registries, year, compare)
    except NoFigures as exc:
        fail(f"{'--year' if exc.year == year else '--compare'} {exc.year}: {exc}", 1)
    except SQLAlchemyError as exc:
        fail(f"cannot read the store: {str(exc).splitlines()[0]}", 1)
    finally:
        wired.close()
    if output_format is ReportFormat.JSON:
        typer.echo(render_json(built))
    elif output_format is ReportFormat.CSV:
        typer.echo(render_csv(built), nl=False)
    else:
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        print_table(built, console)
    if chart is not None:
        try:
            write_chart(built, chart)
        except (ReportError, OSError) as exc:
            fail(f"--chart {chart}: {exc}", 1)
        typer.echo(f"chart written to {chart}", err=True)
