"""The faust worker on the real broker: records produced straight to the input topic, in both
content modes, with poison among them, end up counted in the store or in the dead-letter topic."""

from __future__ import annotations

import json

import pytest

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.kafka.topics import Topics
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests import factories
from tests.integration.kafka_util import produce_inputs, read_all
from tests.support import Process, wait_until

pytestmark = pytest.mark.integration
REGISTRIES = load_registries()


def binary(event: dict) -> tuple[bytes, bytes, list]:
    return to_kafka(parse_event(event, REGISTRIES))


def structured(event: dict) -> tuple[bytes, bytes, list]:
    key = (event["source"] + event["subject"]).encode()
    return key, json.dumps(event).encode(), [("content-type", b"application/cloudevents+json")]


def test_records_in_both_modes_are_counted_and_poison_goes_to_the_dlq(
    settings: Settings, worker: Process
) -> None:
    topics = Topics(settings.namespace)
    first = factories.report("HH-1", category="afval")
    records = [
        binary(first),
        structured(factories.report("HH-2", category="afval")),
        binary(factories.report("HH-1", revision=2, category="horeca")),  # correction
        binary(first),  # a retry of revision 1: stale now
        binary(factories.damage("JW-1", amount_cents=10_000, illegal_fireworks=True)),
        (b"poison", b"{not json", [("ce_specversion", b"1.0")]),
        (b"HH-9", json.dumps(factories.report("HH-9")["data"]).encode(), []),  # no headers
        structured(factories.report("HH-3", wijk="atlantis")),
        (b"wrong", *binary(factories.report("HH-4"))[1:]),
    ]
    produce_inputs(settings, records)
    upgrade(settings.store_url)
    repository = SqlTotalsRepository(make_engine(settings.store_url))

    def totals() -> dict | None:
        rows = {
            (r.kind, r.category): (r.count, r.amount_cents, r.illegal_fireworks_cents)
            for r in repository.totals(year=2022, group_by=["kind", "category"])
        }
        return rows if len(rows) == 3 else None

    assert wait_until(totals, timeout=60, what="totals in the store") == {
        ("handhavingsmelding", "afval"): (1, 0, 0),
        ("handhavingsmelding", "horeca"): (1, 0, 0),
        ("jaarwisselingsschade", "verharding"): (1, 10_000, 10_000),
    }
    dead = wait_until(
        lambda: (r := read_all(settings, topics.dlq)) and len(r) >= 4 and r,
        timeout=30,
        what="four dead letters",
    )
    by_key = {r.key: r for r in dead}
    assert set(by_key) == {b"poison", b"HH-9", records[7][0], b"wrong"}
    error = {key: dict(r.headers)["wijkwacht-error"] for key, r in by_key.items()}
    assert error == {
        b"poison": b"invalid",
        b"HH-9": b"invalid",
        records[7][0]: b"invalid",
        b"wrong": b"wrong-key",
    }
    detail = {key: dict(r.headers)["wijkwacht-error-detail"].decode() for key, r in by_key.items()}
    assert "not valid JSON" in detail[b"poison"]
    assert detail[records[7][0]].startswith("data.wijk: unknown code 'atlantis'")
    assert by_key[b"poison"].value == b"{not json"  # the original value, untouched
    assert ("ce_specversion", b"1.0") in by_key[b"poison"].headers  # and the original headers
    assert worker.alive()
