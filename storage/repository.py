"""The store's repository: the port (`TotalsRepository`) and its SQL implementation."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.errors import StorageError
from storage.models import AggregateCell

GROUPS = ("kind", "category", "wijk")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class YearCell:
    """One input partition's absolute yearly aggregate, stamped with its input offset."""

    partition: int
    kind: str
    category: str
    wijk: str
    year: int
    count: int
    amount_cents: int
    illegal_fireworks_cents: int
    source_offset: int


@dataclass(frozen=True, slots=True)
class TotalRow:
    """A yearly total; a dimension not grouped by is None."""

    kind: str | None
    category: str | None
    wijk: str | None
    count: int
    amount_cents: int
    illegal_fireworks_cents: int


class TotalsRepository(abc.ABC):
    @abc.abstractmethod
    def upsert_cells(self, cells: Sequence[YearCell]) -> None:
        """Store absolute values; a cell keeps whichever value has the higher offset."""

    @abc.abstractmethod
    def totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> list[TotalRow]:
        """Totals of one year, summed over partitions, grouped by a subset of GROUPS."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StorageError unless the store answers."""

    @abc.abstractmethod
    def clear_aggregates(self) -> int:
        """Delete every materialised aggregate (for a replay); return how many rows went."""


class SqlTotalsRepository(TotalsRepository):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def upsert_cells(self, cells: Sequence[YearCell]) -> None:
        latest: dict[tuple[int, str, str, str, int], YearCell] = {}
        for cell in cells:
            key = (cell.partition, cell.kind, cell.category, cell.wijk, cell.year)
            if key not in latest or latest[key].source_offset < cell.source_offset:
                latest[key] = cell
        rows = [_row(cell) for cell in latest.values()]
        table = AggregateCell.__table__  # type: ignore[attr-defined]
        with self._engine.begin() as connection:
            for start in range(0, len(rows), _BATCH):
                stmt = self._insert(table).values(rows[start : start + _BATCH])
                stmt = stmt.on_conflict_do_update(
                    index_elements=["partition", "kind", "category", "wijk", "year"],
                    set_={
                        name: stmt.excluded[name]
                        for name in (
                            "count",
                            "amount_cents",
                            "illegal_fireworks_cents",
                            "source_offset",
                            "updated_at",
                        )
                    },
                    where=table.c.source_offset < stmt.excluded.source_offset,
                )
                connection.execute(stmt)

    def totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
    ) -> list[TotalRow]:
        unknown = set(group_by) - set(GROUPS)
        if unknown:
            raise StorageError(f"cannot group by {', '.join(sorted(unknown))}")
        table = AggregateCell.__table__  # type: ignore[attr-defined]
        groups = [table.c[name] for name in GROUPS if name in group_by]
        count = func.sum(table.c["count"])
        query = (
            select(
                *groups,
                count,
                func.sum(table.c.amount_cents),
                func.sum(table.c.illegal_fireworks_cents),
            )
            .where(table.c.year == year)
            .group_by(*groups)
            .having(count != 0)
            .order_by(*groups)
        )
        for name, value in (("kind", kind), ("category", category), ("wijk", wijk)):
            if value is not None:
                query = query.where(table.c[name] == value)
        with self._engine.connect() as connection:
            result = connection.execute(query).all()
        rows = []
        for record in result:
            values = dict(zip([g.name for g in groups], record[: len(groups)], strict=True))
            c, a, f = record[len(groups) :]
            rows.append(
                TotalRow(
                    kind=values.get("kind"),
                    category=values.get("category"),
                    wijk=values.get("wijk"),
                    count=int(c),
                    amount_cents=int(a),
                    illegal_fireworks_cents=int(f),
                )
            )
        return rows

    def clear_aggregates(self) -> int:
        table = AggregateCell.__table__  # type: ignore[attr-defined]
        with self._engine.begin() as connection:
            return int(connection.execute(table.delete()).rowcount)

    def ping(self) -> None:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise StorageError(f"store unreachable: {exc.__class__.__name__}") from exc


def _row(cell: YearCell) -> dict[str, Any]:
    return {
        "partition": cell.partition,
        "kind": cell.kind,
        "category": cell.category,
        "wijk": cell.wijk,
        "year": cell.year,
        "count": cell.count,
        "amount_cents": cell.amount_cents,
        "illegal_fireworks_cents": cell.illegal_fireworks_cents,
        "source_offset": cell.source_offset,
        "updated_at": datetime.now(UTC),
    }
