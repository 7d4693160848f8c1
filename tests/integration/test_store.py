"""The SQL repository and migrations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect

from storage.engine import make_engine
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository, TotalRow, YearCell

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
    assert {"aggregate_cell", "alembic_version"} <= set(tables)


def test_totals_sum_partitions_and_an_older_offset_never_wins(
    repository: SqlTotalsRepository,
) -> None:
    repository.upsert_cells([cell(0, 3, 10), cell(1, 2, 4)])
    repository.upsert_cells([cell(0, 1, 9), cell(1, 2, 4)])  # redelivered older value: ignored
    assert repository.totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 5, 500, 50)
    ]
    repository.upsert_cells([cell(0, 7, 11)])
    assert repository.totals(year=2022)[0].count == 9


def test_a_batch_with_one_cell_twice_keeps_the_newest(repository: SqlTotalsRepository) -> None:
    repository.upsert_cells([cell(0, 1, 1), cell(0, 4, 3), cell(0, 2, 2)])
    assert repository.totals(year=2022)[0].count == 4


def test_group_by_and_filters(repository: SqlTotalsRepository) -> None:
    repository.upsert_cells(
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
