"""The operations dashboard in a real browser (Debian's chromium driven by Playwright): worker
and API processes on the real broker, events posted over HTTP, the cells changing in place,
and the page showing a lost stream and finding it again by itself."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from events.periods import LOCAL
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure
from tests.support import READER, READER_KEY, Process, free_port, settings_env, wait_until

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEYS = {
    factories.HANDHAVING: "test-key-handhaving-0001",
    factories.SCHADE: "test-key-schade-000000001",
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
        response = httpx.post(
            f"{self.base}/v1/events",
            content=json.dumps(event),
            headers={
                "content-type": "application/cloudevents+json",
                "authorization": f"Bearer {KEYS[event['source']]}",
            },
            timeout=30,
        )
        assert response.status_code == 202, response.text


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    settings = settings.model_copy(update={"api_port": free_port()})
    # Playwright's sync API keeps an event loop running in this thread: create the topics
    # (asyncio.run) in a thread of their own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(ensure, settings).result()
    env = settings_env(settings)
    env["WIJKWACHT_API_KEYS"] = ",".join(
        f"{source.rsplit(':', 1)[1]}:{key}" for source, key in KEYS.items()
    )
    env["WIJKWACHT_ADMIN_KEYS"] = f"j-jansen:{OPERATOR_KEY}"
    # Sessions outlive an API restart only with a secret of their own, as in production.
    env["WIJKWACHT_SESSION_SECRET"] = "a-session-secret-for-the-tests-000001"
    worker = Process(["worker"], env, tmp_path / "worker.log")
    stack = Stack(f"http://127.0.0.1:{settings.api_port}", env, tmp_path, worker)
    try:
        stack.start_api()
        yield stack
    finally:
        if stack.api is not None:
            stack.stop_api()
        assert worker.stop() == 0, worker.output()[-2000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1600, "height": 900}, locale="nl-NL")
    yield page
    page.close()


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


def test_posted_events_change_their_cells_in_place(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    open_dashboard(page, stack, "?scope=day&kind=handhavingsmelding")
    expect(page.locator("#grid thead")).to_contain_text("Geluidsoverlast")
    expect(page.locator("#grid tbody")).to_contain_text("Buytenwegh-De Leyens")
    warm_up(page, stack)
    horeca = cell(page, "palenstein", "horeca")
    expect(horeca).to_have_text("0")
    grid = page.locator("#grid").bounding_box()

    started = time.monotonic()
    stack.post(report_today("DASH-1", wijk="palenstein", category="horeca"))
    expect(horeca).to_have_text("1", timeout=LIVE_WITHIN_MS)
    print(f"\ncell changed {time.monotonic() - started:.2f}s after the POST was sent")
    expect(page.locator('td[data-wijk="palenstein"][data-total="wijk"] .main')).to_have_text("1")
    expect(page.locator("#total")).to_have_text("2")
    assert page.locator("#grid").bounding_box() == grid, "the grid moved"

    page.get_by_role("button", name="Jaarwisselingsschade").click()
    this_year = damage_year()
    stack.post(
        damage_today(
            "JW-A",
            jaarwisseling=this_year,
            amount_cents=6_985_432,
            illegal=True,
            wijk="seghwaert",
            category="verharding",
        )
    )
    stack.post(
        damage_today(
            "JW-B",
            jaarwisseling=this_year,
            amount_cents=3_000_000,
            illegal=False,
            wijk="seghwaert",
            category="groen",
        )
    )
    expect(cell(page, "seghwaert", "verharding")).to_have_text("€\u00a069.854", timeout=10_000)
    expect(page.locator('td[data-wijk="seghwaert"][data-category="verharding"] .sub')).to_have_text(
        "1 · 100%"
    )
    expect(page.locator("#total")).to_have_text("€\u00a099.854", timeout=10_000)
    expect(page.locator("#fireworks-value")).to_have_text("€\u00a069.854 (70%)")

    # Last jaarwisseling, for the comparison of this year's figure with last year's.
    stack.post(
        damage_today(
            "JW-C",
            jaarwisseling=this_year - 1,
            amount_cents=5_000_000,
            illegal=False,
            wijk="dorp",
            category="groen",
        )
    )
    wait_until(
        lambda: httpx.get(
            f"{stack.base}/v1/live",
            headers=READER,
            params={"scope": "year", "period": str(this_year - 1)},
        ).json()["rows"],
        timeout=30,
        what="last year's damage in the live view",
    )
    page.get_by_role("button", name="Dit jaar").click()
    expect(page.locator("#period-label")).to_have_text(f"Jaarwisseling {this_year}/{this_year + 1}")
    expect(page.locator("#total")).to_have_text("€\u00a099.854", timeout=10_000)
    expect(page.locator("#change-label")).to_have_text(
        f"t.o.v. jaarwisseling {this_year - 1}/{this_year} (€\u00a050.000)", timeout=10_000
    )
    expect(page.locator("#change-value")).to_have_text("+99,7%")
    assert page.url.endswith("?scope=year&kind=jaarwisselingsschade")
    screenshot(page, tmp_path, "dashboard.png")


def test_a_lost_stream_shows_and_heals_by_itself(stack: Stack, page: Page, tmp_path: Path) -> None:
    open_dashboard(page, stack, "?scope=week&kind=handhavingsmelding")
    warm_up(page, stack)

    stack.stop_api()
    expect(status(page)).to_have_attribute("data-state", "disconnected", timeout=10_000)
    expect(status(page)).to_contain_text("Verbinding verbroken")
    screenshot(page, tmp_path, "dashboard-disconnected.png")

    stack.start_api()
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)
    expect(cell(page, "dorp", "afval")).to_have_text("1", timeout=10_000)
    stack.post(report_today("DASH-2", wijk="rokkeveen", category="parkeren"))
    expect(cell(page, "rokkeveen", "parkeren")).to_have_text("1", timeout=5_000)


def test_the_badge_says_in_dutch_when_no_worker_runs(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    open_dashboard(page, stack, "?scope=day&kind=handhavingsmelding")
    warm_up(page, stack)

    assert stack.worker.stop() == 0, stack.worker.output()[-2000:]
    expect(status(page)).to_have_attribute("data-state", "degraded", timeout=30_000)
    expect(status(page)).to_contain_text("Verwerking staat stil: er draait geen worker")
    screenshot(page, tmp_path, "dashboard-no-worker.png")

    worker = Process(["worker"], stack.env, tmp_path / "worker-2.log")
    try:
        expect(status(page)).to_have_attribute("data-state", "live", timeout=60_000)
        stack.post(report_today("DASH-W", wijk="rokkeveen", category="parkeren"))
        expect(cell(page, "rokkeveen", "parkeren")).to_have_text("1", timeout=30_000)
    finally:
        assert worker.stop() == 0, worker.output()[-2000:]


def test_a_visitor_signs_in_before_seeing_anything_and_a_reader_cannot_close_a_year(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{stack.base}/?scope=day&kind=handhavingsmelding")
    expect(page.locator("#signin")).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_be_hidden()
    assert page.locator("#grid td").count() == 0  # nothing of the figures reached the page
    page.fill("#signin-key", "a-key-nobody-has-000001")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_have_text("Onbekende sleutel.")
    screenshot(page, tmp_path, "dashboard-sign-in.png")
    page.fill("#signin-key", READER_KEY)
    page.click("#signin-form button[type=submit]")
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)
    warm_up(page, stack)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["wijkwacht_session"]["httpOnly"]
        and cookies["wijkwacht_session"]["sameSite"] == "Strict"
    )
    closing = page.evaluate(
        "async () => (await fetch('/v1/years/2022/close', {method: 'POST'})).status"
    )
    assert closing == 403  # a reader's session may read, not operate
    page.click("#signout")
    expect(page.locator("#signin")).to_be_visible(timeout=10_000)
    page.fill("#signin-key", OPERATOR_KEY)
    page.click("#signin-form button[type=submit]")
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)
    closing = page.evaluate(
        "async () => (await fetch('/v1/years/2021/close', {method: 'POST'})).status"
    )
    assert closing == 201  # an operator's may
