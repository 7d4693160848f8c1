"""The materialiser's batch writes over the in-memory store: rows the store refuses for what
they hold are found and set aside, every other row is written, and a store that is down makes
the whole batch fail (to be retried) with nothing set aside."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StatementError,
)

from events.periods import Periods
from service.domain.counting import Cell, CellKey, Contribution, Incident
from service.domain.figures import Figures
from service.kafka.changelog import cell_key, encode_cell, encode_incident, incident_key
from service.stream.materialiser import escaped, refused_for_its_data, write_batch
from tests.unit.fakes import InMemoryTotals, UnreachableTotals

TOPIC = "t.state.v1"
SOURCE = "urn:nld:gemeente-zoetermeer:systeem:handhaving-app"
PERIODS = Periods(2022, "2022-06", "2022-W22", "2022-06-01")


@dataclass(frozen=True)
class Record:
    """A changelog record as the consumer hands it over."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def incident(offset: int, subject: str, *, source: str = SOURCE, revision: int = 1) -> Record:
    contribution = Contribution("handhavingsmelding", "afval", "dorp", PERIODS)
    value = Incident(revision, f"id-{subject}", "handhavingsmelding", contribution, offset)
    return Record(TOPIC, 0, offset, incident_key(source, subject), encode_incident(value))


def year_cell(offset: int, count: int, wijk: str = "dorp") -> Record:
    where = CellKey("handhavingsmelding", "afval", wijk, "year", "2022")
    value = encode_cell(Cell(Figures(count, 0, 0), {"": offset}))
    return Record(TOPIC, 0, offset, cell_key(0, where), value)


def test_one_refused_row_is_set_aside_and_every_other_row_written() -> None:
    store = InMemoryTotals()
    records = [incident(n, f"HH-{n}") for n in range(10)] + [year_cell(10, 9)]
    records[6] = incident(6, "HH-6", source="urn:" + "x" * 300 + ":systeem:handhaving-app")
    written = write_batch(store, records)
    assert (written.cells, written.incidents, written.quarantined) == (1, 9, 1)
    assert sorted(subject for _, subject in store.incidents) == [
        f"HH-{n}" for n in range(10) if n != 6
    ]
    assert store.quarantined() == 1
    (aside,) = store.set_aside.values()
    assert (aside.topic, aside.partition, aside.offset) == (TOPIC, 0, 6)
    assert aside.key.startswith("i\\u001furn:xxx") and aside.key.endswith("\\u001fHH-6")
    assert aside.reason == "DataError: (builtins.Exception) value too long for type character " + (
        "varying(255)"
    )


def test_rows_refused_far_apart_are_all_found() -> None:
    store = InMemoryTotals()
    records = [incident(n, f"HH-{n}") for n in range(37)]
    for n in (0, 17, 36):
        records[n] = incident(n, f"HH-{n}", revision=2**63)  # beyond a 64-bit column
    records[20] = incident(20, "HH-\x00")  # PostgreSQL's text holds no NUL
    written = write_batch(store, records)
    assert written.quarantined == 4 and written.incidents == 33
    assert sorted(offset for _, _, offset in store.set_aside) == [0, 17, 20, 36]
    assert all("out of range" in row.reason for row in store.set_aside.values() if row.offset != 20)


def test_a_record_that_does_not_decode_is_set_aside_too() -> None:
    store = InMemoryTotals()
    broken = Record(TOPIC, 1, 5, b"c\x1f0\x1fonly-three-fields", b"[1, 2, 3, 4]")
    garbled = Record(TOPIC, 1, 6, incident_key(SOURCE, "HH-9"), b"{not json")
    written = write_batch(store, [incident(4, "HH-4"), broken, garbled, year_cell(7, 1)])
    assert (written.cells, written.incidents, written.quarantined) == (1, 1, 2)
    reasons = {offset: row.reason for (_, _, offset), row in store.set_aside.items()}
    assert reasons[5].startswith("ValueError: not a cell key")
    assert reasons[6].startswith("JSONDecodeError: ")


def test_a_redelivered_batch_sets_its_refused_row_aside_once() -> None:
    store = InMemoryTotals()
    records = [incident(1, "HH-1"), incident(2, "HH-2", revision=2**63)]
    assert write_batch(store, records).quarantined == 1
    assert write_batch(store, records).quarantined == 0
    assert store.quarantined() == 1


def test_a_store_that_is_down_fails_the_batch_and_sets_nothing_aside() -> None:
    store = UnreachableTotals()
    with pytest.raises(OperationalError):
        write_batch(store, [incident(1, "HH-1"), incident(2, "HH-2", revision=2**63)])
    assert store.quarantined() == 0 and store.incidents == {}


def test_a_batch_without_store_rows_writes_nothing() -> None:
    store = InMemoryTotals()
    month = CellKey("handhavingsmelding", "afval", "dorp", "month", "2022-06")
    records = [
        Record(TOPIC, 0, 1, cell_key(0, month), encode_cell(Cell(Figures(1, 0, 0), {"": 1}))),
        Record(TOPIC, 0, 2, incident_key(SOURCE, "HH-1"), None),  # a tombstone
        Record(TOPIC, 0, 3, None, b"[]"),
    ]
    assert write_batch(store, records) == write_batch(store, [])
    assert store.cells == {} and store.incidents == {} and store.quarantined() == 0


def _dbapi(kind: type[DBAPIError], invalidated: bool = False) -> DBAPIError:
    return kind("INSERT", None, Exception("driver says no"), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "about_the_data"),
    [
        (_dbapi(DataError), True),
        (_dbapi(IntegrityError), True),
        (StatementError("cannot convert", "INSERT", None, ValueError("x")), True),
        (ValueError("surrogates not allowed"), True),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), True),
        (_dbapi(OperationalError), False),
        (_dbapi(InterfaceError), False),
        (_dbapi(ProgrammingError), False),
        (_dbapi(DataError, invalidated=True), False),  # the connection went with it
        (ConnectionResetError("reset by peer"), False),
        (RuntimeError("anything else"), False),
    ],
)
def test_only_refusals_about_the_data_set_rows_aside(
    error: BaseException, about_the_data: bool
) -> None:
    assert refused_for_its_data(error) is about_the_data


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"i\x1furn:x\x1fHH-1", "i\\u001furn:x\\u001fHH-1"),
        (b"a\x00b\x7f", "a\\u0000b\\u007f"),
        (b"back\\slash", "back\\\\slash"),
        (b"\xff\xfe", "\\xff\\xfe"),
        ("caf\u00e9 \U0001f600".encode(), "caf\u00e9 \U0001f600"),
        ("line\u2028sep\u0085".encode(), "line\\u2028sep\\u0085"),
    ],
)
def test_keys_are_escaped_into_printable_text(raw: bytes, text: str) -> None:
    assert escaped(raw) == text
    assert escaped("lone \udc80 surrogate") == "lone \\udc80 surrogate"
