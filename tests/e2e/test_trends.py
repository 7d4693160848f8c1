"""The dashboard's trends and map in a real browser: today's bar and the wijk's tile move with
a posted event, and a week far above the eight before it gets its mark while ordinary traffic
does not (issue 17)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from events.periods import LOCAL
from tests import factories
from tests.e2e.dashboard import (
    LIVE_WITHIN_MS,
    Stack,
    damage_today,
    damage_year,
    open_dashboard,
    report_today,
    screenshot,
    warm_up,
)
from tests.support import READER, wait_until

pytestmark = pytest.mark.e2e
REPORT = "handhavingsmelding"
PER_WEEK = 4  # the steady level of the eight weeks before this one
STORE_WITHIN_MS = 20_000  # the materialiser's batch, then the page's next look at the store


def week_label(moment: datetime) -> str:
    iso = moment.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def weeks_counted(stack: Stack) -> dict[str, int]:
    body = httpx.get(
        f"{stack.base}/v1/series", params={"kind": REPORT, "scope": "week"}, headers=READER
    ).json()
    return {p["period"]: p["count"] for s in body["series"] for p in s["points"]}


def test_trends_move_with_posted_events_and_mark_a_spike(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    open_dashboard(page, stack, "?scope=week&kind=handhavingsmelding")
    warm_up(page, stack)
    today = page.locator("#trend-days rect.today")
    expect(today).to_have_attribute("data-count", "1", timeout=LIVE_WITHIN_MS)
    started = time.monotonic()
    stack.post(report_today("TREND-1", wijk="palenstein", category="horeca"))
    expect(today).to_have_attribute("data-count", "2", timeout=LIVE_WITHIN_MS)
    print(f"\ntoday's bar moved {time.monotonic() - started:.2f}s after the POST was sent")
    # The map: the wijk's tile says its new figure, in its shade and in words
    tile = page.locator('#wijkmap g[data-wijk="palenstein"]')
    expect(tile).to_have_attribute("data-value", "1", timeout=LIVE_WITHIN_MS)
    expect(tile).to_have_attribute("aria-label", "Palenstein: 1")
    expect(tile.locator("text.value")).to_have_text("1")
    assert tile.get_attribute("data-shade") != "0"
    expect(page.locator('#wijkmap g[data-wijk="meerzicht"]')).to_have_attribute("data-shade", "0")
    expect(page.locator("#map-table")).to_contain_text("Palenstein")

    # Eight ordinary weeks before this one, then one more event this week: no mark.
    now = datetime.now(LOCAL)
    earlier = [now - timedelta(weeks=w) for w in range(1, 9)]
    stack.post_many(
        [
            factories.report(f"TREND-H-{w}-{n}", occurred_at=moment.isoformat())
            for w, moment in enumerate(earlier)
            for n in range(PER_WEEK)
        ]
    )
    wait_until(
        lambda: all(weeks_counted(stack).get(week_label(m)) == PER_WEEK for m in earlier),
        timeout=30,
        what="the eight weeks before to be counted",
    )
    this_week = page.locator(f'#trend-weeks circle[data-period="{week_label(now)}"]')
    stack.post(report_today("TREND-2", wijk="dorp", category="afval"))
    expect(this_week).to_have_attribute("data-count", "3", timeout=LIVE_WITHIN_MS)
    expect(this_week).to_have_attribute("data-marked", "false")
    # (the first weeks of the history are marked: they rose from nothing)
    expect(page.locator("#trend-marked")).not_to_contain_text(week_label(now)[5:])

    # A spike this week: marked, and said in words beside the chart.
    stack.post_many(
        [report_today(f"TREND-S-{n}", wijk="dorp", category="afval") for n in range(10)]
    )
    expect(this_week).to_have_attribute("data-marked", "true", timeout=LIVE_WITHIN_MS)
    expect(page.locator("#trend-marked")).to_contain_text(f"{week_label(now)[5:]}.")
    table = page.locator("#trend-weeks-table")
    expect(table.locator("tbody tr").last).to_contain_text("ja")
    screenshot(page, tmp_path, "dashboard-trends-1600.png")


def test_damage_per_jaarwisseling_from_the_store(stack: Stack, page: Page, tmp_path: Path) -> None:
    """For New Year damage, a bar per jaarwisseling with its part by illegal fireworks, from
    the store; it follows what the materialiser writes, and only the damage view shows it."""
    this_year = damage_year()
    stack.post_many(
        [
            damage_today("TREND-JW-1", jaarwisseling=this_year, amount_cents=300_000, illegal=True),
            damage_today(
                "TREND-JW-2", jaarwisseling=this_year, amount_cents=100_000, illegal=False
            ),
            damage_today(
                "TREND-JW-3", jaarwisseling=this_year - 1, amount_cents=50_000, illegal=True
            ),
        ]
    )
    open_dashboard(page, stack, "?scope=year&kind=jaarwisselingsschade")
    figure = page.locator("#trend-years-figure")
    expect(figure).to_be_visible()
    bar = page.locator(f'#trend-years g.year[data-period="{this_year}"]')
    expect(bar).to_have_attribute("data-amount", "400000", timeout=STORE_WITHIN_MS)
    expect(bar).to_have_attribute("data-fireworks", "300000")
    expect(bar.locator("text.amount")).to_have_text("€\u00a04.000")
    expect(bar.locator("text.share")).to_have_text("75%")
    before = page.locator(f'#trend-years g.year[data-period="{this_year - 1}"]')
    expect(before).to_have_attribute("data-amount", "50000")
    table = page.locator("#trend-years-table")
    expect(table).to_contain_text(f"{this_year}/{this_year + 1}€\u00a04.000€\u00a03.00075%")

    # Live: a new item moves this year's bar once the store has it, without a reload.
    stack.post(
        damage_today("TREND-JW-4", jaarwisseling=this_year, amount_cents=100_000, illegal=False)
    )
    expect(bar).to_have_attribute("data-amount", "500000", timeout=STORE_WITHIN_MS)
    expect(bar.locator("text.share")).to_have_text("60%")
    screenshot(page, tmp_path, "dashboard-years-1600.png")

    page.get_by_role("button", name="Handhavingsmeldingen").click()
    expect(figure).to_be_hidden()
