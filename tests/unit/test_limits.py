"""The edge's limits (events/limits.py): each rule refuses with the field and the reason, the
largest value it allows is accepted, and the store's columns hold what it allows."""

from __future__ import annotations

from typing import Any

import pytest

from events.errors import InvalidEvent
from events.limits import ID_MAX_LENGTH, SOURCE_MAX_LENGTH, SUBJECT_MAX_LENGTH
from events.models import parse_event
from events.registry import load_registries
from storage.models import IncidentRecord
from tests import factories

REGISTRIES = load_registries()
SYSTEM = ":systeem:handhaving-app"


def refused(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw, REGISTRIES)
    return {e.field: e.message for e in caught.value.errors}


def with_envelope(**attributes: Any) -> dict[str, Any]:
    raw = factories.report()
    raw.update(attributes)
    return raw


# ---- source --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("urn:nld\x1fx" + SYSTEM, "U+001F at position 7"),  # the state key's separator
        ("urn:nld\x00x" + SYSTEM, "U+0000"),  # PostgreSQL's text cannot hold NUL
        ("urn:nld\x7fx" + SYSTEM, "U+007F"),
        ("urn:nld\tx" + SYSTEM, "U+0009"),
        ("urn:nld x" + SYSTEM, "U+0020"),
        ("urn:nld:gemeente-\u00e9" + SYSTEM, "U+00E9"),
        ("urn:nld:\u200b" + SYSTEM, "U+200B"),
        ("urn:nld:100%" + SYSTEM, "%XX escape"),
        ("urn:nld:gemeente-zoetermeer:handhaving-app", "must end in :systeem:<name>"),
        ("urn:nld:gemeente-zoetermeer:systeem:Handhaving", "must end in :systeem:<name>"),
    ],
)
def test_source_takes_only_uri_characters(source: str, reason: str) -> None:
    assert reason in refused(with_envelope(source=source))["source"]


def test_source_takes_every_uri_character_up_to_the_store_column() -> None:
    every = "urn:AZaz09-._~!$&'()*+,;=:@/?#%41%c3%A9"
    assert parse_event(with_envelope(source=every + SYSTEM), REGISTRIES).source == every + SYSTEM
    longest = "urn:" + "x" * (SOURCE_MAX_LENGTH - 4 - len(SYSTEM)) + SYSTEM
    assert len(longest) == SOURCE_MAX_LENGTH == IncidentRecord.__table__.c.source.type.length
    assert parse_event(with_envelope(source=longest), REGISTRIES).source == longest
    message = refused(with_envelope(source="x" + longest))["source"]
    assert "at most 255 characters" in message


# ---- id and subject ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_id", "reason"),
    [
        ("caf\u00e9-1", "U+00E9 at position 3"),
        ("id\x1f1", "U+001F"),
        ("id\x001", "U+0000"),
        ("id\n", "U+000A"),
        ("\U0001f600", "U+1F600"),
        ("x" * (ID_MAX_LENGTH + 1), "at most 128 characters"),
        ("", "at least 1 character"),
    ],
)
def test_id_is_1_to_128_printable_ascii_characters(event_id: str, reason: str) -> None:
    assert reason in refused(with_envelope(id=event_id))["id"]


def test_the_longest_id_of_every_printable_character_is_accepted() -> None:
    printable = "".join(map(chr, range(0x20, 0x7F)))
    longest = (printable * 2)[:ID_MAX_LENGTH]
    assert parse_event(with_envelope(id=longest), REGISTRIES).id == longest


def test_subject_refuses_control_characters_and_takes_128() -> None:
    assert "U+0000" in refused(with_envelope(subject="HH\x00-1"))["subject"]
    assert "U+001F" in refused(with_envelope(subject="HH\x1f1"))["subject"]
    longest = "S" * SUBJECT_MAX_LENGTH
    assert parse_event(with_envelope(subject=longest), REGISTRIES).subject == longest


# ---- what the store holds ------------------------------------------------------------------


def test_a_registry_code_longer_than_the_store_column_is_refused(tmp_path: Any) -> None:
    import shutil

    from events.errors import RegistryError
    from events.registry import DEFAULT_DIR

    shutil.copytree(DEFAULT_DIR, tmp_path / "r")
    wijken = tmp_path / "r" / "wijken.json"
    wijken.write_text(wijken.read_text().replace('"dorp"', '"' + "d" * 65 + '"', 1))
    with pytest.raises(RegistryError, match="wijken"):
        load_registries(tmp_path / "r")
