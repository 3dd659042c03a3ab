"""Debian's Chromium, headless, driven by Debian's chromedriver against the local runtime's console.

The runtime is started once per module on this worker's DynamoDB Local (as in tests/e2e);
the console is built first (esbuild, well under a second) so the tests see the sources as
they are. Each person gets their own browser with a fresh profile, so each has their own
cookies. Every page a test looks at goes through ``Page.check``: axe-core finds no serious
or critical violation there, and a screenshot is saved when the page is one the README shows.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from local.console_site import CONSOLE_PATH
from local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    """Once per module, with its own DynamoDB Local (tests/e2e/conftest.py says why)."""
    node = shutil.which("node")
    assert node, "node is missing: `make test` installs it with the console's tools"
    subprocess.run([node, str(ROOT / "console" / "build.mjs")], check=True, timeout=120)
    with LocalRuntime() as running:
        yield running


@dataclass
class Page:
    """One person's browser on the console."""

    driver: webdriver.Chrome
    base_url: str
    visited: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base_url}{CONSOLE_PATH}{path}")

    def find(self, css: str, timeout: float = WAIT_SECONDS) -> WebElement:
        return WebDriverWait(self.driver, timeout).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        )

    def absent(self, css: str) -> bool:
        return not self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_text(self, css: str, text: str, timeout: float = WAIT_SECONDS) -> WebElement:
        WebDriverWait(self.driver, timeout).until(
            expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
        )
        return self.find(css)

    def heading(self, text: str) -> None:
        self.wait_text("h1", text)

    def fill(self, css: str, value: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(value)

    def click(self, css: str) -> None:
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css))
        ).click()

    def check(self, name: str, *, screenshot: bool = False) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result: dict[str, Any] = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r), e => done({error: String(e)}));"
        )
        assert "error" not in result, result
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"axe on {name}: {serious}"
        self.visited.append(name)
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def storage(self) -> dict[str, int]:
        """How many keys the console left in local and session storage."""
        counts: dict[str, int] = self.driver.execute_script(
            "return {local: window.localStorage.length, session: window.sessionStorage.length};"
        )
        return counts


def open_page(base_url: str) -> tuple[Page, str]:
    """A new person's browser (fresh profile, own cookies) and its profile; the caller closes both."""
    profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
    options = webdriver.ChromeOptions()
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(WAIT_SECONDS)
    return Page(driver, base_url), profile


def close_page(page: Page, profile: str) -> None:
    page.driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(runtime: LocalRuntime) -> Iterator[Callable[[], Page]]:
    """Opens a new person's browser (fresh profile, own cookies); every one is closed afterwards."""
    assert CHROMEDRIVER.exists(), "chromedriver is missing: `make test` installs Debian's chromium-driver"
    assert AXE.exists(), "axe-core is missing: `make test` installs the console's npm tools"
    opened: list[tuple[Page, str]] = []

    def open_browser() -> Page:
        opened.append(open_page(runtime.api_url))
        return opened[-1][0]

    yield open_browser
    for page, profile in opened:
        close_page(page, profile)
