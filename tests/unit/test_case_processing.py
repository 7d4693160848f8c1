"""Section 5.1 in the batch processor: woonoverlast cases, domestic violence and restraining
orders through the worker's own path (records in, state and cells out), exact whatever the
order of a case's events, redelivered batches included; a subject is an incident or a case,
never both."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.domain.cases import Case
from service.kafka.changelog import (
    decode_cell,
    decode_state,
    encode_state,
    incident_key,
    is_cell,
    parse_cell_key,
)
from service.stream.processing import BatchProcessor, BatchResult, Record
from tests import factories

REGISTRIES = load_registries()
LANE = "zaken-app"


class Memory:
    """The state table: what the processor reads, with its writes applied."""

    def __init__(self) -> None:
        self.values: dict[tuple[int, bytes], bytes] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.values.get((partition, key))

    def apply(self, result: BatchResult) -> None:
        for partition, key, value in result.writes:
            self.values[(partition, key)] = value

    def cells(self, scope: str = "year") -> dict[tuple[str, ...], int]:
        """(kind, category, wijk, housing, period) → count, of the cells of `scope`."""
        found = {}
        for (_, key), value in self.values.items():
            if is_cell(key):
                _, where = parse_cell_key(key)
                if where.scope == scope and (count := decode_cell(value).figures.count):
                    found[(where.kind, where.category, where.wijk, where.housing, where.period)] = (
                        count
                    )
        return found


def record(event: dict[str, Any], offset: int) -> Record:
    key, value, headers = to_kafka(parse_event(event, REGISTRIES))
    return Record(key, value, headers, 0, offset, event["source"].rsplit(":systeem:", 1)[1])


def run(
    events: list[dict[str, Any]], state: Memory | None = None, batch: int = 3, first: int = 0
) -> Memory:
    """The events in this order from offset `first` on, in batches; each batch's writes reach
    the state."""
    state = state or Memory()
    processor = BatchProcessor(REGISTRIES, state)
    records = [record(e, first + n) for n, e in enumerate(events)]
    for start in range(0, len(records), batch):
        result = processor.process(records[start : start + batch])
        assert not result.rejections, result.rejections
        state.apply(result)
    return state


def history() -> list[dict[str, Any]]:
    """One case's life: registered in March 2022 (first in the wrong wijk), closed in June,
    reopened in August, closed again in February 2023; and sent twice where a retry would."""
    first = factories.case_opening("ZAAK-7", revision=1, wijk="dorp")
    events = [
        first,
        factories.case_opening("ZAAK-7", revision=2),
        factories.case_status("ZAAK-7", "S-1", "intake"),
        factories.case_status(
            "ZAAK-7", "S-2", "in-behandeling", set_at="2022-04-01T09:00:00+02:00"
        ),
        factories.case_status("ZAAK-7", "S-3", "afgerond", set_at="2022-06-01T09:00:00+02:00"),
        factories.case_status("ZAAK-7", "S-4", "heropend", set_at="2022-08-01T09:00:00+02:00"),
        factories.case_status(
            "ZAAK-7", "S-5", "intake", revision=1, set_at="2022-12-01T09:00:00+01:00"
        ),
        factories.case_status(
            "ZAAK-7", "S-5", "afgerond", revision=2, set_at="2023-02-01T09:00:00+01:00"
        ),
    ]
    return [*events, first, events[4]]  # the duplicates


WHERE = ("corporatie", "buytenwegh-de-leyens")


def expected_years() -> dict[tuple[str, ...], int]:
    wijk, housing = "buytenwegh-de-leyens", "corporatie"
    return {
        ("woonoverlast", "geluid", wijk, housing, "2022"): 1,
        ("woonoverlast.afgerond", "geluid", wijk, housing, "2022"): 1,
        ("woonoverlast.afgerond.eigen-jaar", "geluid", wijk, housing, "2022"): 1,
        ("woonoverlast.heropend", "geluid", wijk, housing, "2022"): 1,
        ("woonoverlast.heropend.eigen-jaar", "geluid", wijk, housing, "2022"): 1,
        ("woonoverlast.afgerond", "geluid", wijk, housing, "2023"): 1,
    }


@pytest.mark.parametrize("seed", range(8))
def test_a_case_counts_the_same_in_any_order_and_batching(seed: int) -> None:
    events = history()
    random.Random(seed).shuffle(events)
    state = run(events, batch=1 + seed % 4)
    assert state.cells() == expected_years()
    months = state.cells("month")
    assert (
        months[("woonoverlast.afgerond", "geluid", "buytenwegh-de-leyens", "corporatie", "2022-06")]
        == 1
    )


def test_a_redelivered_batch_changes_nothing() -> None:
    events = history()
    state = run(events)
    processor = BatchProcessor(REGISTRIES, state)
    records = [record(e, n) for n, e in enumerate(events)]
    again = processor.process(records[2:7])  # after a crash, read again from offset 2
    assert again.writes == [] and again.outcomes == {"replayed": 5}
    assert state.cells() == expected_years()


def test_statuses_before_the_opening_are_held_then_counted() -> None:
    closed = factories.case_status("ZAAK-8", "S-1", "afgerond", set_at="2022-05-01T09:00:00+02:00")
    state = Memory()
    processor = BatchProcessor(REGISTRIES, state)
    result = processor.process([record(closed, 0)])
    assert result.outcomes == {"held": 1}
    state.apply(result)
    assert state.cells() == {}
    state.apply(processor.process([record(factories.case_opening("ZAAK-8"), 1)]))
    kinds = Counter(kind for kind, *_ in state.cells())
    assert kinds == {
        "woonoverlast": 1,
        "woonoverlast.afgerond": 1,
        "woonoverlast.afgerond.eigen-jaar": 1,
    }


def test_a_withdrawal_first_then_the_case() -> None:
    withdrawal = factories.withdrawal("ZAAK-9", revision=2, source=factories.ZAKEN)
    state = run([withdrawal, factories.case_opening("ZAAK-9", revision=1)])
    assert state.cells() == {}  # the opening is older than its withdrawal
    state = run([factories.case_opening("ZAAK-9", revision=3)], state, first=2)
    assert Counter(kind for kind, *_ in state.cells()) == {"woonoverlast": 1}
    value = state.get(0, incident_key(factories.ZAKEN, "ZAAK-9"))
    assert value is not None and isinstance(decode_state(value), Case)


def test_a_subject_is_an_incident_or_a_case_never_both() -> None:
    state = run([factories.case_opening("SAME-1")])
    processor = BatchProcessor(REGISTRIES, state)
    report = factories.report("SAME-1")
    report["source"] = factories.ZAKEN
    result = processor.process([record(report, 5)])
    assert [(j.code, j.detail) for _, j in result.rejections] == [
        ("conflict-kind", "type: this subject already holds an incident of another kind")
    ]
    state = Memory()
    state.apply(BatchProcessor(REGISTRIES, state).process([record(report, 0)]))
    result = BatchProcessor(REGISTRIES, state).process([record(factories.case_status("SAME-1"), 1)])
    assert [j.code for _, j in result.rejections] == ["conflict-kind"]


def test_the_case_state_survives_the_changelog() -> None:
    state = run(history())
    raw = state.get(0, incident_key(factories.ZAKEN, "ZAAK-7"))
    assert raw is not None
    case = decode_state(raw)
    assert isinstance(case, Case) and len(case.statuses) == 5
    assert encode_state(case) == raw


def test_domestic_violence_and_restraining_orders_count_as_incidents() -> None:
    state = run(
        [
            factories.domestic_violence("HG-1"),
            factories.domestic_violence("HG-2", organisation="veilig-thuis"),
            factories.domestic_violence("HG-1", revision=2, wijk="dorp"),
            factories.restraining_order("HV-1"),
            factories.withdrawal("HG-2", revision=2, source=factories.VEILIGHEIDSHUIS),
        ]
    )
    assert state.cells() == {
        ("huiselijkgeweld", "politie", "dorp", "", "2022"): 1,
        ("huisverbod", "tijdelijk", "meerzicht", "", "2022"): 1,
    }
