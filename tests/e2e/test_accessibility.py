"""The dashboard against WCAG 2.1 A and AA with axe-core, in Chromium, on every view: the
sign-in, each scope and kind, dark and light, wide and narrow; and a walk by keyboard only
(issue 17). Screenshots of each view are kept in test-artifacts/."""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.dashboard import (
    LIVE_WITHIN_MS,
    Stack,
    open_dashboard,
    report_today,
    screenshot,
    warm_up,
)

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ANNOUNCE_WITHIN_MS = 12_000  # ANNOUNCE_MS in dashboard.js, and the time to draw
WIDTHS = {"wide": 1920, "narrow": 375}
VIEWS = [
    ("day", "handhavingsmelding", "dark"),
    ("week", "cameraincident", "dark"),
    ("year", "jaarwisselingsschade", "dark"),
    ("week", "handhavingsmelding", "light"),
    ("year", "jaarwisselingsschade", "light"),
    ("week", "woonoverlast", "dark"),
    ("month", "woonoverlast", "light"),
]


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.1 A and AA on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make a11y` installs axe-core")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
            .violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))""",
        WCAG_21_AA,
    )
    return found


def assert_accessible(page: Page, view: str) -> None:
    found = violations(page)
    print(f"\naxe-core, {view}: {len(found)} violations of WCAG 2.1 A/AA")
    assert found == [], json.dumps(found, indent=2)


def test_the_sign_in_is_accessible(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    for name, width in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="nl-NL", bypass_csp=True
        )
        page = context.new_page()
        try:
            page.goto(f"{stack.base}/")
            expect(page.locator("#signin")).to_be_visible()
            assert_accessible(page, f"sign-in, {name}")
            screenshot(page, tmp_path, f"a11y-signin-{width}.png")
            # The check can fail: a button without a name is caught.
            page.evaluate("document.body.append(document.createElement('button'))")
            assert "button-name" in {v["id"] for v in violations(page)}
        finally:
            context.close()


def test_every_view_of_the_dashboard_is_accessible(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    first = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="nl-NL")
    open_dashboard(first, stack, "?scope=day&kind=handhavingsmelding")
    warm_up(first, stack)
    stack.post(report_today("A11Y-1", wijk="palenstein", category="horeca"))
    cookies = first.context.cookies()
    first.close()
    for scope, kind, theme in VIEWS:
        for name, width in WIDTHS.items():
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                locale="nl-NL",
                color_scheme="light" if theme == "light" else "dark",
                bypass_csp=True,  # to inject axe-core: the dashboard allows only its own scripts
            )
            context.add_cookies(cookies)
            page = context.new_page()
            try:
                page.goto(f"{stack.base}/?scope={scope}&kind={kind}")
                connected = re.compile("live|behind")  # the stream is up either way
                expect(page.locator("#status")).to_have_attribute("data-state", connected)
                expect(page.locator("#trend-days rect").first).to_be_attached()
                assert page.evaluate("document.documentElement.dataset.theme") == theme
                view = f"{scope}, {kind}, {theme}, {name}"
                assert_accessible(page, view)
                screenshot(page, tmp_path, f"a11y-{scope}-{kind}-{theme}-{width}.png")
            finally:
                context.close()


def test_every_control_works_by_keyboard_alone(stack: Stack, page: Page) -> None:
    open_dashboard(page, stack, "?scope=day&kind=handhavingsmelding")
    # From the top of the page, Tab by Tab: every switch, the grid's box, every wijk's tile.
    page.evaluate("document.body.tabIndex = -1; document.body.focus()")
    reached = []
    for _ in range(24):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "document.activeElement.getAttribute('aria-label') ?? "
                "document.activeElement.textContent.trim()"
            )
        )
    controls = ["Vandaag", "Deze week", "Dit jaar", "Handhavingsmeldingen", "Cameraincidenten"]
    controls += ["Jaarwisselingsschade", "Licht thema", "Uitloggen"]
    controls += ["Cijfers per wijk en categorie", "Dorp: 0", "Stadshart: 0"]
    for control in controls:
        assert control in reached, reached
    page.keyboard.press("Shift+Tab")  # back through the order, to a switch, by keyboard only
    page.get_by_role("button", name="Deze week").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Deze week")).to_have_attribute("aria-pressed", "true")
    before = page.evaluate("document.documentElement.dataset.theme")
    page.get_by_role("button", name="Licht thema").focus()
    page.keyboard.press("Space")
    after = page.evaluate("document.documentElement.dataset.theme")
    assert {before, after} == {"light", "dark"}
    pressed = page.get_by_role("button", name="Licht thema").get_attribute("aria-pressed")
    assert pressed == str(after == "light").lower()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control shows no outline"


def test_the_page_reflows_at_320_px_as_at_400_percent_zoom(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    """WCAG 1.4.10: 1280 × 1024 at 400 % is a 320 × 256 CSS pixel window. Nothing but the
    grid's own box may scroll sideways, every control stays on screen, no rule is broken."""
    context = browser.new_context(
        viewport={"width": 320, "height": 256},
        device_scale_factor=4,
        locale="nl-NL",
        bypass_csp=True,
    )
    page = context.new_page()
    try:
        for query in (
            "?scope=day&kind=handhavingsmelding",
            "?scope=year&kind=jaarwisselingsschade",
        ):
            if query.endswith("handhavingsmelding"):
                open_dashboard(page, stack, query)
            else:
                page.goto(f"{stack.base}/{query}")
                expect(page.locator("#trend-years-figure")).to_be_visible()
            expect(page.locator("#trend-days rect").first).to_be_attached()
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 320, f"{query}: the page scrolls sideways ({width} px wide)"
            for control in page.locator("button:visible, main, #wijkmap g.tile").all():
                box = control.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, (
                    f"{query}: {control.evaluate('n => n.outerHTML.slice(0, 80)')} is off "
                    f"screen: {box}"
                )
            # The grid scrolls in its own box, which the keyboard reaches.
            grid_box = page.locator("main")
            assert grid_box.evaluate("n => n.scrollWidth > n.clientWidth")
            assert grid_box.get_attribute("tabindex") == "0"
            assert_accessible(page, f"{query}, 320 px")
            screenshot(page, tmp_path, f"a11y-zoom-400-{query.rsplit('=', 1)[1]}.png")
    finally:
        context.close()


def test_live_changes_are_announced_without_flooding(stack: Stack, page: Page) -> None:
    """A screen reader hears a burst of changes as one announcement, at most one per ten
    seconds, with the latest figure; the visible status, whose lag moves every few seconds, is
    not a live region."""
    open_dashboard(page, stack, "?scope=day&kind=handhavingsmelding")
    warm_up(page, stack)
    assert page.locator("#status").get_attribute("aria-live") is None
    assert page.locator("#status").get_attribute("role") is None
    region = page.locator("#announce")
    assert region.get_attribute("aria-live") == "polite"
    # Signed in and connected, that is said first; the warm-up's figure within ten seconds.
    expect(region).to_contain_text(": 1", timeout=ANNOUNCE_WITHIN_MS)
    page.evaluate(
        """() => {
            window.heard = [];
            new MutationObserver(() => window.heard.push(
                [performance.now(), document.getElementById("announce").textContent])
            ).observe(document.getElementById("announce"), {childList: true, subtree: true,
                characterData: true});
            window.changes = 0;
            new MutationObserver(() => { window.changes += 1; }).observe(
                document.getElementById("total"), {childList: true, characterData: true,
                subtree: true});
        }"""
    )
    for n in range(8):  # eight changes over about four seconds
        stack.post(report_today(f"SAY-{n}", wijk="palenstein", category="horeca"))
        time.sleep(0.5)
    expect(page.locator("#total")).to_have_text("9", timeout=LIVE_WITHIN_MS)
    # The last figure is said within ANNOUNCE_MS (10 s) of the one before.
    expect(region).to_have_text(
        re.compile(r"^Handhavingsmeldingen, vandaag, .*: 9 \(\+\d\)$"), timeout=12_000
    )
    heard = page.evaluate("window.heard")
    changes = page.evaluate("window.changes")
    print(f"\n{changes} changes of the total, {len(heard)} announcements: {heard}")
    assert changes >= 4, "the events came as too few changes to test the throttle"
    assert len(heard) <= 2, heard
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(heard)]
    assert all(gap >= 9_500 for gap in gaps), gaps
