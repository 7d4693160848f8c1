"""The dashboard's woonoverlast view in a real browser: an operator sees cases open now per wijk
and housing type, and the week's registrations and closings, move within two seconds of a
posted case or status (a status before its case included); a reader sees no small numbers
(issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.dashboard import (
    LIVE_WITHIN_MS,
    OPERATOR_KEY,
    Stack,
    now,
    screenshot,
    sign_in,
    status,
)
from tests.support import READER_KEY

pytestmark = pytest.mark.e2e
VIEW = "?scope=week&kind=woonoverlast"


def opened(subject: str, **data: Any) -> dict[str, Any]:
    event = factories.case_opening(subject, registered_at=now(), **data)
    event["time"] = now()
    return event


def closed(subject: str) -> dict[str, Any]:
    event = factories.case_status(subject, f"{subject}-S1", "afgerond", set_at=now())
    event["time"] = now()
    return event


def cell(page: Page, wijk: str, housing: str) -> Any:
    return page.locator(f'#grid td[data-wijk="{wijk}"][data-housing="{housing}"]')


def open_view(page: Page, stack: Stack, key: str) -> None:
    page.goto(f"{stack.base}/{VIEW}")
    sign_in(page, key)
    expect(status(page)).to_have_attribute("data-state", "live", timeout=30_000)
    expect(page.get_by_role("button", name="Woonoverlast")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_an_operator_sees_cases_open_and_the_weeks_flows_move(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    open_view(page, stack, OPERATOR_KEY)
    here = cell(page, "buytenwegh-de-leyens", "corporatie")
    expect(here.locator(".main")).to_have_text("0")
    # The first event waits for the worker to join its group.
    stack.post(opened("ZAAK-W-0"))
    expect(here.locator(".main")).to_have_text("1", timeout=60_000)
    stack.post(opened("ZAAK-W-1"))
    expect(here.locator(".main")).to_have_text("2", timeout=LIVE_WITHIN_MS)
    expect(here.locator(".sub")).to_have_text("+2 · −0")
    stack.post(closed("ZAAK-W-1"))
    expect(here.locator(".main")).to_have_text("1", timeout=LIVE_WITHIN_MS)
    expect(here.locator(".sub")).to_have_text("+2 · −1")
    # A status before its case: held, and counted when the case comes.
    stack.post(closed("ZAAK-W-2"))
    stack.post(opened("ZAAK-W-2", wijk="dorp", housing="koop"))
    there = cell(page, "dorp", "koop")
    expect(there.locator(".sub")).to_have_text("+1 · −1", timeout=LIVE_WITHIN_MS)
    expect(there.locator(".main")).to_have_text("0")
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator('#wijkmap g[data-wijk="buytenwegh-de-leyens"]')).to_have_attribute(
        "data-value", "1"
    )
    expect(page.locator("#legend")).to_contain_text("open zaken nu")
    screenshot(page, tmp_path, "dashboard-woonoverlast-1600.png")


def test_a_reader_sees_no_small_numbers(stack: Stack, page: Page) -> None:
    open_view(page, stack, READER_KEY)
    stack.post(opened("ZAAK-R-0"))
    here = cell(page, "buytenwegh-de-leyens", "corporatie")
    legend = page.locator("#legend")
    expect(legend).to_contain_text("1 rij niet", timeout=60_000)
    expect(here.locator(".main")).to_have_text("–")
    expect(legend).to_contain_text("minder dan 5")
    expect(page.locator("#total")).to_have_text("0")
    tile = page.locator('#wijkmap g[data-wijk="buytenwegh-de-leyens"]')
    expect(tile).to_have_attribute("aria-label", "Buytenwegh-De Leyens: –")
