"""Small numbers kept out of open data (AVG): a cell counting fewer incidents than the threshold
is shown only as `<threshold`, without its amounts, and left out of every sum published beside
it, so that no published figure, nor a difference of two of them, gives it away.

Pure: rows in, the publishable table out.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from service.domain.figures import ZERO, Figures

Key = tuple[str, str, str]  # kind, category, wijk


@dataclass(frozen=True, slots=True)
class OpenCell:
    key: Key
    figures: Figures | None  # None: suppressed, fewer incidents than the threshold


@dataclass(frozen=True, slots=True)
class OpenTable:
    threshold: int
    cells: list[OpenCell]
    # Per kind: the sum of its published cells only, and how many cells were suppressed.
    published: dict[str, Figures] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)


def suppress(
    rows: Mapping[Key, Figures], threshold: int, also: Set[Key] = frozenset()
) -> OpenTable:
    """The rows with a count below `threshold` suppressed, and those in `also` (secondary
    suppression, `across_months`); rows that count nothing are left out (a zero is no
    incident to protect, and an empty cell says nothing)."""
    cells: list[OpenCell] = []
    published: dict[str, Figures] = {}
    suppressed: dict[str, int] = {}
    for key in sorted(rows):
        figures = rows[key]
        if figures.count <= 0:
            continue
        kind = key[0]
        published.setdefault(kind, ZERO)
        suppressed.setdefault(kind, 0)
        if figures.count < threshold or key in also:
            cells.append(OpenCell(key, None))
            suppressed[kind] += 1
        else:
            cells.append(OpenCell(key, figures))
            published[kind] += figures
    return OpenTable(threshold, cells, published, suppressed)


def across_months(
    months: Mapping[int, Mapping[Key, Figures]], threshold: int
) -> dict[int, set[Key]]:
    """Per month, the cells to suppress besides the small ones, so that a month's answer and
    the year's answer together give none away. The year's count less the months shown is
    what the suppressed months hold together: one small month suppressed alone would be
    revealed by that difference. So within each cell, the suppressed months of a year must
    together count zero or at least `threshold`; the smallest further months are suppressed
    until they do (if the whole year is small, it is suppressed in the year's answer too)."""
    counts: dict[Key, list[tuple[int, int]]] = {}
    for month, rows in months.items():
        for key, figures in rows.items():
            if figures.count > 0:
                counts.setdefault(key, []).append((figures.count, month))
    hidden: dict[int, set[Key]] = {month: set() for month in months}
    for key, found in counts.items():
        small = sum(count for count, _ in found if count < threshold)
        shown = sorted((count, month) for count, month in found if count >= threshold)
        while 0 < small < threshold and shown:
            count, month = shown.pop(0)
            hidden[month].add(key)
            small += count
    return hidden


def hidden(rows: Mapping[Any, tuple[int, ...]], threshold: int) -> set[Any]:
    """The rows of one answer a reader who is not an operator may not see (sensitive kinds:
    domestic violence, restraining orders, woonoverlast cases): every row with a figure of 1
    to `threshold` - 1; then, while the hidden rows of a figure together hold 1 to
    `threshold` - 1 (the total beside the rows would give them away), the smallest row still
    shown that holds some of that figure as well."""
    small = {key for key, figures in rows.items() if any(0 < n < threshold for n in figures)}
    width = max((len(figures) for figures in rows.values()), default=0)
    while True:
        revealing = [n for n in range(width) if 0 < sum(rows[k][n] for k in small) < threshold]
        helping = [k for k in rows if k not in small and any(rows[k][n] for n in revealing)]
        if not helping:
            return small
        small.add(min(helping, key=lambda k: (max(rows[k]), repr(k))))
