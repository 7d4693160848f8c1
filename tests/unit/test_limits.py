"""The edge's limits (events/limits.py): each rule refuses with the field and the reason, the
largest value it allows is accepted, and the store's columns hold what it allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, Integer

from events.errors import InvalidEvent
from events.kinds import KINDS
from events.limits import (
    AMOUNT_MAX_CENTS,
    CODE_MAX_LENGTH,
    EARLIEST_TIME,
    FIRST_YEAR,
    ID_MAX_LENGTH,
    LAST_YEAR,
    LATEST_TIME,
    REVISION_MAX,
    SOURCE_MAX_LENGTH,
    STATIC_WINDOW,
    SUBJECT_MAX_LENGTH,
    TimeWindow,
)
from events.models import Event, parse_event
from events.periods import periods_of
from events.registry import load_registries
from storage.models import AggregateCell, IncidentRecord
from tests import factories

REGISTRIES = load_registries()
SYSTEM = ":systeem:handhaving-app"


def refused(raw: dict[str, Any], window: TimeWindow = STATIC_WINDOW) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw, REGISTRIES, window)
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


# ---- times ---------------------------------------------------------------------------------


def test_the_year_9999_is_refused_before_any_local_time_is_computed() -> None:
    """The reproduction of the issue: this was accepted and made the worker's periods raise
    OverflowError; a camera incident made parse_event itself raise it."""
    late = "9999-12-31T23:59:59+00:00"
    for raw in (
        factories.report(occurred_at=late),
        factories.camera_incident(occurred_at=late),
        factories.damage(occurred_at=late),
    ):
        assert "must not be after 2100-12-31T22:59:59Z" in refused(raw)["data.occurred_at"]
    assert "time" in refused(with_envelope(time=late))
    assert "time" in refused(factories.withdrawal("HH-1", revision=2) | {"time": late})


def test_the_static_window_takes_its_bounds_and_nothing_beyond() -> None:
    first, last = "2000-01-01T00:00:00Z", "2100-12-31T23:59:59+01:00"
    for field in ("time", "occurred_at"):
        for moment in (first, last):
            raw = factories.report() | ({"time": moment} if field == "time" else {})
            raw["data"] = raw["data"] | ({"occurred_at": moment} if field != "time" else {})
            assert isinstance(parse_event(raw, REGISTRIES), Event)
    too_early = refused(with_envelope(time="1999-12-31T23:59:59Z"))["time"]
    assert "before 2000-01-01T00:00:00Z" in too_early
    just_after = factories.report(occurred_at="2101-01-01T00:00:00+01:00")
    assert "data.occurred_at" in refused(just_after)


def test_every_accepted_moment_lies_in_a_reporting_year_of_the_totals() -> None:
    assert periods_of(EARLIEST_TIME).year == FIRST_YEAR
    assert periods_of(LATEST_TIME).year == LAST_YEAR
    assert periods_of(LATEST_TIME + timedelta(seconds=1)).year == LAST_YEAR + 1


def test_damage_of_jaarwisseling_2100_may_not_occur_in_2101() -> None:
    """The window is stricter than the damage rule here: 2101 is beyond every reporting year."""
    raw = factories.damage(jaarwisseling=2100, occurred_at="2101-01-01T00:30:00+01:00")
    raw["time"] = "2100-12-31T12:00:00+01:00"
    assert "data.occurred_at" in refused(raw)
    raw["data"]["occurred_at"] = "2100-12-31T23:30:00+01:00"
    assert parse_event(raw, REGISTRIES).periods().year == 2100


def test_a_clock_relative_window_refuses_the_future_beyond_its_margin() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    window = TimeWindow.clock_relative(EARLIEST_TIME, timedelta(days=1), now)
    inside, outside = "2026-12-01T12:00:00Z", "2026-12-01T12:00:01Z"
    assert parse_event(factories.report(occurred_at=inside), REGISTRIES, window)
    message = refused(factories.report(occurred_at=outside), window)["data.occurred_at"]
    assert "2026-12-01T12:00:00Z (86400 s after the server's clock)" in message
    assert "time" in refused(with_envelope(time=outside), window)
    assert parse_event(factories.report(occurred_at=outside), REGISTRIES)  # the static window


def test_a_clock_relative_window_is_never_wider_than_the_static_one() -> None:
    now = datetime(2100, 12, 31, tzinfo=UTC)
    window = TimeWindow.clock_relative(datetime(1990, 1, 1, tzinfo=UTC), timedelta(days=9), now)
    assert (window.earliest, window.latest) == (EARLIEST_TIME, LATEST_TIME)
    later_start = datetime(2015, 1, 1, tzinfo=UTC)
    assert TimeWindow.clock_relative(later_start, timedelta(0), now).earliest == later_start
    with pytest.raises(ValueError, match="UTC offset"):
        TimeWindow(datetime(2000, 1, 1), LATEST_TIME)


# ---- what the store holds ------------------------------------------------------------------


def test_every_column_the_materialiser_writes_holds_what_the_edge_accepts() -> None:
    incident, cell = IncidentRecord.__table__.c, AggregateCell.__table__.c
    lengths = {
        incident.source: SOURCE_MAX_LENGTH,
        incident.subject: SUBJECT_MAX_LENGTH,
        incident.event_id: ID_MAX_LENGTH,
        incident.category: CODE_MAX_LENGTH,
        incident.wijk: CODE_MAX_LENGTH,
        cell.category: CODE_MAX_LENGTH,
        cell.wijk: CODE_MAX_LENGTH,
    }
    for column, longest in lengths.items():
        assert getattr(column.type, "length", None) == longest, column
    for column in (incident.kind, cell.kind):
        assert column.type.length >= max(len(kind) for kind in KINDS)
    # 64-bit: a revision, an offset, an amount and a sum of amounts.
    for column in (incident.revision, incident.amount_cents, incident.source_offset):
        assert isinstance(column.type, BigInteger), column
    for column in (cell.count, cell.amount_cents, cell.illegal_fireworks_cents):
        assert isinstance(column.type, BigInteger), column
    assert REVISION_MAX < 2**63 and AMOUNT_MAX_CENTS < 2**63
    for column in (incident.year, cell.year):  # 32-bit
        assert isinstance(column.type, Integer) and LAST_YEAR < 2**31
    codes = {c.code for c in REGISTRIES.wijken} | {c.id for c in REGISTRIES.cameras}
    codes |= {c.code for entries in REGISTRIES.categories.values() for c in entries}
    assert max(len(code) for code in codes) <= CODE_MAX_LENGTH


def test_a_registry_code_longer_than_the_store_column_is_refused(tmp_path: Any) -> None:
    import shutil

    from events.errors import RegistryError
    from events.registry import DEFAULT_DIR

    shutil.copytree(DEFAULT_DIR, tmp_path / "r")
    wijken = tmp_path / "r" / "wijken.json"
    wijken.write_text(wijken.read_text().replace('"dorp"', '"' + "d" * 65 + '"', 1))
    with pytest.raises(RegistryError, match="wijken"):
        load_registries(tmp_path / "r")
