"""Year-end figures as the controller reads them: published totals of closed years with
post-closing adjustments beside them, comparisons between years, and reconciliation.

Pure functions over rows read from the store; the API, `wijkwacht report` and
`wijkwacht reconcile` all go through here so that they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.domain.figures import ZERO, Figures
from storage.repository import GROUPS, Closing, TotalRow, TotalsRepository

Key = tuple[str | None, str | None, str | None]  # kind, category, wijk (None: not grouped)


@dataclass(frozen=True, slots=True)
class YearTotals:
    """A year's figures: the published ones once it is closed (else the current ones), and
    what arrived after closing, never mixed into them."""

    year: int
    group_by: tuple[str, ...]
    rows: dict[Key, Figures]
    adjustments: dict[Key, Figures] = field(default_factory=dict)
    closing: Closing | None = None

    def total(self, **where: str) -> Figures:
        """The sum over rows matching `where` (kind=…, category=…, wijk=…)."""
        return sum((figures for key, figures in self.rows.items() if _matches(key, where)), ZERO)


@dataclass(frozen=True, slots=True)
class Comparison:
    key: Key
    year: Figures
    base: Figures

    @property
    def difference(self) -> Figures:
        return self.year - self.base

    def change_percent(self, attribute: str) -> float | None:
        """Percentage change from base to year; None where base is 0."""
        before, after = getattr(self.base, attribute), getattr(self.year, attribute)
        return None if before == 0 else round((after - before) * 100 / before, 1)


def by_key(rows: Iterable[TotalRow]) -> dict[Key, Figures]:
    return {
        (r.kind, r.category, r.wijk): Figures(r.count, r.amount_cents, r.illegal_fireworks_cents)
        for r in rows
    }


def year_totals(
    repository: TotalsRepository,
    year: int,
    group_by: Sequence[str] = GROUPS,
    kind: str | None = None,
    category: str | None = None,
    wijk: str | None = None,
) -> YearTotals:
    where = {"group_by": group_by, "kind": kind, "category": category, "wijk": wijk}
    current = by_key(repository.totals(year=year, **where))  # type: ignore[arg-type]
    groups = tuple(g for g in GROUPS if g in group_by)
    closing = repository.closing(year)
    if closing is None:
        return YearTotals(year, groups, current)
    published = by_key(repository.published_totals(year=year, **where))  # type: ignore[arg-type]
    adjustments = {
        key: delta
        for key in sorted(set(current) | set(published), key=_order)
        if (delta := current.get(key, ZERO) - published.get(key, ZERO))
    }
    return YearTotals(year, groups, published, adjustments, closing)


def compare(year: YearTotals, base: YearTotals) -> list[Comparison]:
    keys = sorted(set(year.rows) | set(base.rows), key=_order)
    return [Comparison(k, year.rows.get(k, ZERO), base.rows.get(k, ZERO)) for k in keys]


def reconcile(materialised: Iterable[TotalRow], recomputed: Iterable[TotalRow]) -> list[str]:
    """Every difference between the materialised totals and those recomputed from the
    incidents, one line each; empty when they agree."""
    have, want = by_key(materialised), by_key(recomputed)
    lines = []
    for key in sorted(set(have) | set(want), key=_order):
        a, b = have.get(key, ZERO), want.get(key, ZERO)
        if a != b:
            lines.append(
                f"{'/'.join(k or '*' for k in key)}: totals count {a.count}, "
                f"amount_cents {a.amount_cents}, illegal_fireworks_cents "
                f"{a.illegal_fireworks_cents}; incidents count {b.count}, amount_cents "
                f"{b.amount_cents}, illegal_fireworks_cents {b.illegal_fireworks_cents}"
            )
    return lines


def _matches(key: Key, where: dict[str, str]) -> bool:
    return all(key[GROUPS.index(name)] == value for name, value in where.items())


def _order(key: Key) -> tuple[str, str, str]:
    return (key[0] or "", key[1] or "", key[2] or "")
