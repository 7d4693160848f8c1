"""Fuzzing POST /v1/events with 10,000 generated bodies against the real broker: no 5xx, and
nothing invalid is ever written to Kafka."""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from events.binding import from_kafka
from events.registry import load_registries
from service.bootstrap import Wiring
from service.kafka.topics import Topics
from service.settings import Settings
from tests.integration.kafka_util import ensure, read_all
from tests.strategies import valid_events

pytestmark = pytest.mark.integration
REGISTRIES = load_registries()
KEY = "test-key-handhaving-0001"
SINGLE, BATCH = "application/cloudevents+json", "application/cloudevents-batch+json"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def own_events(draw: st.DrawFn) -> dict[str, Any]:
    """Valid events of the field system whose key the fuzzer uses."""
    event = draw(valid_events())
    event["source"] = "urn:nld:gemeente-zoetermeer:systeem:handhaving-app"
    return event


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one to three fields replaced by arbitrary JSON, removed, or added."""
    event = copy.deepcopy(draw(own_events()))
    for _ in range(draw(st.integers(1, 3))):
        target = (
            event["data"] if draw(st.booleans()) and isinstance(event.get("data"), dict) else event
        )
        if not isinstance(target, dict) or not target:
            break
        field = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            target[field] = draw(json_values)
        elif action == "remove":
            del target[field]
        else:
            target[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return event


def dump(value: Any) -> bytes:
    return json.dumps(value).encode()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """(category, content type, body)."""
    category = draw(
        st.sampled_from(
            [
                "valid",
                "mutated-event",
                "mutated-batch",
                "random-json",
                "random-bytes",
                "wrong-content-type",
                "deep-nesting",
                "duplicate-keys",
                "invalid-utf8",
                "huge-string",
                "oversized-batch",
                "not-an-object",
            ]
        )
    )
    if category == "valid":
        return category, SINGLE, dump(draw(own_events()))
    if category == "mutated-event":
        return category, SINGLE, dump(draw(mutated()))
    if category == "mutated-batch":
        batch = draw(st.lists(st.one_of(own_events(), mutated()), min_size=1, max_size=6))
        return category, BATCH, dump(batch)
    if category == "random-json":
        return category, draw(st.sampled_from([SINGLE, BATCH])), dump(draw(json_values))
    if category == "random-bytes":
        return category, draw(st.sampled_from([SINGLE, BATCH])), draw(st.binary(max_size=200))
    if category == "wrong-content-type":
        content_type = draw(
            st.sampled_from(["application/json", "text/plain", "", "application/cloudevents"])
        )
        return category, content_type, dump(draw(own_events()))
    if category == "deep-nesting":
        depth = draw(st.integers(30, 3000))
        return category, SINGLE, b'{"data":' * depth + b"1" + b"}" * depth
    if category == "duplicate-keys":
        text = dump(draw(own_events())).decode()
        return category, SINGLE, (text[:-1] + ', "id": "again"}').encode()
    if category == "invalid-utf8":
        text = dump(draw(own_events()))
        cut = draw(st.integers(1, len(text) - 1))
        return category, SINGLE, text[:cut] + b"\xff\xfe" + text[cut:]
    if category == "huge-string":
        event = draw(own_events())
        event["data"]["category"] = "x" * draw(st.integers(1000, 100_000))
        return category, SINGLE, dump(event)
    if category == "oversized-batch":
        return category, BATCH, dump([{}] * draw(st.integers(1001, 1500)))
    return category, BATCH, dump(draw(st.sampled_from([{}, "x", 1, None, [[]]])))


def test_fuzzed_bodies_never_5xx_and_never_write_anything_invalid(settings: Settings) -> None:
    # Ten thousand bodies as fast as they come: far above a field system's rate limit, which
    # tests/unit/test_api.py tests; here every body must reach the edge.
    settings = settings.model_copy(update={"rate_limit": 1e9, "rate_burst": 10**9})
    ensure(settings)
    seen: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    accepted = 0
    app = Wiring(settings).api()
    loop = asyncio.new_event_loop()
    # The app runs in this loop, driven request by request from the Hypothesis test body:
    # an in-process ASGI client is ~8x faster than TestClient's thread portal.
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wijkwacht")

    @settings_(
        max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(bodies())
    def fuzz(case: tuple[str, str, bytes]) -> None:
        nonlocal accepted
        category, content_type, body = case
        response = loop.run_until_complete(
            client.post(
                "/v1/events",
                content=body,
                headers={"content-type": content_type, "authorization": f"Bearer {KEY}"},
            )
        )
        seen[category] += 1
        statuses[response.status_code] += 1
        assert response.status_code < 500, (category, response.status_code, response.text)
        if response.status_code == 202:
            accepted += response.json()["accepted"]
        else:
            assert response.headers["content-type"] == "application/problem+json"

    try:
        fuzz()
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
    topics = Topics(settings.namespace)
    records = [
        record
        for name in settings.field_systems
        for record in read_all(settings, topics.input(name), timeout=60)
    ]
    for record in records:
        from_kafka(record.value, record.headers, REGISTRIES)  # raises if anything is invalid
    assert len(records) == accepted
    print(f"\nfuzzed {sum(seen.values())} bodies: {dict(seen)}; statuses {dict(statuses)}")
    assert sum(seen.values()) >= 10_000
    assert statuses[202] > 0 and statuses[422] > 0 and statuses[400] > 0
