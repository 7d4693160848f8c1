"""Properties of the event contracts over generated events (Hypothesis)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.binding import STRUCTURED_CONTENT_TYPE, from_kafka, to_kafka
from events.errors import InvalidEvent
from events.models import parse_event
from events.schema import event_schemas
from tests.strategies import REGISTRIES, valid_events

SCHEMAS = event_schemas()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(valid_events())
def test_valid_events_round_trip_through_json_and_both_kafka_modes(raw: dict[str, Any]) -> None:
    event = parse_event(raw, REGISTRIES)
    again = parse_event(json.loads(json.dumps(event.to_cloudevent())), REGISTRIES)
    assert again == event
    key, value, headers = to_kafka(event)
    assert key == (raw["source"] + raw["subject"]).encode()
    assert from_kafka(value, headers, REGISTRIES) == event
    structured = json.dumps(raw).encode()
    assert (
        from_kafka(structured, [("content-type", STRUCTURED_CONTENT_TYPE.encode())], REGISTRIES)
        == event
    )


@SETTINGS
@given(valid_events())
def test_published_schema_accepts_every_valid_event(raw: dict[str, Any]) -> None:
    jsonschema.validate(raw, SCHEMAS[raw["type"]], format_checker=jsonschema.FormatChecker())


# Corruptions that make one field wrong whatever the rest of the event holds.
ENVELOPE_CORRUPTIONS: dict[str, list[Any]] = {
    "specversion": ["0.3", 1, None],
    "id": ["", "x" * 129, 42, None],
    "source": ["urn:nld:gemeente-zoetermeer", "", "a b:systeem:x", 7],
    "type": ["nl.wijkwacht.onbekend.v1", "", None],
    "subject": ["", "has space", "x" * 129, "ü", 3],
    "time": ["2022-06-01", "2022-06-01T10:00:00", "yesterday", 1654070400, "2022-13-01T00:00:00Z"],
    "datacontenttype": ["text/plain", "application/xml"],
    "data": ["text", [1, 2], 5],
}
DATA_CORRUPTIONS: dict[str, list[Any]] = {
    "revision": [0, -1, "1", 1.5, True, None, 2**60],
    "occurred_at": ["2022-06-01", "2022-06-01T10:00:00", 0, "not a time"],
    "wijk": ["atlantis", "", 5, "x" * 65],
    "category": ["onbekend", "", None],
    "team": ["onbekend", 3],
    "camera": ["nergens", ""],
    "jaarwisseling": [1999, 2101, "2022", 2022.0],
    "amount_cents": [0, -5, 100_000_001, 12.5, "100"],
    "illegal_fireworks": ["yes", 1, "true"],
    "reason": ["vergissing", "", None],
}


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    raw = draw(valid_events())
    event = copy.deepcopy(raw)
    data_fields = [f for f in DATA_CORRUPTIONS if f in event["data"]]
    choice = draw(
        st.sampled_from(
            [*ENVELOPE_CORRUPTIONS, *[f"data.{f}" for f in data_fields], "data.unknown", "remove"]
        )
    )
    if choice == "data.unknown":
        name = draw(st.sampled_from(["naam", "adres", "kenteken", "opmerking", "Revision"]))
        event["data"][name] = "Jan Jansen"
        return event, f"data.{name}"
    if choice == "remove":
        required = ["specversion", "id", "source", "type", "subject", "time", "data"]
        field = draw(st.sampled_from(required + [f"data.{f}" for f in ("revision",)]))
        if field.startswith("data."):
            del event["data"][field[5:]]
        else:
            del event[field]
        return event, field
    if choice.startswith("data."):
        name = choice[5:]
        event["data"][name] = draw(st.sampled_from(DATA_CORRUPTIONS[name]))
        return event, choice
    event[choice] = draw(st.sampled_from(ENVELOPE_CORRUPTIONS[choice]))
    return event, choice


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_every_single_field_corruption_is_rejected_naming_that_field(
    case: tuple[dict[str, Any], str],
) -> None:
    event, field = case
    with pytest.raises(InvalidEvent) as caught:
        parse_event(event, REGISTRIES)
    named = {e.field for e in caught.value.errors}
    assert field in named, (field, caught.value.errors)


def test_committed_schemas_are_current() -> None:
    """Fails when the contracts change without `wijkwacht schema --out docs/schemas`."""
    from events.schema import asyncapi

    committed = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    current = {f"{t}.schema.json": s for t, s in SCHEMAS.items()} | {"asyncapi.json": asyncapi()}
    assert sorted(p.name for p in committed.glob("*.json")) == sorted(current)
    for name, document in current.items():
        assert json.loads((committed / name).read_text()) == json.loads(json.dumps(document)), (
            f"docs/schemas/{name} is stale: run `wijkwacht schema --out docs/schemas`"
        )
