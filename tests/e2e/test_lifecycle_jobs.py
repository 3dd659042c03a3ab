"""Over HTTP on the local runtime: the scheduler's timers run the re-scrub and retention jobs,
and their effects show through the API (a contact's DNC scrub time moves; an expired message
is gone from the person's data).

Time passing is simulated by ageing the stored facts (a scrub stamp, a message's arrival)
through the data door; everything else is the runtime's own timers and handlers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from gatehouse.clock import utc_now
from gatehouse.contacts.records import Contact
from gatehouse.tenancy import TenantScope
from gatehouse.webhooks.inbound_sms import InboundSms, receive
from local.runtime import LocalRuntime
from tests.e2e.test_local_http import http
from tests.support.consent import WRITTEN_ELEMENTS

PERSON = {
    "phone": "+12025550143",
    "state": "DC",
    "consent": [
        {
            "type": "express_written",
            "channels": ["sms", "voice"],
            "obtained_at": "2026-01-05T10:00:00Z",
            "source": "import",
            "wording": "Yes, contact me",
            **WRITTEN_ELEMENTS,
            "number": "+12025550143",
        }
    ],
}


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime().start(seed=True, schedule_interval=0.5) as running:
        yield running


def wait_until(condition, timeout: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_rescrub_timer_moves_a_stale_scrub_and_retention_removes_an_old_message(
    runtime: LocalRuntime,
) -> None:
    assert runtime.demo is not None
    key = runtime.demo.api_key
    status, _, created = http(runtime, "POST", "/contacts", token=key, body=PERSON)
    assert status == 201, created
    contact_id = created["contact_id"]
    scope = TenantScope(runtime.demo.tenant_id)
    # Forty days pass for this contact's DNC answer, and a text it sent is 400 days old.
    contact = scope.require(Contact, contact_id)
    assert contact.dnc is not None
    forty_days_ago = utc_now() - timedelta(days=40)
    aged = contact.dnc.model_copy(update={"checked_at": forty_days_ago, "data_as_of": forty_days_ago})
    scope.save(contact.model_copy(update={"dnc": aged}))
    old = InboundSms(message_sid="SMe2eold", sender=PERSON["phone"], body="an old hello")
    receive(scope, old, request_id="e2e", clock=lambda: utc_now() - timedelta(days=400))
    status, _, data = http(runtime, "GET", f"/contacts/{contact_id}/data", token=key)
    assert [m["message_sid"] for m in data["messages"]] == ["SMe2eold"]

    def scrubbed_again() -> bool:
        _, _, shown = http(runtime, "GET", f"/contacts/{contact_id}", token=key)
        return datetime.fromisoformat(shown["dnc"]["data_as_of"]) > utc_now() - timedelta(minutes=5)

    def message_gone() -> bool:
        _, _, person = http(runtime, "GET", f"/contacts/{contact_id}/data", token=key)
        return person["messages"] == []

    assert wait_until(scrubbed_again), "the dnc_rescrub timer did not re-scrub the stale contact"
    assert wait_until(message_gone), "the retention_purge timer did not remove the expired message"
    _, _, audit = http(runtime, "GET", "/audit?action=retention.purged", token=key)
    assert audit["items"], audit
