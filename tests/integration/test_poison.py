"""1,000 hand-made poison records written straight to the input topic: all land in the
dead-letter topic with a reason, the worker keeps running, and the aggregates do not move."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

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
from tests.reference import expected_totals
from tests.support import Process, wait_until

pytestmark = pytest.mark.integration
REGISTRIES = load_registries()
Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]


def binary(event: dict[str, Any]) -> Record:
    return to_kafka(parse_event(event, REGISTRIES))


def poison(n: int, rnd: random.Random, counted: list[dict[str, Any]]) -> tuple[str, Record]:
    """One poison record of one of many kinds; returns (expected error code, record)."""
    good = factories.report(f"P-{n}")
    key, value, headers = binary(good)
    kind = n % 16
    if kind == 0:
        return "invalid", (key, b"{not json" + bytes([rnd.randrange(256)]), headers)
    if kind == 1:
        return "invalid", (
            key,
            bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 64))),
            headers,
        )
    if kind == 2:
        return "invalid", (key, None, headers)  # a tombstone
    if kind == 3:
        return "invalid", (key, value, [])  # no CloudEvents headers at all
    if kind == 4:
        return "invalid", (
            key,
            value,
            [(k, b"nl.wijkwacht.onbekend.v1" if k == "ce_type" else v) for k, v in headers],
        )
    if kind == 5:
        return "invalid", (
            key,
            value,
            [(k, b"gisteren" if k == "ce_time" else v) for k, v in headers],
        )
    if kind == 6:
        data = json.loads(value) | {"naam": "Jan Jansen", "kenteken": "12-AB-3"}
        return "invalid", (key, json.dumps(data).encode(), headers)
    if kind == 7:
        data = json.loads(value) | {"wijk": rnd.choice(["atlantis", "DORP", "", "dorp "])}
        return "invalid", (key, json.dumps(data).encode(), headers)
    if kind == 8:
        return "wrong-key", (b"someone-else" + key, value, headers)
    if kind == 9:
        return "wrong-key", (None, value, headers)
    if kind == 10:
        broken = dict(good, specversion="0.3")
        return "invalid", (
            key,
            json.dumps(broken).encode(),
            [("content-type", b"application/cloudevents+json")],
        )
    if kind == 11:
        return "invalid", (
            key,
            value,
            [(k, b"\xff\xfe" if k == "ce_id" else v) for k, v in headers],
        )
    if kind == 12:
        data = json.loads(value) | {"revision": rnd.choice([0, -1, "2", 1.5, None])}
        return "invalid", (key, json.dumps(data).encode(), headers)
    if kind == 13:
        return "invalid", (key, b"[]", headers)
    if kind == 14:  # same subject and revision as a counted incident, another id
        target = rnd.choice(counted)
        clash = dict(target, id=f"clash-{n}")
        return "conflict-revision", binary(clash)
    target = rnd.choice(counted)  # another kind under a subject that already has one
    clash = factories.envelope(
        "nl.wijkwacht.cameraincident.v1",
        target["source"],
        target["subject"],
        {
            "revision": 99,
            "occurred_at": "2022-06-01T23:10:00+02:00",
            "camera": "stadshart",
            "category": "geweld",
        },
    )
    return "conflict-kind", binary(clash)


def test_a_thousand_poison_records_go_to_the_dlq_and_change_nothing(
    settings: Settings, worker: Process
) -> None:
    topics = Topics(settings.namespace)
    rnd = random.Random(20221231)
    counted = [
        factories.report(f"V-{n}", category=rnd.choice(["afval", "horeca", "parkeren"]))
        for n in range(40)
    ]
    counted += [factories.damage(f"D-{n}", amount_cents=rnd.randint(1, 90_000)) for n in range(10)]
    produce_inputs(settings, [binary(e) for e in counted])
    upgrade(settings.store_url)
    repository = SqlTotalsRepository(make_engine(settings.store_url))
    expected = {(k, c, w): v for (k, c, w, _), v in expected_totals(counted).items()}

    def totals() -> dict[tuple[str | None, str | None, str | None], tuple[int, int, int]]:
        return {
            (r.kind, r.category, r.wijk): (r.count, r.amount_cents, r.illegal_fireworks_cents)
            for r in repository.totals(year=2022)
        }

    wait_until(lambda: totals() == expected, timeout=60, what="the valid events to be counted")

    poisoned = [poison(n, rnd, counted) for n in range(1000)]
    produce_inputs(settings, [record for _, record in poisoned])
    late = factories.report("LATE-1", category="horeca")
    produce_inputs(settings, [binary(late)])

    dead = wait_until(
        lambda: r if len(r := read_all(settings, topics.dlq)) >= 1000 else None,
        timeout=120,
        what="1,000 dead letters",
    )
    assert len(dead) == 1000
    codes = Counter(dict(r.headers)["wijkwacht-error"].decode() for r in dead)
    assert codes == Counter(code for code, _ in poisoned)
    assert all(dict(r.headers)["wijkwacht-error-detail"] for r in dead)
    sent = Counter((k, v) for _, (k, v, _) in poisoned)
    assert Counter((r.key, r.value) for r in dead) == sent  # original key and value, untouched

    expected[("handhavingsmelding", "horeca", "dorp")] = (
        expected.get(("handhavingsmelding", "horeca", "dorp"), (0, 0, 0))[0] + 1,
        0,
        0,
    )
    wait_until(lambda: totals() == expected, timeout=60, what="the event after the poison")
    assert worker.alive()
