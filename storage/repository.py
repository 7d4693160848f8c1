"""The store's repository: the port (`TotalsRepository`, storage/port.py) over SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from events.kinds import CASE_CELL_KINDS
from storage.errors import StorageError
from storage.models import (
    AggregateCell,
    CaseRecord,
    ClosedYear,
    IncidentRecord,
    PublishedTotal,
    QuarantineRecord,
)
from storage.port import ALL_GROUPS, GROUPS, TotalsRepository
from storage.rows import (
    CaseRow,
    Closing,
    IncidentRow,
    NotClosed,
    Quarantined,
    TotalRow,
    YearCell,
    YearClosed,
)

__all__ = [
    "ALL_GROUPS",
    "GROUPS",
    "CaseRow",
    "Closing",
    "IncidentRow",
    "NotClosed",
    "Quarantined",
    "SqlTotalsRepository",
    "TotalRow",
    "TotalsRepository",
    "YearCell",
    "YearClosed",
]

_BATCH = 500
_CELL_KEY = ("partition", "kind", "category", "wijk", "year", "housing")


class SqlTotalsRepository(TotalsRepository):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def upsert(
        self,
        cells: Sequence[YearCell] = (),
        incidents: Sequence[IncidentRow] = (),
        cases: Sequence[CaseRow] = (),
    ) -> None:
        with self._engine.begin() as connection:
            self._upsert_cells(connection, cells)
            self._upsert_incidents(connection, incidents)
            latest: dict[tuple[str, str], CaseRow] = {}
            for case in cases:
                key = (case.source, case.subject)
                if key not in latest or latest[key].source_offset < case.source_offset:
                    latest[key] = case
            if latest:
                now = datetime.now(UTC)
                rows = [{**asdict(c), "updated_at": now} for c in latest.values()]
                connection.execute(self._upsert_statement(CaseRecord, ("source", "subject")), rows)

    def case_states(self) -> list[str]:
        table = CaseRecord.__table__  # type: ignore[attr-defined]
        with self._engine.connect() as connection:
            return list(connection.execute(select(table.c.state)).scalars())

    def _upsert_cells(self, connection: Connection, cells: Sequence[YearCell]) -> None:
        latest: dict[tuple[int, str, str, str, int, str], YearCell] = {}
        for cell in cells:
            key = (cell.partition, cell.kind, cell.category, cell.wijk, cell.year, cell.housing)
            if key not in latest or latest[key].source_offset < cell.source_offset:
                latest[key] = cell
        rows = [_row(cell) for cell in latest.values()]
        if rows:
            connection.execute(self._upsert_statement(AggregateCell, _CELL_KEY), rows)

    def _upsert_incidents(self, connection: Connection, incidents: Sequence[IncidentRow]) -> None:
        latest: dict[tuple[str, str], IncidentRow] = {}
        for incident in incidents:
            key = (incident.source, incident.subject)
            if key not in latest or latest[key].source_offset < incident.source_offset:
                latest[key] = incident
        closed = ClosedYear.__table__  # type: ignore[attr-defined]
        purged = set(
            connection.execute(
                select(closed.c.year).where(closed.c.incidents_purged_at.is_not(None))
            ).scalars()
        )
        now = datetime.now(UTC)
        rows = [{**_fields(i), "updated_at": now} for i in latest.values() if i.year not in purged]
        if rows:
            connection.execute(self._upsert_statement(IncidentRecord, ("source", "subject")), rows)

    def _upsert_statement(self, model: Any, key: tuple[str, ...]) -> Any:
        """INSERT … ON CONFLICT DO UPDATE where the stored offset is older, for executemany:
        compiled once and cached, the rows sent in bulk by the driver."""
        table = model.__table__
        stmt = self._insert(table)
        return stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key},
            where=table.c.source_offset < stmt.excluded.source_offset,
        )

    def totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
        cases: bool = False,
    ) -> list[TotalRow]:
        table = AggregateCell.__table__  # type: ignore[attr-defined]
        filters = {"kind": kind, "category": category, "wijk": wijk}
        return self._grouped(table, year, group_by, filters, cases=cases)

    def published_totals(
        self,
        *,
        year: int,
        group_by: Sequence[str] = GROUPS,
        kind: str | None = None,
        category: str | None = None,
        wijk: str | None = None,
        cases: bool = False,
    ) -> list[TotalRow]:
        table = PublishedTotal.__table__  # type: ignore[attr-defined]
        filters = {"kind": kind, "category": category, "wijk": wijk}
        return self._grouped(table, year, group_by, filters, cases=cases)

    def incident_totals(self, *, year: int) -> list[TotalRow]:
        table = IncidentRecord.__table__  # type: ignore[attr-defined]
        counted = table.select().where(table.c.withdrawn.is_(False)).subquery()
        return self._grouped(counted, year, GROUPS, {}, count=func.count())

    def _grouped(
        self,
        table: Any,
        year: int,
        group_by: Sequence[str],
        filters: dict[str, str | None],
        count: Any = None,
        cases: bool = False,
    ) -> list[TotalRow]:
        unknown = set(group_by) - set(ALL_GROUPS)
        if unknown:
            raise StorageError(f"cannot group by {', '.join(sorted(unknown))}")
        groups = [table.c[name] for name in ALL_GROUPS if name in group_by]
        count = func.sum(table.c["count"]) if count is None else count
        query = (
            select(
                *groups,
                count,
                func.sum(table.c.amount_cents),
                func.sum(table.c.illegal_fireworks_cents),
            )
            .where(table.c.year == year)
            .where(
                table.c.kind.in_(CASE_CELL_KINDS) if cases else ~table.c.kind.in_(CASE_CELL_KINDS)
            )
            .group_by(*groups)
            .having(count != 0)
            .order_by(*groups)
        )
        for name, value in filters.items():
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
                    housing=values.get("housing"),
                )
            )
        return rows

    def closing(self, year: int) -> Closing | None:
        table = ClosedYear.__table__  # type: ignore[attr-defined]
        with self._engine.connect() as connection:
            found = connection.execute(table.select().where(table.c.year == year)).first()
        if found is None:
            return None
        purged = found.incidents_purged_at
        return Closing(
            found.year, _aware(found.closed_at), found.closed_by, purged and _aware(purged)
        )

    def close_year(self, year: int, by: str) -> Closing:
        closed = ClosedYear.__table__  # type: ignore[attr-defined]
        published = PublishedTotal.__table__  # type: ignore[attr-defined]
        closing = Closing(year, datetime.now(UTC), by)
        rows = [
            {**asdict(r), "year": year}  # incidents' rows and cases' rows, every dimension
            for cases in (False, True)
            for r in self.totals(year=year, group_by=ALL_GROUPS, cases=cases)
        ]
        with self._engine.begin() as connection:
            inserted = connection.execute(
                self._insert(closed)
                .values(year=year, closed_at=closing.closed_at, closed_by=by)
                .on_conflict_do_nothing(index_elements=["year"])
                .returning(closed.c.year)
            )
            if inserted.first() is None:
                raise YearClosed(f"year {year} is closed already")
            for start in range(0, len(rows), _BATCH):
                connection.execute(published.insert().values(rows[start : start + _BATCH]))
        return closing

    def purge_incidents(self, *, before: int) -> list[int]:
        incidents = IncidentRecord.__table__  # type: ignore[attr-defined]
        cells = AggregateCell.__table__  # type: ignore[attr-defined]
        closed = ClosedYear.__table__  # type: ignore[attr-defined]
        with self._engine.begin() as connection:
            held = set(
                connection.execute(
                    select(incidents.c.year).where(incidents.c.year < before).distinct()
                ).scalars()
            ) | set(connection.execute(select(cells.c.year).where(cells.c.year < before)).scalars())
            closed_years = set(
                connection.execute(select(closed.c.year).where(closed.c.year < before)).scalars()
            )
            if still_open := sorted(held - closed_years):
                raise NotClosed(
                    f"{still_open[0]} is not closed: close it first (`wijkwacht close-year`), "
                    "so that its published totals stay when its incidents go"
                )
            connection.execute(incidents.delete().where(incidents.c.year < before))
            connection.execute(
                closed.update()
                .where(closed.c.year < before, closed.c.incidents_purged_at.is_(None))
                .values(incidents_purged_at=datetime.now(UTC))
            )
        return sorted(closed_years)

    def years(self) -> list[int]:
        table = AggregateCell.__table__  # type: ignore[attr-defined]
        query = (
            select(table.c.year)
            .group_by(table.c.year)
            .having(func.sum(table.c["count"]) != 0)
            .order_by(table.c.year)
        )
        with self._engine.connect() as connection:
            return [int(year) for (year,) in connection.execute(query)]

    def quarantine(self, rows: Sequence[Quarantined]) -> int:
        table = QuarantineRecord.__table__  # type: ignore[attr-defined]
        key = [table.c.topic, table.c.partition, table.c.changelog_offset]
        added = 0
        with self._engine.begin() as connection:
            for row in rows:  # one by one: rare, and each says whether it is new
                values = {
                    "topic": row.topic,
                    "partition": row.partition,
                    "changelog_offset": row.offset,
                    "key": row.key,
                    "reason": row.reason,
                    "quarantined_at": row.at,
                }
                insert = self._insert(table).values(values)
                statement = insert.on_conflict_do_nothing(index_elements=key).returning(
                    table.c.topic
                )
                added += len(connection.execute(statement).all())
        return added

    def quarantined(self) -> int:
        table = QuarantineRecord.__table__  # type: ignore[attr-defined]
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def clear_aggregates(self) -> int:
        cleared = 0
        with self._engine.begin() as connection:
            for model in (AggregateCell, IncidentRecord, CaseRecord, QuarantineRecord):
                table = model.__table__  # type: ignore[union-attr]
                cleared += int(connection.execute(table.delete()).rowcount)
        return cleared

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
        "housing": cell.housing,
        "count": cell.count,
        "amount_cents": cell.amount_cents,
        "illegal_fireworks_cents": cell.illegal_fireworks_cents,
        "source_offset": cell.source_offset,
        "updated_at": datetime.now(UTC),
    }


def _fields(incident: IncidentRow) -> dict[str, Any]:
    return {name: getattr(incident, name) for name in IncidentRow.__slots__}


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
