"""Rows the real store refuses, on SQLite and on PostgreSQL: the materialiser sets them aside,
writes every other row of their batch, and goes on reading the changelog."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.exc import OperationalError

from events.periods import Periods
from service.domain.counting import Cell, CellKey, Contribution, Incident
from service.domain.figures import Figures
from service.kafka.changelog import cell_key, encode_cell, encode_incident, incident_key
from service.kafka.clientfile import kafka_config_for
from service.settings import MATERIALISER_PRINCIPAL, Settings
from service.stream import metrics
from service.stream.materialiser import Materialiser, write_batch
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository, TotalRow
from tests.integration.kafka_util import ensure, produce
from tests.support import wait_until

pytestmark = pytest.mark.integration
SOURCE = "urn:nld:gemeente-zoetermeer:systeem:schade-app"
PERIODS = Periods(2022, "2022-12", "2022-W52", "2022-12-31")


@dataclass(frozen=True)
class Record:
    """A changelog record as the consumer hands it over."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def incident(subject: str, offset: int, *, source: str = SOURCE, revision: int = 1) -> Record:
    """An incident's changelog record, written as the worker writes one; the arguments can
    bypass the edge, as a bug or an older worker might."""
    counted = Contribution("jaarwisselingsschade", "verharding", "dorp", PERIODS, 100, 10)
    value = Incident(revision, f"id-{subject}", "jaarwisselingsschade", counted, offset)
    return Record("t.state.v1", 0, offset, incident_key(source, subject), encode_incident(value))


def year_cell(count: int, offset: int, *, wijk: str = "dorp", amount: int = 100) -> Record:
    where = CellKey("jaarwisselingsschade", "verharding", wijk, "year", "2022")
    value = encode_cell(Cell(Figures(count, count * amount, count * 10), {"": offset}))
    return Record("t.state.v1", 0, offset, cell_key(0, where), value)


# What each store refuses. SQLite holds text of any length and NUL, but no integer beyond 64
# bits; PostgreSQL refuses all of these.
BEYOND_64_BITS = [
    incident("HH-big", 100, revision=2**63),
    year_cell(1, 101, wijk="x", amount=2**63),
]
REFUSED = {
    "sqlite": BEYOND_64_BITS,
    "postgresql": [
        *BEYOND_64_BITS,
        incident("HH-long", 102, source="urn:" + "x" * 300 + ":systeem:schade-app"),
        incident("HH-\x00", 103),
    ],
}


@pytest.fixture
def repository(database_url: str) -> SqlTotalsRepository:
    upgrade(database_url)
    return SqlTotalsRepository(make_engine(database_url))


def dialect(database_url: str) -> str:
    return database_url.split(":", 1)[0]


def test_each_refused_row_is_set_aside_and_the_rest_of_its_batch_written(
    repository: SqlTotalsRepository, database_url: str
) -> None:
    refused = REFUSED[dialect(database_url)]
    for n, bad in enumerate(refused):
        good = [incident(f"JW-{n}-{i}", i) for i in range(4)] + [year_cell(4, 5 + n)]
        written = write_batch(repository, [*good[:2], bad, *good[2:]])
        assert (written.cells, written.incidents, written.quarantined) == (1, 4, 1), bad.key
        assert repository.quarantined() == n + 1
    stored = 4 * len(refused)
    assert repository.incident_totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", stored, stored * 100, stored * 10)
    ]
    assert repository.totals(year=2022) == [
        TotalRow("jaarwisselingsschade", "verharding", "dorp", 4, 400, 40)
    ]


def test_a_redelivered_batch_sets_its_row_aside_once_and_replay_clears_it(
    repository: SqlTotalsRepository,
) -> None:
    batch = [incident("JW-1", 1), incident("JW-2", 2, revision=2**63), year_cell(1, 3)]
    assert write_batch(repository, batch).quarantined == 1
    assert write_batch(repository, batch).quarantined == 0
    assert repository.quarantined() == 1
    assert repository.clear_aggregates() == 3  # the cell, the incident, the row set aside
    assert repository.quarantined() == 0


def test_a_store_that_cannot_be_reached_fails_the_batch_for_a_retry() -> None:
    unreachable = SqlTotalsRepository(make_engine("postgresql://nobody@127.0.0.1:1/none"))
    with pytest.raises(OperationalError):
        write_batch(unreachable, [incident("JW-1", 1), incident("JW-2", 2, revision=2**63)])


@contextlib.contextmanager
def running(materialiser: Materialiser) -> Iterator[None]:
    """The materialiser on a loop of its own in a thread, as in a worker, until the block ends."""
    loop = asyncio.new_event_loop()

    async def until_cancelled() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await materialiser.run()

    task = loop.create_task(until_cancelled())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=30)
        loop.close()


def test_the_materialiser_sets_the_row_aside_and_goes_on(
    settings: Settings, database_url: str
) -> None:
    settings = settings.model_copy(update={"database_url": database_url})
    ensure(settings)
    upgrade(database_url)
    repository = SqlTotalsRepository(make_engine(database_url))
    kafka = kafka_config_for(settings, MATERIALISER_PRINCIPAL)
    bad = REFUSED[dialect(database_url)][0]
    first = [incident("JW-1", 1), bad, incident("JW-3", 3), year_cell(2, 3)]
    produce(settings, kafka.topics.state, [(r.key, r.value, []) for r in first])
    before = metrics.STORE_QUARANTINED._value.get()

    def incidents() -> int:
        rows = repository.incident_totals(year=2022)
        return rows[0].count if rows else 0

    with running(Materialiser(kafka, repository)):
        wait_until(
            lambda: repository.quarantined() == 1 and incidents() == 2,
            timeout=60,
            what="two incidents stored and one row set aside",
        )
        later = [incident("JW-4", 4), year_cell(3, 4)]
        produce(settings, kafka.topics.state, [(r.key, r.value, []) for r in later])
        wait_until(lambda: incidents() == 3, timeout=60, what="the records after it")
    assert repository.totals(year=2022)[0].count == 3
    assert repository.quarantined() == 1
    assert metrics.STORE_QUARANTINED._value.get() - before == 1
