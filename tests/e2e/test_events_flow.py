"""Committed writes heard as occurrences on the local runtime: streams, the events function, its consumers.

The demo runs over HTTP (``local.demo``); the runtime's event source mappings read the
audit table's and the main table's streams from DynamoDB Local, filter them with the
template's FilterCriteria and invoke the real events function, whose ``CONSUMERS`` list
gets a recording consumer for the test (a stand-in for notifications and endpoints, not
for what is under test). What it heard is checked against the audit log read back
through the API and the campaign reports.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gatehouse.events.occurrence import Occurrence, event_id_for
from gatehouse.events.stream import AUDITED
from gatehouse.providers.sandbox import sandbox
from local.demo import DEMO_CAMPAIGN, Client, DemoRun, run_demo
from local.runtime import LocalRuntime
from tests.e2e.test_demo_campaign import EXPECTED

CAMPAIGN_LIFE = ["campaign.submitted", "campaign.approved", "campaign.started", "campaign.completed"]


class Recorder:
    """A consumer that keeps what it is handed, in order."""

    def __init__(self) -> None:
        self.heard: list[Occurrence] = []

    def __call__(self, occurrence: Occurrence) -> None:
        self.heard.append(occurrence)


@pytest.fixture(scope="module")
def heard(runtime: LocalRuntime) -> Iterator[tuple[Recorder, DemoRun]]:
    events_function = sys.modules["gatehouse_fn_EventsFunction"]
    recorder = Recorder()
    events_function.CONSUMERS.append(recorder)
    try:
        sandbox().reset()
        found = run_demo(runtime)
        # The sandbox's delayed status and call callbacks write too: all of them, then drain.
        assert sandbox().callbacks.settle(timeout=60)
        runtime.drain_events()
        yield recorder, found
    finally:
        events_function.CONSUMERS.remove(recorder)


def _audit_entries(runtime: LocalRuntime) -> list[dict[str, Any]]:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.expect(200, "GET", "/audit?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return sorted(entries, key=lambda e: e["seq"])


def _as_committed(entry: dict[str, Any]) -> tuple[str, str, datetime, str, str, str]:
    return (
        event_id_for(entry["tenant_id"], "audit", str(entry["seq"])),
        entry["action"],
        datetime.fromisoformat(entry["at"]),
        entry["target"]["type"],
        entry["target"]["id"],
        f"{entry['actor']['type']}:{entry['actor']['id']}",
    )


def _as_heard(occurrence: Occurrence) -> tuple[str, str, datetime, str, str, str]:
    return (
        occurrence.event_id,
        occurrence.kind,
        occurrence.at,
        occurrence.target_type,
        occurrence.target_id,
        occurrence.actor or "",
    )


def test_every_audited_change_the_consumers_care_about_is_heard_once_exactly_as_committed(
    heard: tuple[Recorder, DemoRun], runtime: LocalRuntime
) -> None:
    recorder, _ = heard
    committed = [_as_committed(e) for e in _audit_entries(runtime) if e["action"] in AUDITED]
    from_audit = [_as_heard(o) for o in recorder.heard if o.kind in AUDITED]
    assert from_audit == committed  # the same entries, in the chain's order, none twice
    assert {kind for _, kind, *_ in committed} >= {*CAMPAIGN_LIFE, "contacts.imported", "suppression.held"}


def test_a_campaign_is_heard_submitted_approved_started_and_completed_in_that_order(
    heard: tuple[Recorder, DemoRun],
) -> None:
    recorder, found = heard
    voice_run, _ = found["voice"]
    campaign_id = voice_run["campaign_id"]
    life = [o for o in recorder.heard if o.target_type == "campaign" and o.target_id == campaign_id]
    assert [o.kind for o in life] == CAMPAIGN_LIFE
    assert [o.data for o in life] == [
        {"campaign_id": campaign_id, "status": status}
        for status in ("submitted", "approved", "running", "completed")
    ]
    assert life[-1].actor is not None
    assert life[-1].actor.startswith("system:")


def test_each_message_the_demo_sent_is_heard_as_message_sent_with_a_stable_id(
    heard: tuple[Recorder, DemoRun], runtime: LocalRuntime
) -> None:
    recorder, found = heard
    assert runtime.demo is not None
    tenant_id = runtime.demo.tenant_id
    run, outcomes = found["sms"]
    sent = [o for o in outcomes if o["status"] == "sent"]
    assert len(sent) == sum(status == "sent" for status, _ in EXPECTED.values())
    heard_sent = {o.event_id: o for o in recorder.heard if o.kind == "message.sent"}
    for outcome in sent:
        event_id = event_id_for(tenant_id, "outcome", run["campaign_id"], outcome["contact_id"], "1", "sent")
        occurrence = heard_sent[event_id]
        message_id = occurrence.data.get("message_id")
        assert {k: v for k, v in occurrence.data.items() if k != "message_id"} == {
            "campaign_id": run["campaign_id"],
            "contact_id": outcome["contact_id"],
            "attempt": 1,
            "status": "sent",
        }
        assert message_id is None or str(message_id).startswith("evt_")
        assert (occurrence.target_type, occurrence.target_id) == ("contact", outcome["contact_id"])
    blocked = {o["contact_id"] for o in outcomes if o["status"] != "sent"}
    assert not [o for o in recorder.heard if o.kind.startswith("message.") and o.target_id in blocked]


def test_draining_again_hands_over_nothing_new(
    heard: tuple[Recorder, DemoRun], runtime: LocalRuntime
) -> None:
    recorder, _ = heard
    before = [o.event_id for o in recorder.heard]
    assert len(before) == len(set(before))
    runtime.drain_events()
    runtime.drain_events()
    assert [o.event_id for o in recorder.heard] == before


def test_no_occurrence_carries_a_phone_number_or_a_message_body(heard: tuple[Recorder, DemoRun]) -> None:
    recorder, _ = heard
    text = json.dumps([o.model_dump(mode="json") for o in recorder.heard])
    for phone in EXPECTED:
        assert phone not in text
        assert phone.lstrip("+") not in text
    assert "spring hours" not in text.lower()


def _submit_a_campaign(runtime: LocalRuntime, found: DemoRun, name: str) -> str:
    assert runtime.demo is not None
    client = Client(runtime.api_url, runtime.demo.api_key)
    spec = {
        **DEMO_CAMPAIGN,
        "name": name,
        "audience": {"contact_ids": sorted(found["contacts"].values())[:1]},
    }
    campaign_id: str = client.expect(201, "POST", "/campaigns", spec)["campaign_id"]
    client.expect(200, "POST", f"/campaigns/{campaign_id}/submit")
    return campaign_id


def test_a_record_a_consumer_failed_is_offered_again_until_it_is_taken(
    heard: tuple[Recorder, DemoRun], runtime: LocalRuntime
) -> None:
    events_function = sys.modules["gatehouse_fn_EventsFunction"]
    offered: list[str] = []

    def flaky(occurrence: Occurrence) -> None:
        if occurrence.kind == "campaign.submitted":
            offered.append(occurrence.event_id)
            if len(offered) < 3:
                raise RuntimeError("not now")

    recorder = Recorder()
    events_function.CONSUMERS[:] = [flaky, recorder]  # the fixture's recorder is back in the finally
    try:
        campaign_id = _submit_a_campaign(runtime, heard[1], "Retried")
        runtime.drain_events()
    finally:
        events_function.CONSUMERS[:] = [heard[0]]
    submitted = [o for o in recorder.heard if o.kind == "campaign.submitted"]
    assert [o.target_id for o in submitted] == [campaign_id]
    assert offered == [submitted[0].event_id] * 3


def test_a_record_no_retry_gets_through_goes_to_the_dlq_and_the_stream_moves_on(
    heard: tuple[Recorder, DemoRun], runtime: LocalRuntime
) -> None:
    events_function = sys.modules["gatehouse_fn_EventsFunction"]
    attempts: list[str] = []
    refusing_now = [True]

    def refusing(occurrence: Occurrence) -> None:
        if occurrence.kind == "campaign.submitted" and refusing_now[0]:
            attempts.append(occurrence.target_id)
            raise RuntimeError("never")

    recorder = Recorder()
    events_function.CONSUMERS[:] = [refusing, recorder]
    try:
        stuck = _submit_a_campaign(runtime, heard[1], "Never taken")
        runtime.drain_events()
        refusing_now[0] = False
        after = _submit_a_campaign(runtime, heard[1], "After it")
        runtime.drain_events()
    finally:
        events_function.CONSUMERS[:] = [heard[0]]
    retries = runtime.template.function("EventsFunction").streams[0].max_retries  # type: ignore[union-attr]
    assert attempts == [stuck] * (retries + 1)
    assert [o.target_id for o in recorder.heard if o.kind == "campaign.submitted"] == [after]
    assert runtime.deployment is not None
    dlq = runtime.client("sqs").receive_message(
        QueueUrl=runtime.deployment.queues["EventsDLQ"], WaitTimeSeconds=0
    )
    (message,) = dlq["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == runtime.deployment.streams["AuditTable"]
    assert stuck not in message["Body"]  # the place in the stream, never the record
