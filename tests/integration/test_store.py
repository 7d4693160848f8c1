"""The SQL repository and migrations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect

from storage.engine import make_engine
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.models import IncidentRecord
from storage.repository import (
    ALL_GROUPS,
    IncidentRow,
    NotClosed,
    SqlTotalsRepository,
    TotalRow,
    YearCell,
    YearClosed,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def repository(database_url: str) -> SqlTotalsRepository:
    upgrade(database_url)
    return SqlTotalsRepository(make_engine(database_url))


def cell(partition: int, count: int, offset: int, **where: object) -> YearCell:
    values: dict = {
        "kind": "jaarwisselingsschade",
        "category": "verharding",
        "wijk": "dorp",
        "year": 2022,
    }
    values.update(where)
    return YearCell(
        partition=partition,
        count=count,
        amount_cents=count * 100,
        illegal_fireworks_cents=count * 10,
        source_offset=offset,
        **values,
    )


def test_migrations_run_twice_and_concurrently(database_url: str) -> None:
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(database_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    upgrade(database_url)
    assert errors == []
    tables = inspect(make_engine(database_url)).get_table_names()
    assert {"aggregate_cell", "incident", "closed_year", "published_total"} <= set(tables)


def test_totals_sum_partitions_and_an_older_offset_never_wins(
    repository: SqlTotalsRepository,
) -> None:
    repository.upsert([cell(0, 3, 10), cell(1, 2, 4)])
    repository.upsert([cell(0, 1, 9), cell(1, 2, 4)])  # redelivered older value: ignored
    assert repository.totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 5, 500, 50)
    ]
    repository.upsert([cell(0, 7, 11)])
    assert repository.totals(year=2022)[0].count == 9


def test_a_batch_with_one_cell_twice_keeps_the_newest(repository: SqlTotalsRepository) -> None:
    repository.upsert([cell(0, 1, 1), cell(0, 4, 3), cell(0, 2, 2)])
    assert repository.totals(year=2022)[0].count == 4


def test_group_by_and_filters(repository: SqlTotalsRepository) -> None:
    repository.upsert(
        [
            cell(0, 1, 1),
            cell(0, 2, 2, wijk="rokkeveen"),
            cell(1, 4, 3, kind="handhavingsmelding", category="afval"),
            cell(1, 8, 4, year=2021),
            cell(2, 0, 5, wijk="meerzicht"),  # an incident that was withdrawn again
        ]
    )
    by_kind = repository.totals(year=2022, group_by=["kind"])
    assert [(r.kind, r.category, r.wijk, r.count) for r in by_kind] == [
        ("handhavingsmelding", None, None, 4),
        ("jaarwisselingsschade", None, None, 3),
    ]
    assert [r.count for r in repository.totals(year=2022, group_by=[])] == [7]
    only = repository.totals(year=2022, group_by=["wijk"], kind="jaarwisselingsschade")
    assert [(r.wijk, r.count) for r in only] == [("dorp", 1), ("rokkeveen", 2)]
    assert repository.totals(year=2021, group_by=["kind"])[0].count == 8
    with pytest.raises(StorageError):
        repository.totals(year=2022, group_by=["camera"])


def test_ping_fails_on_unreachable_store() -> None:
    unreachable = SqlTotalsRepository(make_engine("postgresql://nobody@127.0.0.1:1/none"))
    with pytest.raises(StorageError):
        unreachable.ping()


def incident(subject: str, offset: int, **fields: object) -> IncidentRow:
    values: dict = {
        "source": "urn:nld:gemeente-zoetermeer:systeem:schade-app",
        "subject": subject,
        "partition": 0,
        "kind": "jaarwisselingsschade",
        "category": "verharding",
        "wijk": "dorp",
        "year": 2022,
        "revision": 1,
        "event_id": f"id-{subject}-{offset}",
        "amount_cents": 100,
        "illegal_fireworks_cents": 10,
        "withdrawn": False,
        "source_offset": offset,
    }
    values.update(fields)
    return IncidentRow(**values)


def test_incidents_keep_the_newest_version_and_recompute_the_year(
    repository: SqlTotalsRepository,
) -> None:
    repository.upsert(
        [cell(0, 2, 3)],
        [incident("JW-1", 1), incident("JW-2", 3, revision=2, wijk="rokkeveen")],
    )
    repository.upsert(
        incidents=[
            incident("JW-1", 0, wijk="palenstein"),  # an older version redelivered: ignored
            incident("JW-3", 5),
            incident("JW-3", 6, withdrawn=True, category=None, wijk=None, year=None),
        ]
    )
    assert repository.incident_totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 1, 100, 10),
        TotalRow("jaarwisselingsschade", "verharding", "rokkeveen", 1, 100, 10),
    ]
    assert repository.incident_totals(year=2021) == []
    assert repository.clear_aggregates() == 4  # one cell, three incidents
    assert repository.incident_totals(year=2022) == []


def test_closing_a_year_freezes_its_totals_once(repository: SqlTotalsRepository) -> None:
    repository.upsert([cell(0, 3, 10), cell(1, 2, 4, year=2021)])
    assert repository.closing(2022) is None
    closing = repository.close_year(2022, by="controller")
    assert (closing.year, closing.closed_by) == (2022, "controller")
    assert repository.closing(2022) == closing
    with pytest.raises(YearClosed, match="year 2022 is closed already"):
        repository.close_year(2022, by="someone else")
    repository.upsert([cell(0, 4, 11)])  # a late event: counted, not published
    assert repository.totals(year=2022)[0].count == 4
    assert repository.published_totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 3, 300, 30)
    ]
    assert repository.published_totals(year=2021) == []
    repository.clear_aggregates()  # a replay keeps what was published
    assert repository.published_totals(year=2022, group_by=["kind"])[0].count == 3
    assert repository.years() == []


def test_a_purge_takes_closed_years_incidents_for_good_and_keeps_their_totals(
    repository: SqlTotalsRepository,
) -> None:
    repository.upsert(
        [cell(0, 1, 1, year=2021), cell(0, 1, 2), cell(0, 1, 3, year=2023)],
        [incident("A", 1, year=2021), incident("B", 2), incident("C", 3, year=2023)],
    )
    repository.close_year(2021, by="controller")
    with pytest.raises(NotClosed, match="2022 is not closed"):
        repository.purge_incidents(before=2023)
    assert len(repository.incident_totals(year=2021)) == 1  # nothing went
    repository.close_year(2022, by="controller")
    assert repository.purge_incidents(before=2023) == [2021, 2022]
    assert repository.incident_totals(year=2021) == repository.incident_totals(year=2022) == []
    assert repository.incident_totals(year=2023)[0].count == 1  # a later year keeps its rows
    assert repository.totals(year=2022)[0].count == 1  # and every year its totals
    assert repository.published_totals(year=2021)[0].count == 1
    closing = repository.closing(2022)
    assert closing is not None and closing.incidents_purged_at is not None
    # A late event, or a replay, brings no row of a purged year back.
    repository.clear_aggregates()
    repository.upsert(incidents=[incident("B", 2), incident("D", 4, year=2021)])
    assert repository.incident_totals(year=2022) == repository.incident_totals(year=2021) == []
    assert repository.purge_incidents(before=2023) == [2021, 2022]  # again: nothing changes
    again = repository.closing(2022)
    assert again is not None and again.incidents_purged_at == closing.incidents_purged_at


def test_years_with_figures(repository: SqlTotalsRepository) -> None:
    repository.upsert([cell(0, 3, 10), cell(1, 2, 4, year=2020), cell(2, 0, 4, year=2019)])
    assert repository.years() == [2020, 2022]


def _migrate_to(url: str, target: str) -> None:
    """Bring a store to one revision, as an older Wijkwacht left it."""
    from alembic import command

    from storage.migrate import alembic_config

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, target)
    finally:
        engine.dispose()


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    """Migrations write their sizes out (they are history); the models take them from the
    edge's limits. Both must agree, or the store refuses what the edge accepts."""
    from sqlalchemy import BigInteger, Integer, String
    from sqlmodel import SQLModel

    upgrade(database_url)
    inspector = inspect(make_engine(database_url))
    for table in SQLModel.metadata.sorted_tables:
        reflected = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        assert set(reflected) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            found, declared = reflected[column.name], column.type
            where = f"{table.name}.{column.name}: {found!r} in the store, {declared!r} declared"
            if isinstance(declared, BigInteger):
                assert isinstance(found, BigInteger), where
            elif isinstance(declared, Integer):
                assert isinstance(found, Integer) and not isinstance(found, BigInteger), where
            if getattr(declared, "length", None) is not None:
                assert isinstance(found, String) and found.length == declared.length, where


def test_migration_0003_keeps_the_incidents_and_takes_revisions_up_to_2_to_the_53(
    database_url: str,
) -> None:
    _migrate_to(database_url, "0002")
    # Written as by the code of then: today's repository asks for columns 0002 lacks.
    row = {**asdict(incident("JW-1", 1, revision=7)), "updated_at": datetime.now(UTC)}
    with make_engine(database_url).begin() as connection:
        connection.execute(IncidentRecord.__table__.insert().values(row))  # type: ignore[attr-defined]
        connection.execute(old_cell_insert(cell(0, 1, 1)))
    upgrade(database_url)
    repository = SqlTotalsRepository(make_engine(database_url))
    assert repository.incident_totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 1, 100, 10)
    ]
    repository.upsert(incidents=[incident("JW-1", 2, revision=2**53)])  # was out of range
    with make_engine(database_url).connect() as connection:
        stored = connection.exec_driver_sql("SELECT revision FROM incident").scalar_one()
    assert stored == 2**53


def old_cell_insert(row: YearCell) -> Any:
    """An aggregate cell as Wijkwacht wrote it before migration 0006: no housing type."""
    values = {k: v for k, v in asdict(row).items() if k != "housing"}
    values["updated_at"] = datetime.now(UTC)
    return sa.insert(sa.table("aggregate_cell", *map(sa.column, values))).values(**values)


def test_migration_0006_keeps_the_cells_and_keys_them_by_housing_type_too(
    database_url: str,
) -> None:
    _migrate_to(database_url, "0005")
    with make_engine(database_url).begin() as connection:
        connection.execute(old_cell_insert(cell(0, 4, 1)))
    upgrade(database_url)
    repository = SqlTotalsRepository(make_engine(database_url))
    assert repository.totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 4, 400, 40)
    ]
    case = {"kind": "woonoverlast", "category": "geluid", "wijk": "dorp"}
    repository.upsert(
        cells=[cell(0, 2, 5, housing="koop", **case), cell(0, 3, 6, housing="corporatie", **case)]
    )
    by_housing = repository.totals(year=2022, kind="woonoverlast", group_by=ALL_GROUPS, cases=True)
    assert [(r.housing, r.count) for r in by_housing] == [("corporatie", 3), ("koop", 2)]
    assert [r.count for r in repository.totals(year=2022, kind="woonoverlast", cases=True)] == [5]
    # The incidents' totals hold no case cells, and the cases' none of the incidents.
    assert [r.kind for r in repository.totals(year=2022, group_by=["kind"])] == [
        "jaarwisselingsschade"
    ]
    repository.close_year(2022, "test")
    published = repository.published_totals(
        year=2022, kind="woonoverlast", group_by=ALL_GROUPS, cases=True
    )
    assert [(r.housing, r.count) for r in published] == [("corporatie", 3), ("koop", 2)]
