"""The path of accepted events to the store's rows, without Kafka or a database, checking every
step on the way: for the property tests of the edge's limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from events.binding import STRUCTURED_CONTENT_TYPE, to_kafka
from events.limits import FIRST_YEAR, LAST_YEAR
from events.models import Event, parse_event
from service.kafka.changelog import (
    cell_key,
    decode_cell,
    decode_incident,
    encode_cell,
    encode_incident,
    incident_key,
    is_cell,
    is_incident,
    parse_cell_key,
    parse_incident_key,
)
from service.stream.materialiser import incident_row, year_cell
from service.stream.processing import BatchProcessor, Record
from storage.repository import IncidentRow, YearCell
from tests.strategies import REGISTRIES

COUNTING_OUTCOMES = {"conflict-kind", "conflict-revision"}  # the rejections that are verdicts


class State(dict[bytes, bytes]):
    """The worker's state table of one partition."""

    def get(self, partition: int, key: bytes) -> bytes | None:  # type: ignore[override]
        return super().get(key)


@dataclass
class Rows:
    """What the materialiser makes of the changelog writes of some events."""

    cells: list[YearCell] = field(default_factory=list)
    incidents: list[IncidentRow] = field(default_factory=list)


def records_of(events: Sequence[Event], partition: int, first_offset: int) -> list[Record]:
    """Input records as Kafka holds them: binary mode as the API writes, and every other one in
    structured mode as a field system producing directly may write."""
    records = []
    for n, event in enumerate(events):
        key, value, headers = to_kafka(event)
        if n % 2:
            value = json.dumps(event.to_cloudevent()).encode()
            headers = [("content-type", STRUCTURED_CONTENT_TYPE.encode())]
        records.append(Record(key, value, headers, partition, first_offset + n, event.field_system))
    return records


def materialised(raws: Sequence[dict[str, Any]], partition: int, first_offset: int) -> Rows:
    """Accept `raws` at the edge, process them in two batches over one state, round-trip every
    changelog write through its byte format and map it to the store's rows; an assertion fails
    at the first step that does not hold."""
    events = [parse_event(raw, REGISTRIES) for raw in raws]
    records = records_of(events, partition, first_offset)
    state, rows = State(), Rows()
    processor = BatchProcessor(REGISTRIES, state)
    middle = len(records) // 2
    for batch in (records[:middle], records[middle:]):
        result = processor.process(batch)
        assert {r.code for _, r in result.rejections} <= COUNTING_OUTCOMES, result.rejections
        for written_partition, key, value in result.writes:
            assert written_partition == partition
            state[key] = value
            _check_write(events, partition, key, value, rows)
    return rows


def _check_write(
    events: Sequence[Event], partition: int, key: bytes, value: bytes, rows: Rows
) -> None:
    if is_cell(key):
        cell_partition, where = parse_cell_key(key)
        assert (cell_partition, cell_key(cell_partition, where)) == (partition, key)
        assert encode_cell(decode_cell(value)) == value
        cell = year_cell(key, value)
        assert (cell is None) == (where.scope != "year")
        if cell is not None:
            assert FIRST_YEAR <= cell.year <= LAST_YEAR
            rows.cells.append(cell)
        return
    assert is_incident(key), key
    source, subject = parse_incident_key(key)
    assert incident_key(source, subject) == key
    assert any((e.source, e.subject) == (source, subject) for e in events)
    incident = decode_incident(value)
    assert encode_incident(incident) == value and decode_incident(value) == incident
    row = incident_row(partition, key, value)
    assert row is not None and (row.source, row.subject) == (source, subject)
    assert row.year is None or FIRST_YEAR <= row.year <= LAST_YEAR
    rows.incidents.append(row)
