"""The report's multi-year trend as a PNG or SVG chart (`write_chart`)."""

from __future__ import annotations

from pathlib import Path

from events.kinds import PLACE_KINDS
from service.report.build import KIND_LABELS, Report, ReportError

CHART_SUFFIXES = (".png", ".svg")


def write_chart(report: Report, path: Path) -> None:
    """The multi-year trend per kind (counts) above New Year damage in euros, as PNG or SVG."""
    from matplotlib.figure import Figure  # Figure without pyplot: Agg, no display needed

    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise ReportError(f"{path}: the chart must be a .png or .svg file")
    years = [p.year for p in report.trend]
    figure = Figure(figsize=(8, 7), layout="constrained")
    counts_axes, damage_axes = figure.subplots(2, 1, sharex=True)
    for kind in PLACE_KINDS:
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
