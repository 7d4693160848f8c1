"""Fault isolation in the batch processor: a record that raises while it is processed goes to
the dead letters as `processing-error`, none of its effects are kept, and every other record
of the batch counts as if it had not been there; only a failing state store stops a batch."""

from __future__ import annotations

from typing import Any

import pytest

import service.stream.reading as reading
from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.domain.counting import Cell, Tally
from service.domain.figures import Figures
from service.kafka.changelog import decode_cell, encode_cell
from service.stream.processing import BatchProcessor, BatchResult, Record, StateUnavailable
from tests import factories

REGISTRIES = load_registries()


class Memory:
    def __init__(self) -> None:
        self.values: dict[tuple[int, bytes], bytes] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.values.get((partition, key))


def record(event: dict[str, Any], offset: int) -> Record:
    key, value, headers = to_kafka(parse_event(event, REGISTRIES))
    return Record(key, value, headers, 0, offset, event["source"].rsplit(":systeem:", 1)[1])


def run(records: list[Record]) -> BatchResult:
    return BatchProcessor(REGISTRIES, Memory()).process(records)


EVENTS = [
    factories.report("HH-1"),
    factories.damage("JW-BOOM", wijk="dorp"),
    factories.damage("JW-2", wijk="dorp"),
    factories.report("HH-2", category="horeca"),
]


def test_a_record_that_raises_is_dead_lettered_and_the_rest_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = reading.revision_of

    def revision_of(event: Any, wijk: str) -> Any:
        if event.subject == "JW-BOOM":
            raise OverflowError("date value out of range")
        return real(event, wijk)

    records = [record(e, n) for n, e in enumerate(EVENTS)]
    without = run([r for r in records if r.offset != 1])
    monkeypatch.setattr(reading, "revision_of", revision_of)
    result = run(records)
    assert [(r.offset, j.code, j.detail) for r, j in result.rejections] == [
        (1, "processing-error", "OverflowError: date value out of range")
    ]
    assert sorted(result.writes) == sorted(without.writes)
    assert result.outcomes == {"counted": 3, "rejected": 1}


def test_nothing_of_a_record_is_kept_when_it_raises_half_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, calls = Tally.applies, []

    def applies(tally: Tally, lane: str, offset: int) -> bool:
        calls.append(offset)
        if offset == 1 and calls.count(1) == 3:  # the third of its four period cells
            raise RuntimeError("a bug")
        return real(tally, lane, offset)

    records = [record(e, n) for n, e in enumerate(EVENTS)]
    without = run([r for r in records if r.offset != 1])
    monkeypatch.setattr(Tally, "applies", applies)
    result = run(records)
    assert [(r.offset, j.code) for r, j in result.rejections] == [(1, "processing-error")]
    assert sorted(result.writes) == sorted(without.writes)


def test_a_failing_state_store_stops_the_batch() -> None:
    class Broken(Memory):
        def get(self, partition: int, key: bytes) -> bytes | None:
            raise OSError("rocksdb: IO error")

    with pytest.raises(StateUnavailable):
        BatchProcessor(REGISTRIES, Broken()).process([record(EVENTS[0], 0)])


def test_a_state_value_that_does_not_decode_fails_only_its_records() -> None:
    from service.kafka.changelog import incident_key

    state = Memory()
    state.values[(0, incident_key(factories.HANDHAVING, "HH-1"))] = b"not json"
    result = BatchProcessor(REGISTRIES, state).process([record(e, n) for n, e in enumerate(EVENTS)])
    assert [(r.offset, j.code) for r, j in result.rejections] == [(0, "processing-error")]
    assert result.rejections[0][1].detail.startswith("JSONDecodeError")
    assert result.outcomes == {"counted": 3, "rejected": 1}


def test_a_field_systems_topic_counts_only_its_own_incidents() -> None:
    """On a field system's own topic a record claiming another system's `source` is refused
    as `forbidden-source` and changes nothing; its own records count as on the API's topic."""
    own = factories.report("HH-OWN")  # handhaving-app's
    foreign = factories.damage("JW-FOREIGN", wijk="dorp")  # schade-app's
    key, value, headers = to_kafka(parse_event(foreign, REGISTRIES))
    intruder = Record(key, value, headers, 0, 1, "handhaving-app")
    mine = Record(*to_kafka(parse_event(own, REGISTRIES)), 0, 0, "handhaving-app")
    result = run([mine, intruder])
    assert [(r.offset, j.code) for r, j in result.rejections] == [(1, "forbidden-source")]
    detail = result.rejections[0][1].detail
    assert detail.startswith("source: ") and "handhaving-app" in detail
    assert sorted(result.writes) == sorted(run([record(own, 0)]).writes) != []
    in_its_own_topic = Record(key, value, headers, 0, 1, "schade-app")
    assert run([in_its_own_topic]).rejections == []


def test_a_cell_changed_in_the_state_since_the_processor_wrote_it_is_read_again() -> None:
    """The processor keeps the cells it wrote decoded, but only while the state holds exactly
    those bytes: a value the state got otherwise (recovered from the changelog after another
    worker had the partition) is decoded anew."""
    state = Memory()
    processor = BatchProcessor(REGISTRIES, state)
    first = processor.process([record(EVENTS[0], 0)])
    for partition, key, value in first.writes:
        state.values[(partition, key)] = value
    year = next(k for _, k, _ in first.writes if k.startswith(b"c") and k.endswith(b"\x1f2022"))
    lane = factories.HANDHAVING.rsplit(":systeem:", 1)[1]
    state.values[(0, year)] = encode_cell(Cell(Figures(40, 0, 0), {lane: 0}))
    again = factories.report("HH-NEXT")  # the same cells as HH-1
    second = processor.process([record(again, 1)])
    written = {key: decode_cell(value) for _, key, value in second.writes if key == year}
    assert written[year].figures.count == 41
