"""Over HTTP on the local runtime: a campaign's texts go out, the sandbox's signed status callbacks
come back through the webhook route, the report shows each contact's delivery, and a contact who
then texts "Stop" is blocked as suppressed on the next run.

The demo tenant connects Twilio, adds its contacts, and creates, approves and starts a campaign
through the API; the run is the template's state machine executed by moto, calling the real
dispatch handlers (the gates' clock pinned to a weekday afternoon in New York). The sandbox posts
queued, sent, delivered (undelivered with 30003 for a number ending 0013) to the status callback
URL each send named, signed with the tenant's auth token. After Bo's "Stop", the tenant's next
campaign to the same people blocks Bo as suppressed.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays

from gatehouse.providers.sandbox import sandbox
from local.runtime import LocalRuntime
from tests.e2e.test_inbound_sms import post_form
from tests.e2e.test_local_http import http
from tests.support.consent import written
from tests.support.webhooks import TWILIO_CREDENTIALS, TWILIO_TOKEN, inbound_sms, twilio_signature

CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, text me offers",
}
PEOPLE = {
    "ann": "+12125550141",
    "bo": "+12125550142",
    "cy": "+12125550013",  # the sandbox fails texts to numbers ending 0013: undelivered, 30003
}


def weekday_afternoon_in_new_york() -> datetime:
    """The next working weekday at 14:00 in New York (18:00 UTC): inside every window the gates apply."""
    day = date.today() + timedelta(days=1)
    while day.weekday() >= 5 or day in holidays.country_holidays("US", subdiv="NY", years=day.year):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


def start_and_wait(runtime: LocalRuntime, key: str, campaign_id: str) -> dict[str, Any]:
    """Start the campaign over HTTP and wait for its dispatch run to end; the run as the API lists it."""
    status, _, started = http(runtime, "POST", f"/campaigns/{campaign_id}/start", token=key)
    assert status == 202, started
    deadline = time.monotonic() + 60
    while True:
        status, _, runs = http(runtime, "GET", f"/campaigns/{campaign_id}/runs", token=key)
        assert status == 200, runs
        (run,) = [r for r in runs["items"] if r["run_id"] == started["run"]["run_id"]]
        if run["status"] != "started" or time.monotonic() > deadline:
            return run  # type: ignore[no-any-return]
        time.sleep(0.1)


def approved_campaign(runtime: LocalRuntime, key: str, spec: dict[str, Any]) -> str:
    status, _, campaign = http(runtime, "POST", "/campaigns", token=key, body=spec)
    assert status == 201, campaign
    for action in ("submit", "approve"):
        status, _, moved = http(runtime, "POST", f"/campaigns/{campaign['campaign_id']}/{action}", token=key)
        assert status == 200, moved
    return str(campaign["campaign_id"])


def started_at_two_in_new_york(runtime: LocalRuntime, key: str, campaign_id: str) -> dict[str, Any]:
    runtime.set_clock(weekday_afternoon_in_new_york)
    try:
        return start_and_wait(runtime, key, campaign_id)
    finally:
        runtime.set_clock(None)


def report_when_delivered(runtime: LocalRuntime, key: str, campaign_id: str, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        status, _, report = http(runtime, "GET", f"/campaigns/{campaign_id}/report", token=key)
        assert status == 200, report
        final = [o for o in report["items"] if o["delivery_status"] in {"delivered", "undelivered"}]
        if len(final) == count or time.monotonic() > deadline:
            return report  # type: ignore[no-any-return]
        time.sleep(0.2)


def test_delivery_reaches_the_report_and_a_stop_blocks_the_next_run(runtime: LocalRuntime) -> None:
    assert runtime.demo is not None
    key, tenant_id = runtime.demo.api_key, runtime.demo.tenant_id
    status, _, body = http(runtime, "POST", "/integrations/twilio", token=key, body=TWILIO_CREDENTIALS)
    assert status in {201, 409}, body
    ids: dict[str, str] = {}
    for name, phone in PEOPLE.items():
        person = {
            "phone": phone,
            "first_name": name.title(),
            "state": "NY",
            "consent": [written(CONSENT, phone)],
        }
        status, _, contact = http(runtime, "POST", "/contacts", token=key, body=person)
        assert status == 201, contact
        ids[name] = contact["contact_id"]
    spec = {
        "name": "Spring offer",
        "channel": "sms",
        "audience": {"contact_ids": list(ids.values())},
        "content": {"kind": "sms", "template": "Hi {first_name}, spring sale. Reply STOP to opt out."},
        "senders": {"numbers": ["+15005550006"]},
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "20:00"}],
        "max_attempts_per_contact": 2,
    }
    campaign_id = approved_campaign(runtime, key, spec)
    posted_before = len(sandbox().callbacks.posted)
    first = started_at_two_in_new_york(runtime, key, campaign_id)
    assert (first["status"], first["counts"].get("sent")) == ("finished", 3), first
    assert sorted(m.to for m in sandbox().messages(tenant_id)) == sorted(PEOPLE.values())
    callbacks = {m.status_callback for m in sandbox().messages(tenant_id)}
    status, _, urls = http(runtime, "GET", "/integrations/webhooks", token=key)
    assert callbacks == {urls["twilio_sms"].removesuffix("/sms") + "/message-status"}

    report = report_when_delivered(runtime, key, campaign_id, len(ids))
    by_contact = {o["contact_id"]: o for o in report["items"]}
    for name in ("ann", "bo"):
        assert (by_contact[ids[name]]["status"], by_contact[ids[name]]["delivery_status"]) == (
            "sent",
            "delivered",
        )
        assert by_contact[ids[name]]["error_code"] is None
    cy = by_contact[ids["cy"]]
    assert (cy["status"], cy["delivery_status"], cy["error_code"]) == ("sent", "undelivered", "30003")
    assert report["counts"] == {"sent": 3, "delivery:delivered": 2, "delivery:undelivered:30003": 1}
    # This campaign's status callbacks: those posted since it started, to its message-status URL.
    since = sandbox().callbacks.posted[posted_before:]
    ours = [status for url, status in since if url.endswith("/message-status")]
    assert len(ours) >= len(ids)
    assert all(status == 200 for status in ours), ours

    # Bo answers "Stop": signed as Twilio signs it, posted to the tenant's inbound SMS webhook.
    pairs = inbound_sms("SM" + "b0" * 16, PEOPLE["bo"], "Stop")
    status, reply = post_form(
        urls["twilio_sms"], pairs, twilio_signature(urls["twilio_sms"], pairs, TWILIO_TOKEN)
    )
    assert status == 200, reply

    # The tenant's next campaign to the same people: Bo is blocked, the others are sent to.
    again = approved_campaign(runtime, key, {**spec, "name": "Summer offer"})
    second = started_at_two_in_new_york(runtime, key, again)
    assert second["counts"]["blocked:suppressed"] == 1, second
    status, _, report = http(runtime, "GET", f"/campaigns/{again}/report", token=key)
    by_contact = {o["contact_id"]: o for o in report["items"]}
    assert (by_contact[ids["bo"]]["status"], by_contact[ids["bo"]]["reason"]) == ("blocked", "suppressed")
    assert by_contact[ids["ann"]]["status"] == "sent"
    assert sum(1 for m in sandbox().messages(tenant_id) if m.to == PEOPLE["bo"]) == 1
