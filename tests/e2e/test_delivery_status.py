"""Over HTTP on the local runtime: a campaign's texts go out, the sandbox's signed status callbacks
come back through the webhook route, the report shows each contact's delivery, and a contact who
then texts "Stop" is blocked as suppressed on the next run.

The demo tenant connects Twilio and adds its contacts and an approved campaign through the API;
the batch runs in-process (the runtime sets this process's environment), as the dispatch task
would run it; the sandbox posts queued, sent, delivered (undelivered with 30003 for a number
ending 0013) to the status callback URL each send named, signed with the tenant's auth token.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays

from gatehouse.campaigns.records import Campaign, CampaignStatus
from gatehouse.contacts import checks
from gatehouse.dispatch.batch import BatchResult, run_batch
from gatehouse.providers.sandbox import sandbox
from gatehouse.tenancy import TenantScope
from local.runtime import LocalRuntime
from tests.e2e.test_inbound_sms import post_form
from tests.e2e.test_local_http import http
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


def good_standing(_: str) -> str:
    return "active"


def run(tenant_id: str, campaign_id: str, run_id: str, ids: list[str], now: datetime) -> BatchResult:
    return run_batch(
        TenantScope(tenant_id),
        campaign_id,
        run_id,
        ids,
        now=now,
        suppressed=checks.suppressed,
        scrub=checks.scrub,
        billing=good_standing,
    )


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
        person = {"phone": phone, "first_name": name.title(), "state": "NY", "consent": [CONSENT]}
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
    status, _, campaign = http(runtime, "POST", "/campaigns", token=key, body=spec)
    assert status == 201, campaign
    campaign_id = campaign["campaign_id"]
    for action in ("submit", "approve"):
        status, _, moved = http(runtime, "POST", f"/campaigns/{campaign_id}/{action}", token=key)
        assert status == 200, moved
    scope = TenantScope(tenant_id)
    approved = scope.require(Campaign, campaign_id)
    scope.save(approved.model_copy(update={"status": CampaignStatus.RUNNING}))  # what a run's start does

    now = weekday_afternoon_in_new_york()
    first = run(tenant_id, campaign_id, "run-1", list(ids.values()), now)
    assert sorted(first.sent) == sorted(ids.values()), (first.blocked, first.failed)
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
    assert all(status == 200 for _, status in sandbox().callbacks.posted)

    # Bo answers "Stop": signed as Twilio signs it, posted to the tenant's inbound SMS webhook.
    pairs = inbound_sms("SM" + "b0" * 16, PEOPLE["bo"], "Stop")
    status, reply = post_form(
        urls["twilio_sms"], pairs, twilio_signature(urls["twilio_sms"], pairs, TWILIO_TOKEN)
    )
    assert status == 200, reply

    second = run(tenant_id, campaign_id, "run-2", list(ids.values()), now + timedelta(minutes=5))
    assert second.blocked[ids["bo"]] == "suppressed"
    assert ids["bo"] not in second.sent
    status, _, report = http(runtime, "GET", f"/campaigns/{campaign_id}/report", token=key)
    by_contact = {o["contact_id"]: o for o in report["items"]}
    assert (by_contact[ids["bo"]]["status"], by_contact[ids["bo"]]["reason"]) == ("blocked", "suppressed")
