"""The demo path in a real browser, every step a click: sign in by the mailed link, enrol an
authenticator and sign in again with its code, connect the sandbox Twilio account, import the demo
CSV and read its row report, invite a second admin and a viewer who accept and sign in themselves,
draft the demo campaign and read its pre-flight, have the second admin approve it (four-eyes),
start it, watch it finish, read and export the report, verify the audit chain; the viewer is
offered none of the controls they may not use.

Only two things are set outside the browser: the gates' clock, pinned as in `make demo` so every
outcome is known in advance, and the four-eyes policy (the console has no settings page yet),
which the demo tenant's API key sets as `make demo` would. The API key also reads what the API says
about the import, to check the console's report against it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from local.demo import DEMO_CAMPAIGN, DEMO_CSV, SANDBOX_TWILIO, Client, demo_moment
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.browser.conftest import WAIT_SECONDS, Page
from tests.browser.people import INVITATION_LINK, link_in_outbox, sign_in
from tests.support.qr import read_qr

APPROVER_EMAIL = "approver@demo.gatehouse.test"
VIEWER_EMAIL = "viewer@demo.gatehouse.test"
# The demo contacts' numbers, in any of the CSV's spellings: (415) 555-0132, 312-555-0143, +1 305 555 0166.
DEMO_PHONE = re.compile(r"\d{3}\)?[ -]?555[ -]?\d{4}")


@pytest.fixture(scope="module")
def api(runtime: LocalRuntime) -> Iterator[Client]:
    assert runtime.demo is not None
    runtime.set_clock(lambda: demo_moment(datetime.now(UTC)))
    client = Client(runtime.api_url, runtime.demo.api_key)
    client.expect(200, "PUT", "/campaign-policy", {"four_eyes": True})
    yield client
    runtime.set_clock(None)


def go(page: Page, nav_path: str, heading: str) -> None:
    page.click(f"header a[href='/app{nav_path}']")
    page.heading(heading)


def enrol_two_factor(owner: Page) -> pyotp.TOTP:
    go(owner, "/account", "Your account")
    owner.click("#enrol")
    secret = owner.find("#totp-secret").text.replace(" ", "")
    uri = owner.find("#totp-uri").text
    assert uri.startswith("otpauth://totp/")
    # The code as the browser draws it, read by a decoder of its own: the link, with this secret.
    assert read_qr(owner.find("#totp-qr").screenshot_as_png) == [uri]
    assert pyotp.parse_uri(uri).secret == secret
    owner.check("two-factor-enrol", screenshot=True)
    totp = pyotp.TOTP(secret)
    owner.fill("#totp-code", "123456" if totp.now() != "123456" else "654321")
    owner.click("#confirm-two-factor")
    assert "wrong" in owner.find("#confirm-error").text  # a wrong code is refused beside the form
    owner.fill("#totp-code", totp.now())
    owner.click("#confirm-two-factor")
    codes = owner.find("#recovery-codes").text.split()
    assert len(codes) >= 8
    owner.check("two-factor-recovery-codes")
    owner.click("#recovery-codes-kept")
    owner.find("#enrol")
    assert owner.absent("#recovery-codes")  # shown once
    return totp


def connect_twilio(owner: Page) -> None:
    go(owner, "/integrations", "Integrations")
    assert "connected" in owner.find("#dnc-status").text  # the demo tenant's sandbox DNC provider
    assert owner.wait_text("#twilio-status", "not connected")
    owner.fill("#twilio-account_sid", "AC123")  # not a Twilio SID: the refusal shows at the field
    owner.fill("#twilio-auth_token", str(SANDBOX_TWILIO["auth_token"]))
    owner.fill("#twilio-sender_numbers", ", ".join(SANDBOX_TWILIO["sender_numbers"]))
    owner.click("#twilio-connect")
    assert owner.find("#twilio-account_sid-error").text
    assert owner.find("#twilio-account_sid").get_attribute("aria-describedby")
    owner.check("integrations-refused")
    owner.fill("#twilio-account_sid", str(SANDBOX_TWILIO["account_sid"]))
    owner.fill("#twilio-auth_token", str(SANDBOX_TWILIO["auth_token"]))
    owner.click("#twilio-connect")
    owner.wait_text("#twilio-status", "connected")
    fingerprint = owner.find("#twilio-fingerprint").text
    token = str(SANDBOX_TWILIO["auth_token"])
    assert "…" + token[-4:] in fingerprint
    assert token not in owner.driver.page_source  # write-only: the secret is never shown again
    owner.click("#twilio-test")
    owner.wait_text("#twilio-test-result", "verified")
    owner.check("integrations", screenshot=True)


def import_demo_contacts(owner: Page, api: Client) -> int:
    """Import demo/contacts.csv through the console; its report agrees with the API. Contacts created."""
    go(owner, "/contacts", "Contacts")
    owner.click("a[href='/app/contacts/import']")
    owner.heading("Import contacts")
    owner.find("#csv-file").send_keys(str(DEMO_CSV))
    owner.click("#start-import")
    owner.heading("Contact import")
    owner.wait_text("#import-status", "completed", timeout=60)
    import_id = owner.find("#import-id").text
    assert "token" not in owner.driver.current_url
    said = api.expect(200, "GET", f"/contacts/imports/{import_id}")["counts"]
    errors = api.expect(200, "GET", f"/contacts/imports/{import_id}/errors")["items"]
    shown = {
        key: int(owner.find(f"#import-{key} td").text)
        for key in ("rows", "accepted", "created", "updated", "unchanged", "refused")
    }
    accepted = said.get("created", 0) + said.get("updated", 0) + said.get("unchanged", 0)
    assert shown == {
        "rows": said["rows"],
        "accepted": accepted,
        "created": said.get("created", 0),
        "updated": said.get("updated", 0),
        "unchanged": said.get("unchanged", 0),
        "refused": said.get("errors", 0),
    }
    assert shown["rows"] == len(DEMO_CSV.read_bytes().splitlines()) - 1
    assert shown["created"] > 0
    refused_rows = owner.driver.find_elements(By.CSS_SELECTOR, "#refused-rows tbody tr")
    assert len(refused_rows) == len(errors)
    for row, error in zip(refused_rows, errors, strict=True):
        assert row.text.startswith(f"{error['row']} {error['field']}")
    owner.check("contact-import-report", screenshot=True)

    go(owner, "/contacts", "Contacts")
    owner.find("#contacts tbody tr")
    assert len(owner.driver.find_elements(By.CSS_SELECTOR, "#contacts tbody tr")) == shown["created"]
    owner.check("contacts", screenshot=True)
    Select(owner.find("#ineligible-filter")).select_by_value("sms")

    def sms_cells() -> list[str]:
        # Read in one go: the list may be re-rendering, and an element found a moment ago may be gone.
        cells: list[str] = owner.driver.execute_script(
            "return [...document.querySelectorAll('#contacts tbody .eligibility-sms')]"
            ".map(c => c.textContent);"
        )
        return cells

    # The filtered page replaces the whole list: every contact left is one a text may not reach.
    WebDriverWait(owner.driver, WAIT_SECONDS).until(
        lambda _: len(sms_cells()) < shown["created"] and all("not eligible" in text for text in sms_cells())
    )
    assert sms_cells()
    assert "suppressed" in owner.find("#contacts tbody").text  # a reason, not only a verdict
    return shown["created"]


def invite(owner: Page, email: str, role: str) -> None:
    owner.fill("#invite-email", email)
    Select(owner.find("#invite-role")).select_by_value(role)
    owner.click("#invite")
    owner.wait_text("#invitation-sent", email)


def accept_invitation(page: Page, runtime: LocalRuntime, email: str) -> None:
    page.driver.get(link_in_outbox(runtime, email, INVITATION_LINK))
    page.heading("Accept an invitation")
    assert "#token" not in page.driver.current_url
    page.click("#accept")
    page.wait_text("main [role=status]", "You are a member now")
    sign_in(page, runtime, email)


def add_members(owner: Page, runtime: LocalRuntime, browser: Callable[[], Page]) -> tuple[Page, Page]:
    go(owner, "/members", "Members")
    owner.fill("#invite-email", "not-an-address")
    owner.click("#invite")
    assert owner.find("#invite-email-error").text  # refused at the field
    invite(owner, APPROVER_EMAIL, "admin")
    invite(owner, VIEWER_EMAIL, "member")
    assert "outbox" in owner.find("#invite-form ~ .hint").text
    approver, viewer = browser(), browser()
    accept_invitation(approver, runtime, APPROVER_EMAIL)
    accept_invitation(viewer, runtime, VIEWER_EMAIL)

    # The viewer was invited as a member: an owner makes them a viewer, after confirming.
    owner.driver.refresh()
    owner.heading("Members")
    row = f"#members tr[data-email='{VIEWER_EMAIL}']"
    owner.wait_text(f"{row} .member-role", "member")
    select = owner.find(f"{row} select")
    Select(select).select_by_visible_text("viewer")
    owner.click(f"{row} button[id^='change-role-']")
    assert VIEWER_EMAIL in owner.find(f"{row} .confirm").text
    owner.check("members", screenshot=True)
    owner.click(f"{row} button[id$='-confirm']")
    owner.wait_text(f"{row} .member-role", "viewer")
    return approver, viewer


def draft_and_submit(owner: Page, contacts: int) -> str:
    go(owner, "/campaigns", "Campaigns")
    owner.click("a[href='/app/campaigns/new']")
    owner.heading("New campaign")
    owner.fill("#name", str(DEMO_CAMPAIGN["name"]))
    owner.fill("#template", DEMO_CAMPAIGN["content"]["template"])  # type: ignore[index]
    owner.fill("#sender", "+1415555")  # not a number: the API's refusal shows at the field
    owner.click("button[type=submit]")
    assert owner.find("#numbers-error").text
    owner.check("campaign-form-refused")
    owner.fill("#sender", DEMO_CAMPAIGN["senders"]["numbers"][0])  # type: ignore[index]
    owner.click("button[type=submit]")
    owner.wait_text("#campaign-status", "draft")
    assert owner.wait_text("#preflight-contacts", str(contacts)).text == str(contacts)
    preflight = owner.find("#preflight-counts").text
    # The pre-flight asks the gates at the real time of day; these two hold at any hour.
    assert "blocked:suppressed 1" in preflight  # Ed replied STOP to an earlier campaign
    assert "blocked:dnc_listed 1" in preflight  # the sandbox DNC lists numbers ending 0000 or 9999
    owner.check("campaign-preflight", screenshot=True)
    owner.click("#submit")
    owner.wait_text("#campaign-status", "submitted")
    assert "Awaiting another approver" in owner.find("#approval-state").text
    assert owner.absent("#approve")  # four-eyes: the submitter is not offered approval
    owner.check("campaign-awaiting-approver")
    return owner.driver.current_url


def approve_run_and_report(approver: Page, runtime: LocalRuntime, campaign_url: str) -> None:
    approver.driver.get(campaign_url)
    approver.click("#approve")
    approver.wait_text("#campaign-status", "approved")
    approver.click("#start")
    approver.wait_text("#campaign-status", "running")
    # The run ends; the campaign stays running for the contacts deferred to their next window.
    approver.wait_text("#runs .run-status", "finished", timeout=120)
    # The report is read again once the run has finished: wait for its counts, not the first read.
    approver.wait_text("#report-counts", "sent", timeout=60)
    # The same counts as a chart: a picture with a summary a screen reader reads, one bar a count.
    chart = approver.find("#report-chart")
    assert chart.get_attribute("role") == "img"
    label = chart.get_attribute("aria-label") or ""
    rows = approver.driver.find_elements(By.CSS_SELECTOR, "#report-counts tbody tr")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.chart-bar")) == len(rows)
    for row in rows:
        name, count = row.find_element(By.TAG_NAME, "th").text, row.find_element(By.TAG_NAME, "td").text
        assert f"{name} {count}" in label
    assert label.startswith(f"{sum(int(r.find_element(By.TAG_NAME, 'td').text) for r in rows)} contacts")
    approver.find("#report-items")
    approver.check("campaign-report", screenshot=True)

    export = approver.find("#report-export").get_attribute("href")
    assert export
    reply = approver.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done({status: r.status, type: r.headers.get('Content-Type'),"
        " head: (await r.text()).split('\\n')[0]}));",
        export,
    )
    assert reply["status"] == 200
    assert "csv" in reply["type"]
    assert "contact_id" in reply["head"]

    runtime.invoke("SchedulerFunction", {"job": "audit_checkpoints"})
    go(approver, "/audit", "Audit log")
    approver.find("#audit-entries tbody tr")
    approver.click("#verify-chain")
    assert "The chain is intact." in approver.find("#verify-result").text
    assert approver.find("#latest-checkpoint").text.startswith("#")
    approver.check("audit-verified", screenshot=True)


def viewer_sees_no_forbidden_control(viewer: Page, campaign_url: str) -> None:
    viewer.driver.refresh()  # the role changed after they signed in
    viewer.heading("Home")
    for link in ("/audit", "/integrations"):
        assert viewer.absent(f"header a[href='/app{link}']"), link
    go(viewer, "/campaigns", "Campaigns")
    viewer.find("#campaigns")
    assert viewer.absent("a[href='/app/campaigns/new']")
    viewer.check("campaigns-as-viewer")
    viewer.driver.get(campaign_url)
    viewer.wait_text("#campaign-status", "running")
    viewer.find("#no-actions")
    for control in ("#submit", "#approve", "#reject", "#start", "#pause", "#cancel"):
        assert viewer.absent(control), control
    viewer.check("campaign-as-viewer", screenshot=True)
    go(viewer, "/contacts", "Contacts")
    viewer.find("#contacts")
    assert viewer.absent("a[href='/app/contacts/import']")
    go(viewer, "/members", "Members")
    viewer.find("#members")
    assert viewer.absent("#invite-form")
    assert viewer.absent("#members select")
    assert viewer.absent("#members button")
    viewer.check("members-as-viewer")
    viewer.open("/audit")
    viewer.find(".refusal")  # the page says why: the API refuses a viewer the audit log


def test_the_demo_campaign_set_up_run_and_verified_entirely_in_the_browser(
    runtime: LocalRuntime, api: Client, browser: Callable[[], Page]
) -> None:
    owner = browser()
    sign_in(owner, runtime, DEMO_OWNER_EMAIL, check=True)
    owner.find("#dnc-provider")
    owner.check("home", screenshot=True)

    totp = enrol_two_factor(owner)
    owner.click("header .who button")  # sign out, and in again with the second factor
    owner.heading("Sign in")  # the session is ended before the page moves on (no request cut short)
    sign_in(owner, runtime, DEMO_OWNER_EMAIL, totp=totp)

    connect_twilio(owner)
    contacts = import_demo_contacts(owner, api)
    approver, viewer = add_members(owner, runtime, browser)
    campaign_url = draft_and_submit(owner, contacts)
    approve_run_and_report(approver, runtime, campaign_url)
    viewer_sees_no_forbidden_control(viewer, campaign_url)

    for person in (owner, approver, viewer):
        assert person.storage() == {"local": 0, "session": 0}
        assert "token" not in person.driver.current_url
        cookies = {c["name"]: c for c in person.driver.get_cookies()}
        assert cookies["__Host-gatehouse_session"]["httpOnly"] is True
        logged = " ".join(entry["message"] for entry in person.driver.get_log("browser"))
        assert not DEMO_PHONE.search(logged)  # no contact's number in the browser's console
