"""Voice-agent events: signed with the tenant's secret, one record per call, do-not-call suppresses."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from gatehouse import audit
from gatehouse.contacts.keys import contact_id_for
from gatehouse.suppression import is_suppressed
from gatehouse.vault import Provider
from gatehouse.webhooks import voice_events
from tests.conftest import TenantFixture
from tests.support.events import Reply
from tests.support.webhooks import VOICE_CREDENTIALS, voice_event
from tests.support.webhooks import connected as connect_provider

CALLED = "+13125550140"
REJECTED = (401, {"error": {"code": "unauthorized", "message": "signature not valid", "details": []}})


def connected(tenant: TenantFixture, credentials: dict[str, str] = VOICE_CREDENTIALS) -> str:
    return connect_provider(tenant, Provider.VOICE_AGENT, credentials)


def payload(kind: str, call_id: str = "call_1", **call: Any) -> bytes:
    body = {"event": kind, "call": {"call_id": call_id, "direction": "outbound", "to_number": CALLED, **call}}
    return json.dumps(body).encode()


def rejected(reply: Reply) -> tuple[int, dict[str, Any]]:
    body = reply.json()
    body["error"].pop("request_id")
    return reply.status, body


def stop_audits(tenant: TenantFixture) -> list[audit.AuditEntry]:
    entries = audit.list_entries(tenant.tenant_id, limit=100).items
    return [e for e in entries if e.action == "suppression.added"]


def test_the_events_of_a_call_build_one_record_in_any_order(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    now = int(time.time() * 1000)
    ended = payload(
        "call_ended", call_status="ended", start_timestamp=now - 95_000, end_timestamp=now,
        transcript="Agent: hello\nUser: hi", recording_url="https://recordings.example/call_1.wav",
    )  # fmt: skip
    analyzed = payload("call_analyzed", call_analysis={"disposition": "interested", "call_summary": "ok"})
    started = payload("call_started", call_status="ongoing", start_timestamp=now - 95_000)
    for raw in (ended, analyzed, started):  # "started" arrives last
        reply = hooks(voice_event(ref, raw))
        assert reply.status == 200, reply.body
    [record] = voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, CALLED))
    assert record.status == "ended"
    assert record.duration_seconds == 95
    assert record.outcome == "interested"
    assert record.transcript == "Agent: hello\nUser: hi"
    # recordings.example is no vendor's recording host: nothing fetched, and the URL is never stored
    assert (record.recording_ref, record.recording_key) == (None, None)
    assert record.events == ["call_analyzed", "call_ended", "call_started"]
    assert record.expires() is not None
    assert not is_suppressed(tenant_a.scope, CALLED)


@pytest.mark.parametrize(
    "call",
    [
        {"disposition": "Do Not Call"},
        {"call_analysis": {"do_not_call": True}},
        {"call_analysis": {"custom_analysis_data": {"do_not_call": True}}},
        {"call_analysis": {"disposition": "stop-calling"}},
    ],
)
def test_a_do_not_call_flag_suppresses_at_once(hooks, tenant_a: TenantFixture, call: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    reply = hooks(voice_event(ref, payload("call_analyzed", **call)))
    assert reply.status == 200, reply.body
    assert is_suppressed(tenant_a.scope, CALLED)
    [entry] = stop_audits(tenant_a)
    assert entry.actor.label == f"contact:{contact_id_for(tenant_a.tenant_id, CALLED)}"


@pytest.mark.parametrize("how", ["forged", "missing", "stale", "other_tenant", "unknown_ref", "tampered"])
def test_bad_signatures_get_the_one_401(  # type: ignore[no-untyped-def]
    hooks, tenant_a: TenantFixture, tenant_b: TenantFixture, how: str
) -> None:
    ref = connected(tenant_a)
    raw = payload("call_analyzed", call_analysis={"do_not_call": True})
    event = voice_event(ref, raw)
    if how == "forged":
        event["headers"]["X-Gatehouse-Signature"] = "t=1,v1=" + "0" * 64
    elif how == "missing":
        del event["headers"]["X-Gatehouse-Signature"]
    elif how == "stale":
        event = voice_event(ref, raw, at=int(time.time()) - 301)
    elif how == "other_tenant":
        other = {**VOICE_CREDENTIALS, "webhook_secret": "another-tenants-secret-0123"}
        connected(tenant_b, other)
        event = voice_event(ref, raw, secret=other["webhook_secret"])
    elif how == "unknown_ref":
        event = voice_event("whk_" + "z" * 26, raw)
    else:
        event["body"] = event["body"].replace(CALLED, "+13125550141")
    assert rejected(hooks(event)) == REJECTED
    assert not is_suppressed(tenant_a.scope, CALLED)
    assert stop_audits(tenant_a) == []


def test_replays_and_concurrent_duplicates_have_one_effect(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    raw = payload("call_analyzed", call_id="call_dup", call_analysis={"do_not_call": True})
    replies = [hooks(voice_event(ref, raw)) for _ in range(5)]
    threads = [
        threading.Thread(target=lambda: replies.append(hooks(voice_event(ref, raw)))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(r.status, r.body) for r in replies} == {(200, '{"received":true}')}
    assert len(stop_audits(tenant_a)) == 1
    assert len(voice_events.calls_of(tenant_a.scope, contact_id_for(tenant_a.tenant_id, CALLED))) == 1


def test_a_malformed_event_is_refused_after_its_signature(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    reply = hooks(voice_event(ref, b'{"event": "call_exploded", "call": {}}'))
    assert reply.status == 400


def test_erasure_finds_and_deletes_a_contacts_calls(hooks, tenant_a: TenantFixture) -> None:  # type: ignore[no-untyped-def]
    ref = connected(tenant_a)
    for n in range(3):
        hooks(voice_event(ref, payload("call_ended", call_id=f"call_{n}", transcript="t")))
    contact_id = contact_id_for(tenant_a.tenant_id, CALLED)
    assert voice_events.erase_calls(tenant_a.scope, contact_id) == 3
    assert voice_events.calls_of(tenant_a.scope, contact_id) == []
