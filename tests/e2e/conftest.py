"""The browser tests' fixtures: one headless Debian chromium per module, a page per test, and
the worker-and-API stack the dashboard talks to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from service.settings import Settings
from tests.e2e.dashboard import CHROMIUM, Stack, running_stack
from tests.support import free_port


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(settings.model_copy(update={"api_port": free_port()}), tmp_path) as stack:
        yield stack


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
