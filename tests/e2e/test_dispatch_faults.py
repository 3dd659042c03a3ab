"""Faults during a real dispatch run on the local runtime: nothing a gate should stop is sent, nothing twice.

Each test starts a campaign through the API and lets moto execute the template's state
machine against the real handlers, with one dependency failing:
- DynamoDB throttles every write of a batch's outcomes (after its sends): the batch task
  fails, its Catch settles the batch without sending, the report accounts for every contact
  (``send_unconfirmed`` for the ones whose claim shows a provider call), and a second run of
  the campaign sends to no one twice;
- KMS fails to open the tenant's credentials (in a cold container: no data key cached): the
  campaign pauses with the reason and no provider is called.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import holidays
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.kms.models import KmsBackend

from gatehouse.providers.sandbox import sandbox
from local.demo import SANDBOX_TWILIO, Client
from local.runtime import LocalRuntime

CONSENT = {
    "type": "express_written",
    "channels": ["sms"],
    "obtained_at": "2026-01-05T10:00:00Z",
    "source": "import",
    "wording": "Yes, text me offers",
}
SPEC = {
    "channel": "sms",
    "content": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    ],
    "max_attempts_per_contact": 2,
}


def afternoon_in_new_york() -> datetime:
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    while day.weekday() >= 5 or day in holidays.country_holidays("US", subdiv="NY", years=day.year):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


def contacts(client: Client, first: int, count: int) -> list[str]:
    ids = []
    for n in range(first, first + count):
        person = {"phone": f"+1212555{n:04d}", "first_name": f"P{n}", "state": "NY", "consent": [CONSENT]}
        ids.append(client.expect(201, "POST", "/contacts", person)["contact_id"])
    return ids


def started(runtime: LocalRuntime, client: Client, name: str, ids: list[str]) -> tuple[str, dict[str, Any]]:
    campaign_id = client.expect(
        201, "POST", "/campaigns", {**SPEC, "name": name, "audience": {"contact_ids": ids}}
    )["campaign_id"]
    client.expect(200, "POST", f"/campaigns/{campaign_id}/submit")
    client.expect(200, "POST", f"/campaigns/{campaign_id}/approve")
    return campaign_id, run_to_end(runtime, client, campaign_id, "start")


def run_to_end(runtime: LocalRuntime, client: Client, campaign_id: str, action: str) -> dict[str, Any]:
    at = afternoon_in_new_york()
    runtime.set_clock(lambda: at)
    try:
        run_id = client.expect(202, "POST", f"/campaigns/{campaign_id}/{action}")["run"]["run_id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = client.expect(200, "GET", f"/campaigns/{campaign_id}/runs")["items"]
            (run,) = [r for r in runs if r["run_id"] == run_id]
            if run["status"] != "started":
                return run  # type: ignore[no-any-return]
            time.sleep(0.1)
        raise AssertionError("the run did not end")
    finally:
        runtime.set_clock(None)


def outcomes(client: Client, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    report = client.expect(200, "GET", f"/campaigns/{campaign_id}/report?limit=100")
    return {o["contact_id"]: (o["status"], o["reason"]) for o in report["items"]}


@contextmanager
def outcome_writes_throttled() -> Iterator[None]:
    """DynamoDB (the emulator, server side) throttles every transaction that writes campaign outcomes."""
    original = DynamoDBBackend.transact_write_items

    def throttled(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if any("#OUTCOME" in json.dumps(item) for item in transact_items):
            raise JsonRESTError(
                "ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed"
            )
        original(self, transact_items)

    DynamoDBBackend.transact_write_items = throttled  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


@contextmanager
def kms_failing() -> Iterator[None]:
    """KMS (the emulator, server side) answers every Decrypt with an internal error."""
    original = KmsBackend.decrypt

    def failing(self: KmsBackend, *args: Any, **kwargs: Any) -> Any:
        raise JsonRESTError(
            "KMSInternalException", "The request was rejected because of an internal exception"
        )

    KmsBackend.decrypt = failing  # type: ignore[method-assign]
    try:
        yield
    finally:
        KmsBackend.decrypt = original  # type: ignore[method-assign]


def test_throttled_outcome_writes_settle_the_batch_and_nothing_is_sent_twice(runtime: LocalRuntime) -> None:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    client.call("POST", "/integrations/twilio", SANDBOX_TWILIO)
    ids = contacts(client, 1000, 3)
    before = len(sandbox().messages(runtime.demo.tenant_id))

    with outcome_writes_throttled():
        campaign_id, run = started(runtime, client, "Throttled", ids)

    assert run["status"] == "finished", run
    sent_to = [m.to for m in sandbox().messages(runtime.demo.tenant_id)][before:]
    assert len(sent_to) == len(set(sent_to)) == 3  # the sends happened before the failed write
    # every contact accounted for: claimed, provider called, outcome unconfirmed; never "sent" twice
    assert outcomes(client, campaign_id) == dict.fromkeys(ids, ("send_failed", "send_unconfirmed"))

    # the campaign ran to its end; a second campaign run would find each claim: nothing twice
    assert client.expect(200, "GET", f"/campaigns/{campaign_id}")["status"] == "completed"
    assert len(sandbox().messages(runtime.demo.tenant_id)) == before + 3


def test_kms_refusing_the_credentials_pauses_the_campaign_and_calls_no_provider(
    runtime: LocalRuntime,
) -> None:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    client.call("POST", "/integrations/twilio", SANDBOX_TWILIO)
    ids = contacts(client, 2000, 2)
    before = len(sandbox().messages(runtime.demo.tenant_id))
    from gatehouse.vault import envelope

    envelope._envelope.cache_clear()  # a cold container: no data key cached, the next open asks KMS
    with kms_failing():
        campaign_id, _ = started(runtime, client, "KMS down", ids)

    assert len(sandbox().messages(runtime.demo.tenant_id)) == before
    campaign = client.expect(200, "GET", f"/campaigns/{campaign_id}")
    assert campaign["status"] == "paused"
    assert campaign["history"][-1]["reason"].startswith("provider_credentials_")
    assert set(outcomes(client, campaign_id)) == set(ids)  # every contact accounted for
