"""The report as CSV in long format (`render_csv`): one row per figure and its dimensions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from events.kinds import CAMERA, CASE, DAMAGE, DOMESTIC, ENFORCEMENT, RESTRAINING
from service.report.build import Report
from service.report.measures import Measure

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
    "housing",  # section 5.1's rows by housing type; blank elsewhere
)


def render_csv(report: Report) -> str:
    """Long format: one row per figure, its dimensions, and the base year's beside it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    width = len(CSV_COLUMNS)
    writer.writerows([*r, *[""] * (width - len(r))] for r in _csv_rows(report))
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
    home = report.home
    for name in ("registered", "closed", "open", "stock"):
        yield row("woonoverlast", name, getattr(home, name), CASE)
    for housing in home.by_housing:
        yield [*row("woonoverlast_by_housing", "open", housing.open, CASE), housing.housing]
    if home.most_open is not None:
        most = home.most_open
        yield row("woonoverlast_most_open", "open", Measure(most.open), CASE, wijk=most.wijk)
    yield row("home", "count", home.domestic_violence, DOMESTIC)
    yield row("home", "count", home.restraining_orders, RESTRAINING)
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
