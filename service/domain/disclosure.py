"""Small numbers kept out of open data (AVG): a cell counting fewer incidents than the threshold
is shown only as `<threshold`, without its amounts, and left out of every sum published beside
it, so that no published figure, nor a difference of two of them, gives it away.

Pure: rows in, the publishable table out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


def suppress(rows: Mapping[Key, Figures], threshold: int) -> OpenTable:
    """The rows with a count below `threshold` suppressed; rows that count nothing are left
    out (a zero is no incident to protect, and an empty cell says nothing)."""
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
        if figures.count < threshold:
            cells.append(OpenCell(key, None))
            suppressed[kind] += 1
        else:
            cells.append(OpenCell(key, figures))
            published[kind] += figures
    return OpenTable(threshold, cells, published, suppressed)
