"""The report's chart, PNG or SVG (`write_chart`): one panel per figure, each on its own scale,
so that a few dozen camera incidents do not lie flat beside thousands of enforcement reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events.kinds import CAMERA, DOMESTIC, ENFORCEMENT, RESTRAINING
from service.report.build import KIND_LABELS, Report, ReportError

CHART_SUFFIXES = (".png", ".svg")


def write_chart(report: Report, path: Path) -> None:
    """Per year up to the report year: enforcement reports, camera incidents, New Year damage
    in euros, domestic violence and restraining orders; and the report year's open
    woonoverlast cases per housing type (beside the base year's when comparing)."""
    from matplotlib.figure import Figure  # Figure without pyplot: Agg, no display needed

    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise ReportError(f"{path}: the chart must be a .png or .svg file")
    years = [p.year for p in report.trend]
    labels = [str(y) for y in years]
    figure = Figure(figsize=(11, 10), layout="constrained")
    figure.suptitle(f"Wijkwacht: figures per year up to {report.year}")
    panels = figure.subplots(3, 2)
    for axes, kind in ((panels[0][0], ENFORCEMENT), (panels[0][1], CAMERA)):
        _bars(axes, labels, [p.counts[kind] for p in report.trend], KIND_LABELS[kind], "count")
    damage = [p.damage_cents / 100 for p in report.trend]
    _bars(panels[1][0], labels, damage, "New Year damage (by year of New Year's Eve)", "euro")
    _bars(
        panels[1][1],
        labels,
        [p.counts[DOMESTIC] for p in report.trend],
        KIND_LABELS[DOMESTIC],
        "count",
    )
    _bars(
        panels[2][0],
        labels,
        [p.counts[RESTRAINING] for p in report.trend],
        KIND_LABELS[RESTRAINING],
        "count",
    )
    _housing(panels[2][1], report)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"Date": None} if suffix == ".svg" else {}
    figure.savefig(path, format=suffix[1:], metadata=metadata)


def _bars(axes: Any, labels: list[str], values: list[float], title: str, unit: str) -> None:
    bars = axes.bar(labels, values)
    axes.bar_label(bars, labels=[f"{v:,.0f}".replace(",", ".") for v in values], fontsize=8)
    axes.set_title(title)
    axes.set_ylabel(unit)
    axes.set_ylim(bottom=0, top=max([*values, 1]) * 1.15)
    axes.grid(axis="y", alpha=0.3)


def _housing(axes: Any, report: Report) -> None:
    home = report.home
    names = [h.name for h in home.by_housing]
    width = 0.4 if report.base_year is not None else 0.8
    places = range(len(names))
    shown = [(report.year, [h.open.value for h in home.by_housing], 0.0)]
    if report.base_year is not None:
        base = [h.open.base or 0 for h in home.by_housing]
        shown = [(report.base_year, base, -width / 2), (report.year, shown[0][1], width / 2)]
    for year, values, shift in shown:
        bars = axes.bar([x + shift for x in places], values, width, label=str(year))
        axes.bar_label(bars, fontsize=8)
    axes.set_xticks(list(places), names)
    axes.set_title("Open woonoverlast cases at year end, per housing type")
    axes.set_ylabel("cases")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
