"""The API's limits with real clients over real sockets, the API and a worker as processes on
the real broker: a field system over its rate gets 429 with Retry-After and is let in again
after it; a credential holds at most its share of live streams; a reader that stops reading is
let go after the send timeout, and its place is free again."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from events.registry import load_registries
from service.settings import Settings
from tests import factories
from tests.e2e.dashboard import KEYS, OPERATOR_KEY, Stack, running_stack
from tests.support import READER, READER_KEY, free_port, wait_until

pytestmark = pytest.mark.e2e
BATCH = {"content-type": "application/cloudevents-batch+json"}
STREAM = "/v1/live/stream"


@pytest.fixture
def limited(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(
        settings.model_copy(update={"api_port": free_port()}),
        tmp_path,
        WIJKWACHT_RATE_LIMITS="handhaving-app:0.2:2",  # a request per 5 s, two at once
        WIJKWACHT_SSE_MAX_PER_CREDENTIAL="1",
    ) as stack:
        yield stack


def post(stack: Stack, events: list[dict[str, Any]]) -> httpx.Response:
    key = KEYS[events[0]["source"]]
    return httpx.post(
        f"{stack.base}/v1/events",
        content=json.dumps(events),
        headers={**BATCH, "authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_a_field_system_over_its_rate_waits_as_told_and_others_go_on(limited: Stack) -> None:
    damage = factories.damage("RL-WARM", jaarwisseling=2022, amount_cents=100)
    assert post(limited, [damage]).status_code == 202  # Kafka's producer is warm now
    answers = [post(limited, [factories.report(f"RL-{n}")]) for n in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[2]
    assert refused.headers["content-type"] == "application/problem+json"
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 5 and "rate limit" in refused.json()["detail"]
    other = factories.damage("RL-OTHER", jaarwisseling=2022, amount_cents=100)
    assert post(limited, [other]).status_code == 202  # another field system, its own bucket
    time.sleep(wait)
    assert post(limited, [factories.report("RL-AGAIN")]).status_code == 202


def test_a_reader_that_stops_reading_is_let_go_and_its_place_is_free_again(
    limited: Stack,
) -> None:
    stalled = open_and_never_read(limited, READER_KEY)
    try:
        assert stream_status(limited, READER_KEY) == 503  # the reader's one place is taken
        assert stream_status(limited, OPERATOR_KEY) == 200  # another credential's is not
        # Changes flow to the stalled reader until its buffers are full and a send waits;
        # after the send timeout (10 s) the API lets it go.
        stop = threading.Event()
        feeder = threading.Thread(target=feed_changes, args=(limited, stop), daemon=True)
        feeder.start()
        try:
            wait_until(
                lambda: stream_status(limited, READER_KEY) == 200,
                timeout=90,
                what="the stalled reader's place to be free again",
            )
        finally:
            stop.set()
            feeder.join(30)
    finally:
        stalled.close()


def open_and_never_read(stack: Stack, key: str) -> socket.socket:
    """A live stream whose reader takes in almost nothing: a tiny receive buffer, never read."""
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    port = int(stack.base.rsplit(":", 1)[1])
    client.connect(("127.0.0.1", port))
    client.sendall(
        f"GET {STREAM}?scope=year&period=2022 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    wait_until(lambda: stream_status(stack, key) == 503, timeout=30, what="the stream to open")
    return client


def stream_status(stack: Stack, key: str) -> int:
    headers = {"authorization": f"Bearer {key}"}
    with httpx.stream(
        "GET",
        f"{stack.base}{STREAM}",
        params={"scope": "year", "period": "2022"},
        headers=headers,
        timeout=30,
    ) as response:
        return response.status_code


def feed_changes(stack: Stack, stop: threading.Event) -> None:
    """Damage items in every wijk and category, a batch at a time: each batch a live change
    of up to a hundred rows."""
    registries = load_registries()
    cells = [
        (wijk.code, category.code)
        for wijk in registries.wijken
        for category in registries.categories["jaarwisselingsschade"]
    ]
    n = 0
    while not stop.is_set():
        batch = [
            factories.damage(f"STALL-{n}-{i}", amount_cents=100 + n, wijk=wijk, category=category)
            for i, (wijk, category) in enumerate(cells)
        ]
        assert post(stack, batch).status_code == 202
        n += 1
        time.sleep(1.0)  # some 20 kB a second: minutes to fill what Linux would allow


def test_readers_may_watch_after_the_stalled_one_and_the_live_counts_hold(limited: Stack) -> None:
    """Neither limit loses anything: what was accepted is counted."""
    events = [factories.damage(f"HOLD-{i}", jaarwisseling=2022, amount_cents=1) for i in range(5)]
    assert post(limited, events).status_code == 202

    def counted() -> bool:
        body = httpx.get(
            f"{limited.base}/v1/live", params={"scope": "year", "period": "2022"}, headers=READER
        ).json()
        return sum(r["count"] for r in body["rows"]) == 5

    wait_until(counted, timeout=60, what="the five damage items in the live counts")
