"""The demo path in a real browser: sign in by the mailed link, draft the demo campaign, read its
pre-flight, have a second person approve it (four-eyes), start it, watch it finish, read and export
the report, verify the audit chain; a viewer is offered none of the controls they may not use.

Setting the scene (the demo contacts, the sandbox Twilio account, the four-eyes policy, two more
members) uses the demo tenant's API key, as `make demo` does; everything a person does is clicks.
The gates' clock is pinned as in `make demo`, so every outcome is known in advance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from local.demo import DEMO_CAMPAIGN, SANDBOX_TWILIO, Client, demo_moment, import_contacts
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.browser.conftest import Page
from tests.support.mailbox import last_token

APPROVER_EMAIL = "approver@demo.gatehouse.test"
VIEWER_EMAIL = "viewer@demo.gatehouse.test"
LINK = re.compile(r"(http://\S+/app/sign-in#token=ghm_[A-Za-z0-9_-]{43})")


@pytest.fixture(scope="module")
def scene(runtime: LocalRuntime) -> Iterator[dict[str, str]]:
    assert runtime.demo is not None
    runtime.set_clock(lambda: demo_moment(datetime.now(UTC)))
    client = Client(runtime.api_url, runtime.demo.api_key)
    contacts = import_contacts(client)
    client.expect(201, "POST", "/integrations/twilio", SANDBOX_TWILIO)
    client.expect(200, "PUT", "/campaign-policy", {"four_eyes": True})
    for email, role in ((APPROVER_EMAIL, "admin"), (VIEWER_EMAIL, "viewer")):
        client.expect(201, "POST", "/invitations", {"email": email, "role": role})
        token = last_token(runtime.mail(), email, "invitation")
        client.expect(201, "POST", "/invitations/accept", {"token": token})
    yield {"contacts": str(len(contacts)), "a_contact": sorted(contacts.values())[0]}
    runtime.set_clock(None)


def sign_in(page: Page, runtime: LocalRuntime, email: str, *, check: bool = False) -> None:
    """Ask for a link in the console, then follow the one the local outbox holds."""
    page.open("/")
    page.heading("Sign in")
    assert "outbox" in page.find("main").text  # the console says where the link is on this machine
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.find("#link-sent")
    if check:
        page.check("sign-in", screenshot=True)
    mine = [m for m in runtime.mail() if m["to"] == email and "sign-in#token=" in m["text"]]
    found = LINK.search(mine[-1]["text"])
    assert found
    page.driver.get(found.group(1))
    page.heading("Home")
    assert "#token" not in page.driver.current_url  # the one-time token leaves the address bar at once


def test_the_demo_campaign_from_sign_in_to_report_and_a_verified_chain(
    runtime: LocalRuntime, scene: dict[str, str], browser: Callable[[], Page]
) -> None:
    owner = browser()
    sign_in(owner, runtime, DEMO_OWNER_EMAIL, check=True)
    owner.find("#dnc-provider")
    owner.check("home", screenshot=True)

    owner.click("header a[href='/app/campaigns']")
    owner.heading("Campaigns")
    owner.click("a[href='/app/campaigns/new']")
    owner.heading("New SMS campaign")
    owner.fill("#name", "Demo spring offer")
    owner.fill("#template", "Hi {first_name}, spring hours are here. Reply STOP to opt out.")
    owner.fill("#sender", "+1415555")  # not a number: the API's refusal shows at the field
    owner.click("button[type=submit]")
    assert owner.find("#numbers-error").text
    owner.check("campaign-form-refused")
    owner.fill("#sender", "+14155550100")
    owner.click("button[type=submit]")
    owner.wait_text("#campaign-status", "draft")
    assert owner.wait_text("#preflight-contacts", scene["contacts"]).text == scene["contacts"]
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
    campaign_url = owner.driver.current_url

    approver = browser()
    sign_in(approver, runtime, APPROVER_EMAIL)
    approver.driver.get(campaign_url)
    approver.click("#approve")
    approver.wait_text("#campaign-status", "approved")
    approver.click("#start")
    approver.wait_text("#campaign-status", "running")
    # The run ends; the campaign stays running for the contacts deferred to their next window.
    approver.wait_text("#runs .run-status", "finished", timeout=120)
    counts = approver.find("#report-counts").text
    assert "sent" in counts
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
    approver.click("header a[href='/app/audit']")
    approver.heading("Audit log")
    approver.find("#audit-entries tbody tr")
    approver.click("#verify-chain")
    assert "The chain is intact." in approver.find("#verify-result").text
    assert approver.find("#latest-checkpoint").text.startswith("#")
    approver.check("audit-verified", screenshot=True)

    for person in (owner, approver):
        assert person.storage() == {"local": 0, "session": 0}
        cookies = {c["name"]: c for c in person.driver.get_cookies()}
        assert cookies["__Host-gatehouse_session"]["httpOnly"] is True


def test_a_viewer_is_offered_no_control_they_may_not_use(
    runtime: LocalRuntime, scene: dict[str, str], browser: Callable[[], Page]
) -> None:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    spec = {**DEMO_CAMPAIGN, "name": "Viewer's view", "audience": {"contact_ids": [scene["a_contact"]]}}
    drafted = client.expect(201, "POST", "/campaigns", spec)
    viewer = browser()
    sign_in(viewer, runtime, VIEWER_EMAIL)
    assert viewer.absent("header a[href='/app/audit']")
    viewer.click("header a[href='/app/campaigns']")
    viewer.heading("Campaigns")
    viewer.find("#campaigns")
    assert viewer.absent("a[href='/app/campaigns/new']")
    viewer.check("campaigns-as-viewer")
    viewer.open(f"/campaigns/{drafted['campaign_id']}")
    viewer.wait_text("#campaign-status", "draft")
    viewer.find("#no-actions")
    for control in ("#submit", "#approve", "#reject", "#start", "#pause", "#cancel"):
        assert viewer.absent(control), control
    viewer.check("campaign-as-viewer", screenshot=True)
    viewer.open("/audit")
    viewer.find(".refusal")  # the page says why: the API refuses a viewer the audit log
