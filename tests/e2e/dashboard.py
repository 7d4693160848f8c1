"""The dashboard's test stack: a worker and an API as processes on the real broker, and what
the browser tests look at."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from events.periods import LOCAL
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure
from tests.support import READER_KEY, Process, settings_env, wait_until

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEYS = {
    factories.HANDHAVING: "test-key-handhaving-0001",
    factories.SCHADE: "test-key-schade-000000001",
    factories.ZAKEN: "test-key-zaken-0000000001",
}
LIVE_WITHIN_MS = 2000
OPERATOR_KEY = "test-key-operator-00001"


@dataclass
class Stack:
    """A worker and an API on one port; the API can be stopped and started again."""

    base: str
    env: dict[str, str]
    logs: Path
    worker: Process
    api: Process | None = None

    def start_api(self) -> None:
        self.api = Process(["api"], self.env, self.logs / "api.log")
        wait_until(self.ready, timeout=60, what="the API")

    def stop_api(self) -> None:
        assert self.api is not None
        code = self.api.stop()
        # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly
        assert code in (0, -signal.SIGTERM), self.api.output()[-2000:]
        self.api = None

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def post(self, event: dict[str, Any]) -> None:
        self._post(event, "application/cloudevents+json", event["source"])

    def post_many(self, events: list[dict[str, Any]]) -> None:
        """Events of one field system in one batch."""
        self._post(events, "application/cloudevents-batch+json", events[0]["source"])

    def _post(self, body: object, content_type: str, source: str) -> None:
        response = httpx.post(
            f"{self.base}/v1/events",
            content=json.dumps(body),
            headers={"content-type": content_type, "authorization": f"Bearer {KEYS[source]}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text


@contextmanager
def running_stack(settings: Settings, logs: Path, **env: str) -> Iterator[Stack]:
    """A worker, a materialiser and an API (on `settings.api_port`) with the tests' keys, and
    `env` beside."""
    keys = ",".join(f"{source.rsplit(':', 1)[1]}:{key}" for source, key in KEYS.items())
    settings = settings.model_copy(update={"api_keys": SecretStr(keys)})  # a topic for each
    # Playwright's sync API keeps an event loop running in this thread: create the topics
    # (asyncio.run) in a thread of their own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(ensure, settings).result()
    env = {**settings_env(settings), **env}
    env["WIJKWACHT_ADMIN_KEYS"] = f"j-jansen:{OPERATOR_KEY}"
    # Sessions outlive an API restart only with a secret of their own, as in production.
    env["WIJKWACHT_SESSION_SECRET"] = "a-session-secret-for-the-tests-000001"
    worker = Process(["worker"], env, logs / "worker.log")
    materialiser = Process(["materialise"], env, logs / "materialiser.log")
    stack = Stack(f"http://127.0.0.1:{settings.api_port}", env, logs, worker)
    try:
        stack.start_api()
        yield stack
    finally:
        if stack.api is not None:
            stack.stop_api()
        assert worker.stop() == 0, worker.output()[-2000:]
        assert materialiser.stop() == 0, materialiser.output()[-2000:]


def now() -> str:
    return datetime.now(LOCAL).isoformat()


def damage_year() -> int:
    """The jaarwisseling the dashboard calls "this year": the most recent one."""
    today = datetime.now(LOCAL)
    return today.year if today.month == 12 else today.year - 1


def report_today(subject: str, *, wijk: str, category: str) -> dict[str, Any]:
    return factories.report(subject, occurred_at=now(), wijk=wijk, category=category)


def damage_today(
    subject: str, *, jaarwisseling: int, amount_cents: int, illegal: bool, **where: str
) -> dict[str, Any]:
    """A damage item without occurred_at: its day is that of `time`, today."""
    event = factories.damage(
        subject,
        jaarwisseling=jaarwisseling,
        amount_cents=amount_cents,
        illegal_fireworks=illegal,
        occurred_at=None,
        **where,
    )
    event["time"] = now()
    return event


def cell(page: Page, wijk: str, category: str) -> Any:
    return page.locator(f'td[data-wijk="{wijk}"][data-category="{category}"] .main')


def status(page: Page) -> Any:
    return page.locator("#status")


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    kept = ARTIFACTS / name
    shutil.copyfile(path, kept)
    print(f"\nscreenshot: {kept}")
    return kept


def open_dashboard(page: Page, stack: Stack, query: str) -> None:
    page.goto(f"{stack.base}/{query}")
    sign_in(page, READER_KEY)
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)


def sign_in(page: Page, key: str) -> None:
    """As a person does: the form appears for a visitor who is not signed in."""
    expect(page.locator("#signin")).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_be_hidden()
    page.fill("#signin-key", key)
    page.click("#signin-form button[type=submit]")


def warm_up(page: Page, stack: Stack) -> None:
    """The first event waits for the worker to join its group; the timed ones come after."""
    stack.post(report_today("WARM-1", wijk="dorp", category="afval"))
    expect(cell(page, "dorp", "afval")).to_have_text("1", timeout=60_000)
