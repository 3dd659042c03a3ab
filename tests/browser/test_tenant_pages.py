"""A tenant's own pages in a real browser: the inbox, a contact, suppression and reviews, keys and
sessions, the audit log, settings, billing and event endpoints.

The scene is set through the API with the demo tenant's key, as `make demo` does: the demo contacts,
the sandbox Twilio account, the demo SMS campaign run on the demo's pinned Wednesday afternoon, then
Ann asks a question, and Lee, Max and Fay send words that may revoke consent (held for review,
47 CFR 64.1200(a)(10)). Everything a person does is clicks; every page passes axe-core.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.wait import WebDriverWait

from gatehouse.providers.sandbox import sandbox
from local.demo import (
    DEMO_CAMPAIGN,
    DOUBTFUL_REPLY,
    SANDBOX_TWILIO,
    Client,
    demo_moment,
    import_contacts,
    reply,
    run_campaign,
)
from local.runtime import DEMO_OWNER_EMAIL, LocalRuntime
from tests.browser.conftest import WAIT_SECONDS, Page
from tests.browser.people import sign_in, signed_in
from tests.support.mailbox import last_token
from tests.support.receiver import local_receiver

VIEWER_EMAIL = "viewer@demo.gatehouse.test"
MEMBER_EMAIL = "member@demo.gatehouse.test"
ANN = "+14155550132"  # texted by the campaign; asks a question
LEE = "+14045550156"  # texted by the campaign; "Where did you get my number?": held
MAX = "+12075550124"  # held too: released in the review
FAY = "+13175550188"  # "I quit" (the demo's doubtful reply): held, suppressed in the review
GIL = "+16025550119"  # erased
DOUBT = "Where did you get my number?"
STRANGER = "+12025550199"  # no contact: suppressed and lifted by hand


@pytest.fixture(scope="module")
def scene(runtime: LocalRuntime) -> Iterator[dict[str, str]]:
    assert runtime.demo is not None
    sandbox().reset()
    moment = demo_moment(datetime.now(UTC))
    runtime.set_clock(lambda: moment)
    client = Client(runtime.api_url, runtime.demo.api_key)
    contacts = import_contacts(client)
    client.expect(201, "POST", "/integrations/twilio", SANDBOX_TWILIO)
    reply(client, *DOUBTFUL_REPLY)
    run_campaign(client, DEMO_CAMPAIGN, list(contacts.values()))
    runtime.set_clock(lambda: moment + timedelta(minutes=20))  # the same afternoon, for the reply gates
    reply(client, ANN, "Can you call me tomorrow at 10?", sid="SM" + "a1" * 16)
    reply(client, LEE, DOUBT, sid="SM" + "b2" * 16)
    reply(client, MAX, DOUBT, sid="SM" + "c3" * 16)
    for email, role in ((VIEWER_EMAIL, "viewer"), (MEMBER_EMAIL, "member")):
        client.expect(201, "POST", "/invitations", {"email": email, "role": role})
        token = last_token(runtime.mail(), email, "invitation")
        client.expect(201, "POST", "/invitations/accept", {"token": token})
    yield contacts
    runtime.set_clock(None)


@pytest.fixture(scope="module")
def owner(runtime: LocalRuntime, scene: dict[str, str]) -> Iterator[Page]:
    """The owner's browser, signed in once for the module (sign-in links are limited per address)."""
    with signed_in(runtime, DEMO_OWNER_EMAIL) as page:
        yield page


def fetch(page: Page, url: str) -> dict[str, Any]:
    """What the browser itself gets for a link (the session cookie rides along)."""
    got: dict[str, Any] = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done({status: r.status, type: r.headers.get('Content-Type'),"
        " text: await r.text()}));",
        url,
    )
    return got


def only_rows_with(page: Page, text: str) -> bool:
    """The audit table shows rows, and every one of them names ``text`` (read in one go)."""
    rows: list[str] = page.driver.execute_script(
        "return [...document.querySelectorAll('#audit-entries tbody tr')].map(r => r.innerText);"
    )
    return bool(rows) and all(text in row for row in rows)


def test_an_owner_answers_a_question_and_a_held_persons_reply_is_refused_in_words(
    owner: Page, scene: dict[str, str]
) -> None:
    owner.open("/")
    owner.click("header a[href='/app/conversations']")
    owner.heading("Conversations")
    assert int(owner.find("#inbox-unread strong").text) >= 2  # Ann's question and Lee's words
    owner.find("#conversations tbody tr a")
    owner.check("inbox", screenshot=True)

    ann = scene[ANN]
    owner.click(f"#conversations a[href='/app/conversations/{ann}/sms']")
    owner.wait_text("#thread", "Can you call me tomorrow at 10?")
    assert "needs a reply" in owner.find("#conversation-state").text
    owner.fill("#reply-body", "Of course, Ann: we will call you tomorrow at 10.")
    owner.click("#reply-send")
    assert owner.find("#reply-status").text == "Sent."
    owner.wait_text("#thread", "we will call you tomorrow at 10")
    owner.check("conversation-answered", screenshot=True)

    owner.open(f"/conversations/{scene[LEE]}/sms")  # a deep link loads the same page
    owner.wait_text("#conversation-state", "held for review")
    owner.fill("#reply-body", "Sorry!")
    owner.click("#reply-send")
    assert owner.find("#reply-gate").text == "suppression"
    assert "held for review" in owner.find("#reply-reason").text
    assert owner.find("#reply-body").get_attribute("aria-describedby") == "reply-error"
    owner.check("conversation-refused", screenshot=True)


def test_an_owner_suppresses_checks_and_lifts_a_number_and_decides_held_replies(
    owner: Page, scene: dict[str, str]
) -> None:
    owner.open("/")
    owner.click("header a[href='/app/suppressions']")
    owner.heading("Suppression list")
    owner.fill("#suppress-number", "+1202555")  # not a number: the API's 422 shows beside the form
    owner.click("#suppress-add")
    assert owner.find("#suppress-error").text
    owner.fill("#suppress-number", STRANGER)
    owner.fill("#suppress-reason", "asked by phone")
    owner.click("#suppress-add")
    assert owner.find("#suppress-done").text == "Suppressed."
    owner.wait_text("#suppressions", "asked by phone")
    assert STRANGER not in owner.find("#suppressions").text  # keyed references, never the number
    owner.fill("#check-numbers", f"{STRANGER}\n{ANN}")
    owner.click("#check-submit")
    result = owner.find("#check-result").text
    assert f"{STRANGER}: suppressed" in result
    assert f"{ANN}: not suppressed" in result
    owner.check("suppressions", screenshot=True)
    owner.fill("#lift-number", STRANGER)
    owner.fill("#lift-reason", "documented new consent")
    owner.click("#lift-submit")
    owner.find("#lift-done")
    owner.click("#check-submit")
    owner.wait_text("#check-result", f"{STRANGER}: not suppressed")

    owner.click("header a[href='/app/optout-reviews']")
    owner.heading("Opt-out reviews")
    fay, max_ = scene[FAY], scene[MAX]
    owner.find(f"#suppress-{fay}")
    owner.check("optout-reviews", screenshot=True)
    owner.click(f"#release-{max_}")  # no reason: refused beside the review
    assert owner.find(f"#review-error-{max_}").text
    owner.fill(f"#release-reason-{max_}", "asked where we got the number; consent on file")
    owner.click(f"#release-{max_}")
    owner.click(f"#suppress-{fay}")
    decided = (f"#suppress-{max_}", f"#suppress-{fay}")
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: all(owner.absent(css) for css in decided))
    owner.open(f"/contacts/{fay}")
    owner.wait_text("#contact-suppressed", "On the suppression list")


def test_a_contact_shows_its_evidence_exports_its_data_and_is_erased_after_the_confirmation(
    owner: Page, scene: dict[str, str], tmp_path: Path
) -> None:
    owner.open(f"/contacts/{scene[ANN]}")
    owner.heading("Ann Alvarez")
    assert "express written" in owner.find("#contact-consent").text
    assert "CA" in owner.find("#contact-states").text
    assert "America/Los_Angeles" in owner.find("#contact-zones").text
    owner.find("#contact-dnc")
    owner.wait_text("#contact-texts", "campaign text")
    owner.check("contact", screenshot=True)
    # The file the person at the browser gets: every page of the export gathered into one.
    owner.driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    owner.click("#contact-export")
    saved = tmp_path / "contact-data.json"
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: saved.exists())
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["contact"]["contact_id"] == scene[ANN]
    assert "next_cursor" not in document  # the whole export, not its first page
    assert [m["body"] for m in document["messages"]]  # Ann's texts came with it

    gil = scene[GIL]
    owner.open(f"/contacts/{gil}")
    owner.heading("Gil Garcia")
    owner.click("#erase-open")
    dialog = owner.find("#erase-dialog")
    assert "every call with its transcript" in owner.find("#erase-what").text
    assert not owner.find("#erase-confirmed").is_enabled()  # nothing goes before the word is typed
    owner.fill("#erase-confirm", "eras")
    assert not owner.find("#erase-confirmed").is_enabled()
    owner.check("contact-erase-confirmation", screenshot=True)
    assert dialog.is_displayed()
    owner.fill("#erase-confirm", "erase")
    owner.click("#erase-confirmed")
    owner.heading("Contact erased")
    owner.open(f"/contacts/{gil}")
    assert "404" in owner.find("#contact-error").text


def test_an_owner_creates_a_key_sees_it_once_and_sees_their_sessions(owner: Page) -> None:
    owner.open("/")
    owner.click("header a[href='/app/settings']")
    owner.heading("Settings")
    owner.click("nav.subnav a[href='/app/api-keys']")
    owner.heading("API keys")
    owner.fill("#key-name", "CRM sync")
    owner.click("#key-create")
    secret = owner.find("#secret-value").get_attribute("value") or ""
    assert secret.startswith("ghk_")
    owner.click("#secret-copy")
    owner.find("#shown-once [role=status]")
    owner.check("api-key-shown-once", screenshot=True)
    owner.click("#secret-dismiss")
    owner.wait_text("#api-keys", "CRM sync")
    assert secret not in owner.driver.page_source  # shown once: gone when dismissed
    owner.driver.refresh()
    owner.wait_text("#api-keys", "CRM sync")
    assert owner.absent("#secret-value")
    assert owner.storage() == {"local": 0, "session": 0}

    owner.click("nav.subnav a[href='/app/sessions']")
    owner.heading("Your sessions")
    owner.wait_text("#sessions tbody", "yes")  # this browser's session
    owner.check("sessions")


def test_the_audit_log_filters_pages_exports_and_shows_the_latest_checkpoint(
    owner: Page, runtime: LocalRuntime
) -> None:
    runtime.invoke("SchedulerFunction", {"job": "audit_checkpoints"})
    owner.open("/")
    owner.click("header a[href='/app/audit']")
    owner.heading("Audit log")
    assert owner.find("#checkpoint-seq").text.startswith("#")
    owner.find("#audit-entries tbody tr")
    owner.fill("#audit-action", "invitation.accepted")
    owner.click("#audit-filter")
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: only_rows_with(owner, "invitation.accepted"))
    owner.check("audit-filtered", screenshot=True)
    # The person who accepted: everything they did, over the whole log.
    person = owner.find("#audit-entries tbody tr td:nth-child(4)").text
    owner.click("#audit-clear")
    owner.fill("#audit-actor", person)
    owner.click("#audit-filter")
    WebDriverWait(owner.driver, WAIT_SECONDS).until(lambda _d: only_rows_with(owner, person))
    for link, kind in (("#audit-export-jsonl", "ndjson"), ("#audit-export-csv", "csv")):
        got = fetch(owner, owner.find(link).get_attribute("href") or "")
        assert got["status"] == 200
        assert kind in got["type"]


def test_an_owner_changes_settings_and_sees_billing_and_event_endpoints(
    owner: Page, runtime: LocalRuntime
) -> None:
    owner.open("/settings")
    owner.heading("Settings")
    owner.fill("#help-text", "Demo Outreach: help at 415-555-0100. Reply STOP to opt out.")
    owner.click("#sms-help-save")
    owner.find("#sms-help-saved")
    owner.driver.refresh()
    owner.wait_text("#sms-help", "Last changed")
    assert "help at 415-555-0100" in (owner.find("#help-text").get_attribute("value") or "")
    owner.click("#four-eyes")
    owner.click("#campaign-policy-save")
    owner.find("#campaign-policy-saved")
    owner.check("settings", screenshot=True)

    owner.click("nav.subnav a[href='/app/billing']")
    owner.heading("Billing")
    owner.find("#billing-state")
    owner.click("#checkout")
    assert owner.find("#checkout-error").text  # the sandbox has no Stripe: the API's answer shows
    owner.check("billing")

    with local_receiver() as listening:
        owner.click("nav.subnav a[href='/app/event-endpoints']")
        owner.heading("Event endpoints")
        owner.fill("#endpoint-url", listening.url)
        owner.click("#endpoint-register")
        assert owner.find("#endpoint-error").text  # no event type chosen: refused beside the form
        owner.click("#type-contact-opted_out")
        owner.click("#endpoint-register")
        assert (owner.find("#secret-value").get_attribute("value") or "").startswith("whsec_")
        owner.click("#secret-dismiss")
        ping = owner.find("button[id^='ping-']")
        endpoint_id = (ping.get_attribute("id") or "").removeprefix("ping-")
        ping.click()
        owner.find(f"#deliveries-log-{endpoint_id}")
        runtime.drain_events()
        owner.click(f"#deliveries-log-{endpoint_id} button")
        owner.wait_text(f"#deliveries-log-{endpoint_id} tbody", "delivered")
        assert listening.received
        owner.check("event-endpoints", screenshot=True)
        owner.click(f"#toggle-{endpoint_id}")
        owner.wait_text(f"#endpoint-{endpoint_id}", "disabled")


def test_a_viewer_is_offered_none_of_these_controls(
    runtime: LocalRuntime, scene: dict[str, str], browser: Callable[[], Page]
) -> None:
    viewer = browser()
    sign_in(viewer, runtime, VIEWER_EMAIL)
    for link in ("conversations", "optout-reviews", "audit"):
        assert viewer.absent(f"header a[href='/app/{link}']"), link

    viewer.click("header a[href='/app/suppressions']")
    viewer.heading("Suppression list")
    viewer.find("#check-numbers")  # a viewer may check a number
    for control in ("#suppress-add", "#lift-submit"):
        assert viewer.absent(control), control
    viewer.check("suppressions-as-viewer")

    viewer.open(f"/contacts/{scene[ANN]}")
    viewer.heading("Ann Alvarez")
    viewer.find("#contact-consent")
    for control in ("#contact-export", "#erase-open", "#contact-texts", "#contact-calls"):
        assert viewer.absent(control), control
    viewer.check("contact-as-viewer", screenshot=True)

    viewer.open("/settings")
    viewer.heading("Settings")
    viewer.find("#four-eyes")
    assert not viewer.find("#four-eyes").is_enabled()
    owners_only = ("#security-policy-save", "#campaign-policy-save", "#access-policy-save")
    for control in (*owners_only, "#sms-help", "#retention"):
        assert viewer.absent(control), control
    assert viewer.absent("nav.subnav a[href='/app/api-keys']")
    assert viewer.absent("nav.subnav a[href='/app/event-endpoints']")
    viewer.find("#notifications-save")  # their own notifications are theirs to set
    viewer.check("settings-as-viewer")

    viewer.open("/billing")
    viewer.find("#billing-state")
    assert viewer.absent("#checkout")
    viewer.check("billing-as-viewer")

    viewer.open("/sessions")
    viewer.wait_text("#sessions tbody", "yes")
    viewer.find("#sign-out-everywhere")
    viewer.check("sessions-as-viewer")

    for path in ("/conversations", "/optout-reviews", "/api-keys", "/event-endpoints"):
        viewer.open(path)
        assert "403" in viewer.find(".refusal").text, path  # the page says why: the API refuses a viewer
        viewer.check(f"refused-{path.strip('/')}-as-viewer")

    viewer.open("/sessions")
    viewer.click("#sign-out-everywhere")
    viewer.heading("Sign in")  # every session ended, this one included
    viewer.open("/sessions")
    viewer.heading("Sign in")


def test_an_owner_edits_a_drafts_name_and_start_in_the_campaign_form(
    runtime: LocalRuntime, owner: Page, scene: dict[str, str]
) -> None:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    audience = {"contact_ids": sorted(scene.values())}
    spec = {**DEMO_CAMPAIGN, "name": "Spring draft", "audience": audience}
    draft = client.expect(201, "POST", "/campaigns", spec)
    owner.open(f"/campaigns/{draft['campaign_id']}")
    owner.wait_text("#campaign-status", "draft")
    owner.click(f"a[href='/app/campaigns/{draft['campaign_id']}/edit']")
    owner.heading("Edit Spring draft")
    assert owner.find("#name").get_attribute("value") == "Spring draft"  # the form opens on the saved spec
    owner.fill("#name", "Spring reminder")
    # A datetime-local input is the browser's own widget: set its value as a person's pick would.
    owner.driver.execute_script(
        "const input = document.querySelector('#start-at');"
        "input.value = '2031-04-02T09:30';"
        "input.dispatchEvent(new Event('input', {bubbles: true}));"
    )
    owner.fill("#throughput", "0")  # out of range: the API's 422 shows at the field, nothing is saved
    owner.click("button[type=submit]")
    assert owner.find("#throughput_per_sender_per_minute-error").text
    owner.check("campaign-form-refused")
    assert client.expect(200, "GET", f"/campaigns/{draft['campaign_id']}")["spec"]["name"] == "Spring draft"
    owner.fill("#throughput", "60")
    owner.click("button[type=submit]")
    owner.heading("Spring reminder")
    owner.wait_text("#spec-schedule", "starts")
    owner.check("campaign-edited")
    saved = client.expect(200, "GET", f"/campaigns/{draft['campaign_id']}")["spec"]
    expected = owner.driver.execute_script("return new Date('2031-04-02T09:30').toISOString();")
    assert saved["name"] == "Spring reminder"
    chosen = datetime.fromisoformat(expected.replace("Z", "+00:00"))  # the browser's zone, in UTC
    assert datetime.fromisoformat(saved["start_at"]) == chosen
    assert saved["end_at"] is None


def test_a_member_kept_to_their_campaigns_contacts_is_not_offered_a_contact_import(
    runtime: LocalRuntime, scene: dict[str, str], browser: Callable[[], Page]
) -> None:
    """The API refuses them an import (any row may change any contact): the console says so instead."""
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    member = browser()
    sign_in(member, runtime, MEMBER_EMAIL)
    import_link = "main a[href='/app/contacts/import']"
    member.open("/contacts")
    member.heading("Contacts")
    member.find(import_link)  # everyone sees everything: a member imports
    client.expect(200, "PUT", "/access-policy", {"conversation_access": "assigned_campaigns"})
    try:
        member.open("/contacts/import")
        member.wait_text("#import-refused", "an owner or admin imports contact files")
        assert member.absent("#csv-file")
        member.open("/contacts")
        member.heading("Contacts")
        member.find("#ineligible-filter")
        WebDriverWait(member.driver, WAIT_SECONDS).until(lambda _d: member.absent(import_link))
    finally:
        client.expect(200, "PUT", "/access-policy", {"conversation_access": "all"})


def test_a_member_kept_to_their_campaigns_is_not_offered_a_new_campaign(
    runtime: LocalRuntime, scene: dict[str, str], browser: Callable[[], Page]
) -> None:
    """The API refuses them a campaign (it would be none of theirs): the list offers none to create."""
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    member = browser()
    sign_in(member, runtime, MEMBER_EMAIL)
    new_link = "main a[href='/app/campaigns/new']"
    member.open("/campaigns")
    member.heading("Campaigns")
    member.find(new_link)  # everyone sees everything: a member creates campaigns
    client.expect(200, "PUT", "/access-policy", {"conversation_access": "assigned_campaigns"})
    try:
        member.open("/campaigns")
        member.heading("Campaigns")
        WebDriverWait(member.driver, WAIT_SECONDS).until(lambda _d: member.absent(new_link))
    finally:
        client.expect(200, "PUT", "/access-policy", {"conversation_access": "all"})
