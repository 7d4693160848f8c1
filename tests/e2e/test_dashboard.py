"""The operations dashboard in a real browser (Debian's chromium driven by Playwright): worker
and API processes on the real broker, events posted over HTTP, the cells changing in place,
and the page showing a lost stream and finding it again by itself."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.dashboard import (
    LIVE_WITHIN_MS,
    OPERATOR_KEY,
    Stack,
    cell,
    damage_today,
    damage_year,
    open_dashboard,
    report_today,
    screenshot,
    status,
    warm_up,
)
from tests.support import READER, READER_KEY, Process, wait_until

pytestmark = pytest.mark.e2e


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
