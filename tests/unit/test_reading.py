"""The worker's two ways of reading a record agree: the fast path for what the API sealed, and
full validation for everything else; a seal that does not hold never opens the fast path."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from events.binding import to_kafka
from events.errors import InvalidEvent
from events.models import parse_event
from events.seal import SEAL_HEADER, Seal
from service.bootstrap import local_seal_key
from service.settings import Settings
from service.stream.reading import Reader, read_sealed, read_validated
from tests import factories
from tests.strategies import REGISTRIES, edge_events, valid_events

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEAL = Seal(b"0123456789abcdef-test-seal-key")


def sealed(raw: dict[str, Any], seal: Seal = SEAL) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The record the API writes for a valid event: binary mode, with its seal."""
    _, value, headers = to_kafka(parse_event(raw, REGISTRIES))
    return value, [*headers, seal.header(headers, value)]


def assert_same_reading(raw: dict[str, Any]) -> None:
    value, headers = sealed(raw)
    fast = read_sealed(dict(headers), value, REGISTRIES)
    assert fast == read_validated(value, headers, REGISTRIES)
    reader = Reader(REGISTRIES, SEAL)
    assert reader.read(value, headers) == fast
    assert reader.take_paths() == {"sealed": 1}


@SETTINGS
@given(valid_events())
def test_the_fast_path_reads_every_valid_event_as_full_validation_does(raw: dict[str, Any]) -> None:
    assert_same_reading(raw)


@SETTINGS
@given(edge_events())
def test_the_fast_path_agrees_at_the_extremes_the_edge_allows(raw: dict[str, Any]) -> None:
    assert_same_reading(raw)


def test_a_camera_incident_counts_in_its_cameras_wijk_on_both_paths() -> None:
    camera = next(c for c in REGISTRIES.cameras if c.fixed)
    raw = factories.camera_incident(camera=camera.id)
    raw["data"].pop("wijk", None)
    value, headers = sealed(raw)
    reading = read_sealed(dict(headers), value, REGISTRIES)
    assert reading.revision.contribution is not None
    assert reading.revision.contribution.wijk == camera.wijk


def changed_value(value: bytes, **changes: Any) -> bytes:
    return orjson.dumps({**orjson.loads(value), **changes})


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda v, h: (changed_value(v, wijk="atlantis"), h), id="value"),
        pytest.param(
            lambda v, h: (
                v,
                [(n, b"nl.wijkwacht.cameraincident.v1" if n == "ce_type" else x) for n, x in h],
            ),
            id="type-header",
        ),
        pytest.param(lambda v, h: (changed_value(v, amount_cents=-5), h), id="damage-amount"),
    ],
)
def test_a_record_changed_after_sealing_is_validated_in_full_and_refused(tamper: Any) -> None:
    raw = factories.damage("JW-T") if "amount" in repr(tamper) else factories.report("HH-T")
    value, headers = tamper(*sealed(raw))
    reader = Reader(REGISTRIES, SEAL)
    with pytest.raises(InvalidEvent):
        reader.read(value, headers)
    assert reader.take_paths() == {"validated": 1}


def test_a_field_system_cannot_seal_without_the_key() -> None:
    """A record sealed under another key, or with a seal copied from another record, is
    validated in full: an invalid one is refused, a valid one counts as it would anyway."""
    forged_value, forged_headers = sealed(factories.report("HH-F"), Seal(b"not-the-api-key-at-all"))
    forged_value = changed_value(forged_value, category="niet-in-het-register")
    _, other = sealed(factories.report("HH-G"))
    copied = [h for h in forged_headers if h[0] != SEAL_HEADER] + [
        h for h in other if h[0] == SEAL_HEADER
    ]
    reader = Reader(REGISTRIES, SEAL)
    for headers in (forged_headers, copied):
        with pytest.raises(InvalidEvent, match="category"):
            reader.read(forged_value, headers)
    assert reader.take_paths() == {"validated": 2}


def test_without_a_seal_key_every_record_is_validated() -> None:
    value, headers = sealed(factories.report("HH-N"))
    reader = Reader(REGISTRIES)
    assert reader.read(value, headers) == read_validated(value, headers, REGISTRIES)
    assert reader.take_paths() == {"validated": 1}


def test_a_sealed_record_the_fast_path_cannot_read_is_validated_and_counted_as_such() -> None:
    """Sealed, yet not in the form the API writes (here: a payload field renamed, as a later
    API might): the full validation decides, and the path is counted so that it shows."""
    raw = factories.report("HH-U")
    _, value, headers = to_kafka(parse_event(raw, REGISTRIES))
    document = orjson.loads(value)
    document["occurred"] = document.pop("occurred_at")
    value = orjson.dumps(document)
    headers = [*headers, SEAL.header(headers, value)]
    reader = Reader(REGISTRIES, SEAL)
    with pytest.raises(InvalidEvent, match="occurred"):
        reader.read(value, headers)
    assert reader.take_paths() == {"sealed-unreadable": 1, "validated": 1}


def test_the_local_seal_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "seal.key"
    first = local_seal_key(path)
    assert local_seal_key(path) == first
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_short_seal_key_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="seal_key"):
        Settings(seal_key="too-short")
    with pytest.raises(ValueError, match="16 bytes"):
        Seal(b"short")


def test_processes_starting_together_agree_on_the_local_seal_key(tmp_path: Path) -> None:
    """`wijkwacht run` starts the worker and the API at once: whichever makes the key, both
    read the whole of the same one."""
    import multiprocessing

    path = tmp_path / "seal.key"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        keys = pool.map(local_seal_key, [path] * 16)
    assert len(set(keys)) == 1
    assert len(keys[0]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["seal.key"]
