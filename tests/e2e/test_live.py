"""Live counts as operations see them: worker and API processes on the real broker, an event
posted, the change arriving on the SSE stream and in GET /v1/live."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure
from tests.support import READER, Process, free_port, settings_env, wait_until

pytestmark = pytest.mark.e2e
KEY = "test-key-handhaving-0001"


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[str]:
    settings = settings.model_copy(update={"api_port": free_port()})
    ensure(settings)
    env = settings_env(settings)
    worker = Process(["worker"], env, tmp_path / "worker.log")
    api = Process(["api"], env, tmp_path / "api.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    try:
        wait_until(lambda: _ready(base), timeout=60, what="the API")
        yield base
    finally:
        codes = api.stop(), worker.stop()
        # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly
        assert codes[0] in (0, -signal.SIGTERM), api.output()[-2000:]
        assert codes[1] == 0, worker.output()[-2000:]


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def post(base: str, event: dict) -> None:
    response = httpx.post(
        f"{base}/v1/events",
        content=json.dumps(event),
        headers={"content-type": "application/cloudevents+json", "authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text


class StreamReader(threading.Thread):
    """Collects the events of one SSE connection."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[tuple[str, dict]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream(
                "GET", self.url, headers=READER, timeout=httpx.Timeout(5, read=None)
            ) as response:
                name = None
                for line in response.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("event:"):
                        name = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and name:
                        self.events.append((name, json.loads(line.split(":", 1)[1])))
        except httpx.HTTPError:
            if not self.stop.is_set():  # the server went away before the test was done
                raise


def test_an_event_reaches_the_stream_and_the_live_counts(stack: str) -> None:
    reader = StreamReader(f"{stack}/v1/live/stream?scope=day&period=2022-06-01")
    reader.start()
    wait_until(
        lambda: any(name == "snapshot" for name, _ in reader.events),
        timeout=30,
        what="the snapshot event",
    )
    assert reader.events[0][1]["rows"] == []
    post(stack, factories.report("LIVE-1", category="horeca", wijk="palenstein"))

    def streamed() -> list | None:
        return [
            row for name, body in reader.events if name == "rows" for row in body["rows"]
        ] or None

    rows = wait_until(streamed, timeout=30, what="a rows event")
    assert rows == [
        {
            "kind": "handhavingsmelding",
            "category": "horeca",
            "wijk": "palenstein",
            "count": 1,
            "amount_cents": 0,
            "illegal_fireworks_cents": 0,
        }
    ]
    reader.stop.set()

    live = httpx.get(
        f"{stack}/v1/live", headers=READER, params={"scope": "year", "period": "2022"}
    ).json()
    assert live["scope"] == "year" and live["period"] == "2022"
    assert [(r["category"], r["count"]) for r in live["rows"]] == [("horeca", 1)]
    assert "time" in live["as_of"]
    wait_until(
        lambda: httpx.get(f"{stack}/v1/live", headers=READER).json()["as_of"]["events_behind"] == 0,
        timeout=30,
        what="no lag",
    )
    assert (
        httpx.get(
            f"{stack}/v1/live",
            headers=READER,
            params={"scope": "year", "period": "2022", "kind": "cameraincident"},
        ).json()["rows"]
        == []
    )
    bad = httpx.get(
        f"{stack}/v1/live", headers=READER, params={"scope": "week", "period": "2022-12"}
    )
    assert bad.status_code == 400 and "2022-W52" in bad.json()["detail"]
