"""People in the console: signing in by the link the local outbox holds, and a browser kept signed in."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp

from local.runtime import LocalRuntime
from tests.browser.conftest import Page, close_page, open_page

SIGN_IN_LINK = re.compile(r"(http://\S+/app/sign-in#token=ghm_[A-Za-z0-9_-]{43})")
INVITATION_LINK = re.compile(r"(http://\S+/app/accept-invitation#token=ghi_[A-Za-z0-9_-]{43})")


def link_in_outbox(runtime: LocalRuntime, email: str, pattern: re.Pattern[str]) -> str:
    mine = [m for m in runtime.mail() if m["to"] == email and pattern.search(m["text"])]
    assert mine, f"no mail to {email} with such a link"
    found = pattern.search(mine[-1]["text"])
    assert found
    return found.group(1)


def sign_in(
    page: Page, runtime: LocalRuntime, email: str, *, check: bool = False, totp: pyotp.TOTP | None = None
) -> None:
    """Ask for a link in the console, follow the one the local outbox holds, give the code if asked."""
    page.open("/")
    page.heading("Sign in")
    assert "outbox" in page.find("main").text  # the console says where the link is on this machine
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.find("#link-sent")
    if check:
        page.check("sign-in", screenshot=True)
    page.driver.get(link_in_outbox(runtime, email, SIGN_IN_LINK))
    if totp is not None:
        page.heading("Two-factor sign-in")
        # The code of the next 30-second step: the one that confirmed enrolment cannot be used again.
        page.fill("#code", totp.at(time.time() + 30))
        page.click("button[type=submit]")
    page.heading("Home")
    assert "#token" not in page.driver.current_url  # the one-time token leaves the address bar at once


@contextmanager
def signed_in(runtime: LocalRuntime, email: str) -> Iterator[Page]:
    """A browser of its own, signed in as ``email``, closed afterwards."""
    page, profile = open_page(runtime.api_url)
    try:
        sign_in(page, runtime, email)
        yield page
    finally:
        close_page(page, profile)
